#!/usr/bin/env bash
# System test with a real single-node Slurm: cdns-publish's slurm collector publishes the queue
# and the free CPUs to cdns-authority, and submitting jobs changes what dig sees.
# usage: publisher_slurm.sh CDNS_AUTHORITY CDNS_PUBLISH CDNS_RRCONV
CDNS_AUTHORITY=$1 PUBLISH=$2 RRCONV=$3
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/slurm_lib.sh"
for tool in munged slurmctld slurmd sbatch; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed (scripts/setup.sh installs Slurm)"; exit 0; }
done
start_slurm

SECRET=$(head -c 32 /dev/urandom | base64)
printf '$ORIGIN gba.example.\n$TTL 300\n@ SOA ns1 hm 1 3600 600 604800 300\n@ NS ns1\nns1 A 127.0.0.1\n' >"$TMP/gba.zone"
cat >"$TMP/auth.json" <<JSON
{"keys": [{"name": "hpc1.", "algorithm": "hmac-sha256", "secret": "$SECRET"}],
 "zones": [{"name": "gba.example.", "file": "$TMP/gba.zone",
            "update": {"rules": [{"key": "hpc1.", "name": "hpc1.centers.gba.example.", "types": ["ANY"]}]}}]}
JSON
start_authority --config "$TMP/auth.json"
cat >"$TMP/pub.json" <<JSON
{"center": "hpc1", "zone": "gba.example.", "primaries": ["127.0.0.1:$AUTH_PORT"],
 "key": {"name": "hpc1.", "secret": "$SECRET"}, "interval_seconds": 0.3, "heartbeat_seconds": 60, "lease_seconds": 0,
 "collectors": [{"type": "slurm", "partition": "debug"}],
 "static": {"site": {"kind": "hpc", "region": "guangzhou"}}}
JSON
"$PUBLISH" --config "$TMP/pub.json" >"$TMP/publish.log" 2>&1 &
PIDS+=($!)

cap() { kdig @127.0.0.1 -p "$AUTH_PORT" hpc1.centers.gba.example TYPE65281 +noall +answer | "$RRCONV" | cut -f5; }
wait_cap() {  # wait_cap REGEX: up to 15 s
  for _ in $(seq 150); do cap | grep -Eq "$1" && return 0; sleep 0.1; done
  echo "CAP is: $(cap)"; tail -5 "$TMP/publish.log"; fail "CAP never matched $1"
}
wait_cap 'cpu=2/2 nodes=1/1 load=0 queue=0 running=0 part=debug'
echo "idle cluster: $(cap)"
# Three jobs that each want both CPUs: one runs, two wait.
for i in 1 2 3; do sbatch --quiet -c 2 -o /dev/null --wrap 'sleep 60'; done
wait_cap 'cpu=0/2 nodes=0/1 load=1 queue=2 running=1'
echo "busy cluster: $(cap)"
sinfo -h -o '%C %D %t' >"$TMP/sinfo.txt"; squeue -h -o '%T' >"$TMP/squeue.txt"
[ -n "${CDNS_CAPTURE_DIR:-}" ] && cp "$TMP/sinfo.txt" "$TMP/squeue.txt" "$CDNS_CAPTURE_DIR/"
scancel --quiet -u root
wait_cap 'cpu=2/2 nodes=1/1 load=0 queue=0 running=0'
echo "after scancel: $(cap)"
echo "slurm collector: queue, running and free CPUs followed the real cluster"
