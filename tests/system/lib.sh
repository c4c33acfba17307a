# Shared helpers for the shell system tests: temporary directories, free loopback ports for
# peers that cannot bind port 0 themselves, waiting, and cleanup.
set -euo pipefail

TMP=$(mktemp -d "${TMPDIR:-/tmp}/cdns-test.XXXXXX")
PIDS=()
cleanup() {
  local rc=$?
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ $rc -ne 0 ]; then
    for f in "$TMP"/*.log; do [ -f "$f" ] && { echo "--- tail of $f"; tail -n 30 "$f"; }; done
  fi
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# A loopback TCP and UDP port nobody listens on right now (for peers such as knotd that need a
# fixed port in their config).
free_port() {
  local p
  for _ in $(seq 50); do
    p=$(( 20000 + RANDOM % 40000 ))
    if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo "$p"; return 0; fi
  done
  fail "no free port"
}

# wait_for CMD...: retries for up to 10 s.
wait_for() {
  for _ in $(seq 100); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

# start_knotd ZONE_NAME ZONE_FILE: starts a Knot primary on a free port; sets KNOT_PORT.
start_knotd() {
  local zone=$1 file=$2 knotd=${KNOTD:-knotd} conf="$TMP/knot.conf"
  for _ in 1 2 3; do
    KNOT_PORT=$(free_port)
    cat >"$conf" <<CONF
server:
    rundir: "$TMP"
    listen: 127.0.0.1@$KNOT_PORT
database:
    storage: "$TMP/knotdb"
log:
  - target: stderr
    any: info
acl:
  - id: loopback
    address: 127.0.0.0/8
    action: transfer
template:
  - id: default
    storage: "$TMP"
    journal-content: none
    zonefile-sync: -1
zone:
  - domain: $zone
    file: "$file"
    acl: loopback
CONF
    "$knotd" -c "$conf" >"$TMP/knotd.log" 2>&1 &
    KNOT_PID=$!
    PIDS+=("$KNOT_PID")
    if wait_for "${KDIG:-kdig}" @127.0.0.1 -p "$KNOT_PORT" "$zone" SOA +short +timeout=1 +retry=0; then
      return 0
    fi
    kill "$KNOT_PID" 2>/dev/null || true
  done
  fail "knotd did not start"
}
