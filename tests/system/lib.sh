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
# A command that fails under `set -e` says where, instead of ending the test silently.
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND (status $?)" >&2' ERR

fail() { echo "FAIL: $*" >&2; exit 1; }

# Every kdig call is bounded: 3 s per try, one retry, 20 s in all.
KDIG_BIN=${KDIG:-kdig}
kdig_bounded() { timeout 20 "$KDIG_BIN" +timeout=3 +retry=1 "$@"; }
KDIG=kdig_bounded

# A loopback TCP and UDP port nobody listens on right now (for peers such as knotd that need a
# fixed port in their config).
free_port() {
  local p
  for _ in $(seq 50); do
    # Below the kernel's ephemeral range (32768+ by default), where port-0 binds land.
    p=$(( 10000 + RANDOM % 22000 ))
    # Free for both TCP and UDP (ss from iproute2), and nobody answering on TCP.
    if command -v ss >/dev/null && [ -n "$(ss -Hltun "sport = :$p" 2>/dev/null)" ]; then continue; fi
    if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo "$p"; return 0; fi
  done
  fail "no free port"
}

# wait_for CMD...: retries for up to 10 s.
wait_for() {
  for _ in $(seq 100); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

# start_knotd ZONE_NAME ZONE_FILE [PRIMARY_ADDR@PORT]: starts knotd on a free port, as the primary
# serving ZONE_FILE, or as a secondary of PRIMARY (then ZONE_FILE is where it may keep the zone).
# Sets KNOT_PORT, KNOT_PID and KNOT_DIR (its log is $KNOT_DIR/knotd.log). Each call uses its own directory, so several can run at once.
start_knotd() {
  local zone=$1 file=$2 primary=${3:-} knotd=${KNOTD:-knotd}
  local kdir; kdir=$(mktemp -d "$TMP/knot.XXXXXX")
  local conf="$kdir/knot.conf" remote="" zoneextra="" keys="" keyref=""
  # KNOT_KEY="alg:name:secret" makes the secondary sign its transfers with that TSIG key.
  if [ -n "${KNOT_KEY:-}" ]; then
    IFS=: read -r kalg kname ksecret <<<"$KNOT_KEY"
    keys="key:
  - id: $kname
    algorithm: $kalg
    secret: $ksecret
"
    keyref="    key: $kname"
  fi
  if [ -n "$primary" ]; then
    remote="remote:
  - id: primary
    address: $primary
$keyref
"
    zoneextra="    master: primary
    acl: notify_from_primary"
  fi
  for _ in 1 2 3; do
    KNOT_PORT=$(free_port)
    cat >"$conf" <<CONF
server:
    rundir: "$kdir"
    listen: 127.0.0.1@$KNOT_PORT
database:
    storage: "$kdir/db"
log:
  - target: stderr
    any: info
$keys
$remote
acl:
  - id: loopback
    address: 127.0.0.0/8
    action: transfer
  - id: notify_from_primary
    address: 127.0.0.0/8
    action: notify
$keyref
template:
  - id: default
    storage: "$kdir"
    journal-content: none
    zonefile-sync: -1
zone:
  - domain: $zone
    file: "$file"
    acl: [loopback]
$zoneextra
CONF
    # A secondary's acl line must list both ACLs.
    [ -n "$primary" ] && sed -i 's/    acl: \[loopback\]/    acl: [loopback, notify_from_primary]/; /^    acl: notify_from_primary$/d' "$conf"
    "$knotd" -c "$conf" >"$kdir/knotd.log" 2>&1 &
    KNOT_PID=$!
    PIDS+=("$KNOT_PID")
    local up=0
    for _ in $(seq 100); do
      kill -0 "$KNOT_PID" 2>/dev/null || break  # it exited (the port was taken): try another
      if timeout 5 "$KDIG_BIN" @127.0.0.1 -p "$KNOT_PORT" "$zone" SOA +short +timeout=1 +retry=0 >/dev/null 2>&1; then up=1; break; fi
      sleep 0.1
    done
    if [ "$up" = 1 ]; then
      KNOT_DIR=$kdir
      ln -sf "$kdir/knotd.log" "$TMP/knotd-$KNOT_PORT.log"
      return 0
    fi
    if kill -0 "$KNOT_PID" 2>/dev/null; then
      kill "$KNOT_PID" 2>/dev/null || true
      [ -n "$primary" ] && { cat "$kdir/knotd.log" >&2; fail "knotd secondary did not load $zone from $primary"; }
    fi
  done
  fail "knotd did not start"
}

# start_authority ARGS...: starts cdns-authority (CDNS_AUTHORITY) on 127.0.0.1:0; sets AUTH_PORT, AUTH_PID.
start_authority() {
  local ready="$TMP/authority.$RANDOM.ready"
  "$CDNS_AUTHORITY" --listen 127.0.0.1:0 --ready-file "$ready" "$@" >"$TMP/authority.log" 2>&1 &
  AUTH_PID=$!
  PIDS+=("$AUTH_PID")
  for _ in $(seq 100); do [ -s "$ready" ] && break; sleep 0.1; done
  [ -s "$ready" ] || fail "cdns-authority did not start"
  AUTH_PORT=$(awk '$1=="udp"{print $3; exit}' "$ready")
}

# await_ready FILE WHAT: waits up to 10 s for a daemon's ready file.
await_ready() {
  for _ in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.1; done
  fail "$2 did not start"
}

# start_resolver CONFIG: starts cdns-resolver (CDNS_RESOLVER) with CONFIG; sets RES_PORT, RES_PID.
start_resolver() {
  local ready="$TMP/resolver.$RANDOM.ready"
  "$CDNS_RESOLVER" --config "$1" --ready-file "$ready" >>"$TMP/resolver.log" 2>&1 &
  RES_PID=$!
  PIDS+=("$RES_PID")
  await_ready "$ready" cdns-resolver
  RES_PORT=$(awk '$1=="udp"{print $3; exit}' "$ready")
}
