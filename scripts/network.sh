# The demo compute network on loopback, as a shell library: scripts/demo.sh and the end-to-end
# test (tests/system/e2e_network.sh) start and stop the same network with these functions, from
# the configurations in examples/network/ (copied to a scratch directory, every fixed port
# replaced by a free one).
#
#   cdns-authority  serves gba.example (dynamic; one TSIG key per center, each limited to its names)
#   per center (sz1 hk1 gz1 dg1): cdns-relay (local backend) and cdns-publish (static figures,
#                   the relay's queue, and its load read by an exec collector from load.txt)
#   cdns-resolver   follows the zone by NOTIFY and IXFR (examples/resolver.json: a chain per policy)
#   net_secondary:  a Knot secondary fed by NOTIFY/IXFR, and a second resolver that follows it
#
# Needs tests/system/lib.sh sourced first (TMP, PIDS, free ports, start_authority, start_knotd)
# and the binaries in CDNS_AUTHORITY, CDNS_RESOLVER, CDNS_RELAY, CDNS_PUBLISH.

NET_SRC=${NET_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/examples}
NET_CENTERS=(sz1 hk1 gz1 dg1)
NET_DAEMONS=()  # "name pid", in start order; net_stop stops them in reverse

# net_daemon NAME CMD...: starts a daemon in its own session (Ctrl-C in the terminal reaches only
# this script, which stops the network in order); sets NET_PID.
net_daemon() {
  local name=$1; shift
  setsid "$@" &
  NET_PID=$!
  PIDS+=("$NET_PID")
  NET_DAEMONS+=("$name $NET_PID")
}

# net_ready FILE WHAT: waits (10 s at most) for a daemon's ready file.
net_ready() {
  for _ in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.1; done
  fail "$2 did not start (no ready file)"
}

# net_no_fixed_ports FILE: a configuration copied from examples/ must not keep a fixed port.
net_no_fixed_ports() {
  if grep -nE '127\.0\.0\.1:(5300|5353|5354|9153|9154|844[0-9])|"port": 844[0-9]' "$1"; then
    fail "$1 still has a fixed port of the example configuration"
  fi
}

# net_account: the Unix account relays run jobs as (the relay can switch accounts only as root).
net_account() {
  if [ "$(id -u)" = 0 ]; then echo nobody; else id -un; fi
}

# net_start: the whole network. Sets NET (its directory), AUTH_PORT, RES_PORT, RES_NOTIFY,
# <center>_RELAY (the relay's URL), NET_TOKEN (a token for the network user alice, good at every
# relay). Returns once the resolver knows every center.
net_start() {
  NET=$TMP/net
  mkdir -p "$NET"
  chmod 755 "$TMP" "$NET"  # the job account must reach the job directories
  cp "$NET_SRC/network/gba.example.zone" "$NET/"
  sed 's/"listen": \["127.0.0.1:5300"\],/"listen": [],/; s/"127.0.0.1:9153"/"127.0.0.1:0"/; s/"notify": \["127.0.0.1:5354"\],/"notify": [],/' \
    "$NET_SRC/network/authority.json" >"$NET/authority.json"
  net_no_fixed_ports "$NET/authority.json"

  # The authority, on a free port.
  local ready="$NET/authority.ready"
  net_daemon authority "$CDNS_AUTHORITY" --config "$NET/authority.json" --listen 127.0.0.1:0 --ready-file "$ready" \
    >"$TMP/authority.log" 2>&1
  AUTH_PID=$NET_PID
  net_ready "$ready" cdns-authority
  AUTH_PORT=$(awk '$1=="udp" {print $3; exit}' "$ready")
  AUTH_METRICS=$(awk '$1=="metrics" {print $3; exit}' "$ready")

  # The resolver, following the authority; then the authority is told where to send NOTIFY.
  net_resolver resolver "127.0.0.1:$AUTH_PORT"
  RES_PORT=$NET_RES_PORT RES_NOTIFY=$NET_RES_NOTIFY RES_PID=$NET_PID
  sed -i "s/\"notify\": \[\],/\"notify\": [\"127.0.0.1:$RES_NOTIFY\"],/" "$NET/authority.json"
  kill -HUP "$AUTH_PID"

  # One relay per center, all trusting the same token key (the network's), jobs run as $account.
  local account; account=$(net_account)
  "$CDNS_RELAY" keygen >"$NET/relay.key"
  local c
  for c in "${NET_CENTERS[@]}"; do
    mkdir -p "$NET/$c"
    chmod 755 "$NET/$c"
    sed -E "s/\"127.0.0.1:844[0-9]\"/\"127.0.0.1:0\"/; s/\"alice\": \"cdnsjob\"/\"alice\": \"$account\"/" \
      "$NET_SRC/network/$c/relay.json" >"$NET/$c/relay.json"
    net_no_fixed_ports "$NET/$c/relay.json"
    net_daemon "relay-$c" "$CDNS_RELAY" --config "$NET/$c/relay.json" --ready-file "$NET/$c/relay.ready" \
      >"$TMP/relay-$c.log" 2>&1
    net_ready "$NET/$c/relay.ready" "cdns-relay of $c"
    local port; port=$(awk '$1=="http" {print $3; exit}' "$NET/$c/relay.ready")
    printf -v "${c}_RELAY" 'http://127.0.0.1:%s' "$port"
    # The publisher of the center: the authority's port, its relay's port.
    sed -E "s/127\.0\.0\.1:5300/127.0.0.1:$AUTH_PORT/; s/127\.0\.0\.1:844[0-9]/127.0.0.1:$port/; s/\"port\": 844[0-9]/\"port\": $port/" \
      "$NET_SRC/network/$c/publisher.json" >"$NET/$c/publisher.json"
    net_no_fixed_ports "$NET/$c/publisher.json"
    cp "$NET_SRC/network/$c/load.txt" "$NET/$c/load.txt"
  done
  NET_TOKEN=$("$CDNS_RELAY" token --key-file "$NET/relay.key" --user alice --ttl 86400)

  # The publishers, each in its center's directory (its exec collector reads ./load.txt).
  for c in "${NET_CENTERS[@]}"; do
    net_daemon "publisher-$c" env -C "$NET/$c" "$CDNS_PUBLISH" --config "$NET/$c/publisher.json" \
      >"$TMP/publisher-$c.log" 2>&1
  done

  # Ready when the resolver has every center's capacity and its service pointer.
  for c in "${NET_CENTERS[@]}"; do
    wait_for net_resolver_has "$RES_PORT" "$c" || fail "the resolver never learned center $c"
  done
}

# net_resolver_has PORT CENTER: the resolver on PORT has CENTER's capacity and service address.
net_resolver_has() {
  "$CDIG" @127.0.0.1 -p "$1" "$2.centers.gba.example" CAP +short +timeout=1 | grep -q . &&
    "$CDIG" @127.0.0.1 -p "$1" "infer.$2.centers.gba.example" A +short +timeout=1 | grep -q .
}

# net_resolver NAME PRIMARY: a cdns-resolver from examples/resolver.json following PRIMARY
# (ADDR:PORT) on free ports; sets NET_RES_PORT, NET_RES_NOTIFY, NET_PID.
net_resolver() {
  local name=$1 primary=$2
  sed "s/\"127.0.0.1:5353\"/\"127.0.0.1:0\"/; s/\"127.0.0.1:5300\"/\"$primary\"/; s/\"127.0.0.1:5354\"/\"127.0.0.1:0\"/; s/\"127.0.0.1:9154\"/\"127.0.0.1:0\"/" \
    "$NET_SRC/resolver.json" >"$NET/$name.json"
  net_no_fixed_ports "$NET/$name.json"
  net_daemon "$name" "$CDNS_RESOLVER" --config "$NET/$name.json" --ready-file "$NET/$name.ready" >"$TMP/$name.log" 2>&1
  net_ready "$NET/$name.ready" "cdns-resolver ($name)"
  NET_RES_PORT=$(awk '$1=="udp" {print $3; exit}' "$NET/$name.ready")
  NET_RES_NOTIFY=$(awk '$1=="notify" {print $3; exit}' "$NET/$name.ready")
}

# net_secondary: a Knot secondary of the authority (NOTIFY, then IXFR, signed with xfr.) that
# itself notifies a second resolver following it. Sets KNOT_PORT, RES2_PORT.
net_secondary() {
  local secret
  secret=$(sed -n 's/.*"name": "xfr.", "algorithm": "hmac-sha256", "secret": "\([^"]*\)".*/\1/p' "$NET/authority.json")
  [ -n "$secret" ] || fail "no xfr. key in $NET/authority.json"
  KNOT_KEY="hmac-sha256:xfr.:$secret" start_knotd gba.example "$NET/secondary.zone" "127.0.0.1@$AUTH_PORT"
  NET_DAEMONS+=("knotd $KNOT_PID")
  # Transfers from the secondary are signed with xfr. too.
  sed -i 's/^    action: transfer$/    action: transfer\n    key: xfr./' "$KNOT_DIR/knot.conf"
  knotc -c "$KNOT_DIR/knot.conf" reload >"$TMP/knotc.log" 2>&1 || fail "knotd did not reload its configuration"
  net_resolver resolver2 "127.0.0.1:$KNOT_PORT"
  RES2_PORT=$NET_RES_PORT
  # The primary notifies the secondary; the secondary notifies the second resolver.
  sed -i "s/\"notify\": \[\"127.0.0.1:$RES_NOTIFY\"\],/\"notify\": [\"127.0.0.1:$RES_NOTIFY\", \"127.0.0.1:$KNOT_PORT\"],/" "$NET/authority.json"
  kill -HUP "$AUTH_PID"
  sed -i "s/^  - id: primary$/  - id: downstream\n    address: 127.0.0.1@$NET_RES_NOTIFY\n    key: xfr.\n  - id: primary/; s/^    master: primary$/    master: primary\n    notify: downstream/" \
    "$KNOT_DIR/knot.conf"
  knotc -c "$KNOT_DIR/knot.conf" reload >"$TMP/knotc.log" 2>&1 || fail "knotd did not take the notify target"
  for c in "${NET_CENTERS[@]}"; do
    wait_for net_resolver_has "$RES2_PORT" "$c" || fail "the resolver behind knotd never learned center $c"
  done
}

# net_choice PORT POLICY: the center the resolver on PORT chooses for the service infer.
net_choice() {
  "$CDIG" @127.0.0.1 -p "$1" infer.svc.gba.example A "+req=policy=$2" +short +timeout=2 |
    sed -n 's/^infer\.\([a-z0-9-]*\)\.centers\.gba\.example\.$/\1/p' | head -1
}

# net_set_load CENTER LOAD: the center's load probe reports LOAD from now on.
net_set_load() {
  echo "cap.load=$2" >"$NET/$1/load.txt.tmp"
  mv "$NET/$1/load.txt.tmp" "$NET/$1/load.txt"
}

# net_stop: stops every daemon, newest first (the publishers withdraw their centers while the
# authority still runs), and waits for each. Sets NET_STOP_FAILED to the daemons that did not exit
# with status 0. Safe to call twice.
net_stop() {
  NET_STOP_FAILED=""
  local i name pid rc
  for (( i = ${#NET_DAEMONS[@]} - 1; i >= 0; i-- )); do
    read -r name pid <<<"${NET_DAEMONS[$i]}"
    kill -TERM "$pid" 2>/dev/null || continue
    rc=0
    wait "$pid" 2>/dev/null || rc=$?
    [ "$rc" = 0 ] || NET_STOP_FAILED+=" $name(status $rc)"
  done
  NET_DAEMONS=()
}

# net_trap: stop the network in order on every exit (also Ctrl-C and SIGTERM), then lib.sh's
# cleanup (which kills whatever is left and removes the scratch directory).
net_exit() {
  local rc=$?
  trap - INT TERM
  set +e  # cleanup reads the status from $?
  net_stop
  (exit "$rc")
  cleanup
}
net_trap() {
  trap net_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# net_leftovers: processes still running whose command line names the network's directory.
net_leftovers() {
  [ -n "${NET:-}" ] || return 0
  pgrep -af -- "$NET/" || true
}
