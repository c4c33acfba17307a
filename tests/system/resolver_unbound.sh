#!/usr/bin/env bash
# Interop test: Unbound (as Debian ships it) forwards the compute zone, and every other name, to
# cdns-resolver, which forwards ordinary names on to knotd. Unbound's clients get the same
# answers as cdns-resolver's own: the CNAME to the chosen center and its address, per policy; an
# unknown service is NXDOMAIN; an ordinary name resolves through both.
# usage: resolver_unbound.sh CDNS_AUTHORITY CDNS_RESOLVER KNOTD KDIG UNBOUND DATA_DIR
CDNS_AUTHORITY=$1 RESOLVER=$2 KNOTD=$3 KDIG=$4 UNBOUND=$5 DATA=$6
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/resolver_lib.sh"

start_compute_zone "$DATA/resolver.zone"
cp "$DATA/forward.zone" "$TMP/forward.zone"
start_knotd example.test. "$TMP/forward.zone"
start_resolver res "{\"upstreams\": [\"127.0.0.1:$KNOT_PORT\"]}"

# Unbound without a validator or root trust anchor, in the foreground, on a free loopback port.
for _ in 1 2 3; do
  UP=$(free_port)
  cat >"$TMP/unbound.conf" <<CONF
server:
    module-config: "iterator"
    do-daemonize: no
    chroot: ""
    username: ""
    directory: "$TMP"
    pidfile: "$TMP/unbound.pid"
    use-syslog: no
    logfile: ""
    verbosity: 1
    num-threads: 1
    interface: 127.0.0.1
    port: $UP
    do-ip6: no
    do-not-query-localhost: no
    access-control: 127.0.0.0/8 allow
    # "test." is one of Unbound's default local zones (RFC 6761); example.test comes from upstream.
    local-zone: "test." nodefault
forward-zone:
    name: "gba.example"
    forward-addr: 127.0.0.1@$RP
forward-zone:
    name: "."
    forward-addr: 127.0.0.1@$RP
remote-control:
    control-enable: no
CONF
  "$UNBOUND" -d -c "$TMP/unbound.conf" >"$TMP/unbound.log" 2>&1 &
  UNBOUND_PID=$!
  PIDS+=("$UNBOUND_PID")
  if wait_for dig @127.0.0.1 -p "$UP" +tries=1 +timeout=1 id.server CH TXT; then break; fi
  kill "$UNBOUND_PID" 2>/dev/null || true
  UNBOUND_PID=""
done
[ -n "$UNBOUND_PID" ] || fail "unbound did not start"

# The answer section (names, types, data; TTLs aside) and the rcode, from a server.
view() {
  local port=$1
  shift
  dig @127.0.0.1 -p "$port" +tries=1 +timeout=5 "$@" | awk '/status:/ {sub(/,.*/, "", $6); print $6} /^;/ || NF < 5 {next} {print $1, $3, $4, $5}'
}
same() {
  local direct via
  direct=$(view "$RP" "$@")
  via=$(view "$UP" "$@")
  [ "$direct" = "$via" ] || fail "$* differs: cdns-resolver gave
$direct
unbound gave
$via"
  echo "$via"
}

out=$(same infer.svc.gba.example A)
[ "$out" = "$(printf 'NOERROR\ninfer.svc.gba.example. IN CNAME infer.sz1.centers.gba.example.\ninfer.sz1.centers.gba.example. IN A 192.0.2.10')" ] ||
  fail "service through unbound: $out"
grep -q 'infer.gz1.centers.gba.example.' <<<"$(same policy-price.infer.svc.gba.example A)" || fail "policy label through unbound"
grep -qx 'NXDOMAIN' <<<"$(same train.svc.gba.example A)" || fail "unknown service through unbound"
grep -q '192.0.2.80' <<<"$(same www.example.test A)" || fail "forwarded name through unbound"
grep -q 'IN CNAME www.example.test.' <<<"$(same alias.example.test A)" || fail "forwarded CNAME through unbound"
grep -qx 'NXDOMAIN' <<<"$(same nx.example.test A)" || fail "forwarded NXDOMAIN through unbound"
stop_clean "$UNBOUND_PID" unbound
stop_clean "$RES_PID" cdns-resolver
echo "unbound: the same answers as cdns-resolver for services, policies, NXDOMAIN and forwarded names"
