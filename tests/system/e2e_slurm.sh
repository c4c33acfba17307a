#!/usr/bin/env bash
# End-to-end system test of the job path with a real single-node Slurm, every part real:
# cdns-submit asks cdns-resolver for a center, finds the center's relay by the SRV record that
# cdns-publish (slurm collector) published to cdns-authority, submits to cdns-relay (Slurm
# backend), which runs the job with sbatch; the job's output, its state changes and its exit
# status come back to the terminal. Also --detach, then status, logs and cancel of the same jobs.
# usage: e2e_slurm.sh CDNS_AUTHORITY CDNS_RESOLVER CDNS_RELAY CDNS_PUBLISH CDNS_SUBMIT
CDNS_AUTHORITY=$1 CDNS_RESOLVER=$2 CDNS_RELAY=$3 PUBLISH=$4 SUBMIT=$5
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/slurm_lib.sh"
. "$(dirname "$0")/relay_lib.sh"
. "$(dirname "$0")/clients_lib.sh"
for tool in munged slurmctld slurmd sbatch dig; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed (scripts/setup.sh installs it)"; exit 0; }
done
[ "$(id -u)" = 0 ] || { echo "SKIP: the single-node Slurm and sbatch --uid need root"; exit 0; }
id cdnsjob >/dev/null 2>&1 || useradd --system --create-home cdnsjob 2>/dev/null || true
id cdnsjob >/dev/null 2>&1 || { echo "SKIP: cannot create the user cdnsjob"; exit 0; }
start_slurm

# The center hpc1's relay, in front of Slurm, jobs as cdnsjob.
start_slurm_relay
RELAY_PORT=${RELAY_URL##*:}

# The compute zone, empty until the center publishes; hpc1's key may write its own subtree and
# its own service pointers.
SECRET=$(head -c 32 /dev/urandom | base64)
printf '$ORIGIN gba.example.\n$TTL 300\n@ SOA ns1 hostmaster 1 60 10 604800 60\n@ NS ns1\nns1 A 127.0.0.1\n' >"$TMP/gba.zone"
cat >"$TMP/auth.json" <<JSON
{"keys": [{"name": "hpc1.", "algorithm": "hmac-sha256", "secret": "$SECRET"}],
 "zones": [{"name": "gba.example.", "file": "$TMP/gba.zone", "notify": [], "transfer": {"acl": ["127.0.0.0/8"]},
            "update": {"rules": [
              {"key": "hpc1.", "name": "hpc1.centers.gba.example.", "match": "subdomain", "types": ["ANY"]},
              {"key": "hpc1.", "name": "svc.gba.example.", "match": "wildcard", "types": ["PTR"],
               "target_under": "hpc1.centers.gba.example."}]}}]}
JSON
start_authority --config "$TMP/auth.json"

# The resolver follows the zone (AXFR, then NOTIFY and IXFR); the authority learns its NOTIFY port.
cat >"$TMP/res.json" <<JSON
{"listen": ["127.0.0.1:0"],
 "zones": [{"name": "gba.example.", "primaries": ["127.0.0.1:$AUTH_PORT"], "notify_listen": "127.0.0.1:0"}],
 "ttl": 5, "chains": {"default": {"policies": [{"name": "fits"}, {"name": "load"}]}},
 "services": {"train": "default"}}
JSON
start_resolver "$TMP/res.json"
RES_NOTIFY=$(awk '$1=="notify" {print $3; exit}' "$TMP"/resolver.*.ready)
[ -n "$RES_NOTIFY" ] || fail "the resolver's ready file has no notify port"
sed -i "s/\"notify\": \[\]/\"notify\": [\"127.0.0.1:$RES_NOTIFY\"]/" "$TMP/auth.json"
kill -HUP "$AUTH_PID"
wait_for sh -c "grep 'authority.reload' '$TMP/authority.log' | grep -q done" || fail "the authority did not reload"

# The center's publisher: SITE and CAP (from Slurm), the service train, and its relay's SRV.
cat >"$TMP/pub.json" <<JSON
{"center": "hpc1", "zone": "gba.example.", "primaries": ["127.0.0.1:$AUTH_PORT"],
 "key": {"name": "hpc1.", "secret": "$SECRET"}, "interval_seconds": 0.3, "heartbeat_seconds": 60, "lease_seconds": 0,
 "collectors": [{"type": "slurm", "partition": "debug"}],
 "static": {"site": {"kind": "hpc", "region": "guangzhou"}},
 "services": [{"name": "train", "addresses": ["127.0.0.1"]}],
 "relay": {"address": "127.0.0.1", "port": $RELAY_PORT}}
JSON
"$PUBLISH" --config "$TMP/pub.json" >"$TMP/publish.log" 2>&1 &
PIDS+=($!)
rdig() { dig @127.0.0.1 -p "$RES_PORT" +short +time=1 +tries=1 "$@"; }
wait_for sh -c "dig @127.0.0.1 -p $RES_PORT +short +time=1 +tries=1 _relay._tcp.hpc1.centers.gba.example SRV | grep -q ' $RELAY_PORT '" ||
  fail "the resolver never learned hpc1's relay: $(rdig _relay._tcp.hpc1.centers.gba.example SRV)"
wait_for sh -c "dig @127.0.0.1 -p $RES_PORT +short +time=1 +tries=1 train.svc.gba.example A | grep -q 127.0.0.1" ||
  fail "the resolver does not answer train.svc.gba.example"
echo "published and followed: SRV $(rdig _relay._tcp.hpc1.centers.gba.example SRV)"

SUBMIT_TIMEOUT=120
relay_job() { api GET "/v1/jobs/$1" "$A" | sed 's/^[0-9]* //'; }

# The job runs in Slurm: its output (with Slurm's job id) on stdout, its state changes on
# stderr, its exit status as ours.
sub --resolver "127.0.0.1:$RES_PORT" --zone gba.example --service train --relay-scheme http --token "$A" \
  -- sh -c 'echo hello from $SLURM_JOB_ID; exit 7'
want "through the network" 7 "train -> hpc1 (train.hpc1.centers.gba.example. 127.0.0.1)"
[[ "$OUT" =~ ^"hello from "([0-9]+)$ ]] || fail "stdout is '$OUT', want 'hello from <Slurm job id>'; stderr: $ERR"
SID=${BASH_REMATCH[1]}
[[ "$ERR" =~ "job hpc1/"(j[0-9a-f]+)" submitted to http://relay.hpc1.centers.gba.example:$RELAY_PORT, " ]] ||
  fail "not submitted to hpc1's relay by its SRV name: $ERR"
J=${BASH_REMATCH[1]}
[[ "$ERR" == *"job hpc1/$J failed, exit status 7"* ]] || fail "no final state line: $ERR"
# Slurm may run the job between two polls, so a running line is checked only where there is one.
[[ "$ERR" =~ "submitted to http://relay.hpc1.centers.gba.example:$RELAY_PORT, "(pending|running) ]] || fail "no first state: $ERR"
if [[ "$ERR" == *"job hpc1/$J running"* ]]; then
  [[ "$ERR" == *"job hpc1/$J running (slurm:$SID@"* ]] || fail "the running line names another Slurm job: $ERR"
fi
[[ "$(relay_job "$J")" == *"\"where\":\"slurm:$SID@"* ]] || fail "the relay's job $J did not run as Slurm job $SID: $(relay_job "$J")"
scontrol show job "$SID" >"$TMP/scontrol.txt" || fail "Slurm does not know job $SID"
grep -Eq "JobName=cdns-$J( |$)" "$TMP/scontrol.txt" || fail "Slurm job $SID is not the relay's $J: $(cat "$TMP/scontrol.txt")"
grep -q "JobState=FAILED" "$TMP/scontrol.txt" && grep -q "ExitCode=7:0" "$TMP/scontrol.txt" ||
  fail "Slurm's record of job $SID: $(cat "$TMP/scontrol.txt")"
grep -q "UserId=cdnsjob(" "$TMP/scontrol.txt" || fail "Slurm job $SID did not run as cdnsjob"
printf '%s\n' "$ERR" >"$TMP/submit.err"
echo "attached: Slurm job $SID (relay $J): stdout '$OUT', exit 7"

# Detached, then status and logs by CENTER/JOBID through the same DNS path.
export CDNS_RESOLVER=127.0.0.1:$RES_PORT CDNS_ZONE=gba.example CDNS_TOKEN=$A
sub --service train --relay-scheme http --detach -- sh -c 'echo detached from $SLURM_JOB_ID; sleep 1; echo bye'
want "detach" 0 "submitted to http://relay.hpc1.centers.gba.example:$RELAY_PORT"
[[ "$OUT" =~ ^hpc1/(j[0-9a-f]+)$ ]] || fail "--detach printed '$OUT', want hpc1/<id>"
JOB=$OUT J2=${BASH_REMATCH[1]}
sub logs --relay-scheme http --follow "$JOB"
want "logs --follow" 0 ""
[[ "$OUT" =~ ^"detached from "([0-9]+)$'\n'"bye"$ ]] || fail "logs --follow: '$OUT'"
SID2=${BASH_REMATCH[1]}
[ "$SID2" != "$SID" ] || fail "two jobs with the same Slurm id $SID"
sub status --relay-scheme http "$JOB"
want "status" 0 ""
[[ "$OUT" == *"job        $JOB"* && "$OUT" == *"state      completed, exit status 0"* && "$OUT" == *"where      slurm:$SID2@"* ]] ||
  fail "status: $OUT"
sub status --relay-scheme http --json "$JOB"
[[ "$OUT" == *'"where": "slurm:'"$SID2@"* ]] || fail "status --json: $OUT"
sub logs --relay-scheme http "$JOB"
[ "$RC" = 0 ] && [ "$OUT" = "detached from $SID2
bye" ] || fail "logs after the end: $RC '$OUT' $ERR"
echo "detached: Slurm job $SID2 (relay $J2): status and logs through the resolver"

# A detached job cancelled through the network is cancelled in Slurm.
sub --service train --relay-scheme http --detach --quiet -- sleep 120
want "detach a long job" 0 ""
JOB3=$OUT
wait_for sh -c "'$SUBMIT' status --relay-scheme http '$JOB3' | grep -q 'state      running'" || fail "$JOB3 never ran: $(cat "$TMP/err")"
sub status --relay-scheme http "$JOB3"
SID3=$(sed -n 's/^where      slurm:\([0-9]*\)@.*$/\1/p' <<<"$OUT")
[ -n "$SID3" ] || fail "status of a running job has no Slurm id: $OUT"
sub cancel --relay-scheme http "$JOB3"
want "cancel" 0 ""
# The relay answers 202 at once; Slurm's scancel takes effect a moment later.
[[ "$OUT" =~ ^"job $JOB3 "("running, cancel requested"|cancelled)$ ]] || fail "cancel: $OUT"
wait_for sh -c "scontrol show job $SID3 | grep -q JobState=CANCELLED" || fail "Slurm job $SID3 not cancelled: $(scontrol show job "$SID3")"
wait_for sh -c "'$SUBMIT' status --relay-scheme http '$JOB3' | grep -q 'state      cancelled'" ||
  fail "the relay does not report $JOB3 cancelled: $("$SUBMIT" status --relay-scheme http "$JOB3" 2>&1)"
sub cancel --relay-scheme http "$JOB3"
want "cancel twice" 77 "already ended"
echo "cancel: Slurm job $SID3 cancelled through the network"
echo "e2e (slurm): cdns-submit -> resolver -> relay -> Slurm -> output and exit status back, detach/status/logs/cancel"
