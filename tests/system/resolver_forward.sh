#!/usr/bin/env bash
# System test of cdns-resolver's forwarding: names outside the compute zone go to an upstream
# (knotd on loopback) and come back to dig, kdig and getaddrinfo with RA set and AA clear; a
# truncated upstream answer is fetched again over TCP; answers and NXDOMAIN/NODATA are cached (still
# served once the upstream is gone, TTLs lowered by their age, gone after their TTL); an upstream
# that is gone or never answers gives SERVFAIL with an Extended DNS Error, within the client's
# timeout; a malformed query gets FORMERR; without "forward" those names stay REFUSED.
# usage: resolver_forward.sh CDNS_AUTHORITY CDNS_RESOLVER KNOTD KDIG FORWARD_PROBE DATA_DIR
CDNS_AUTHORITY=$1 RESOLVER=$2 KNOTD=$3 KDIG=$4 PROBE=$5 DATA=$6
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/resolver_lib.sh"

start_compute_zone "$DATA/resolver.zone"
cp "$DATA/forward.zone" "$TMP/forward.zone"
start_knotd example.test. "$TMP/forward.zone"
start_resolver res "{\"upstreams\": [\"127.0.0.1:$KNOT_PORT\"], \"timeout_ms\": 500, \"attempts\": 2}"
MAIN_PID=$RES_PID MAIN_PORT=$RP

q() { dig @127.0.0.1 -p "$RP" +tries=1 +timeout=5 "$@"; }
answer() { q +noall +answer "$@"; }

# Forwarded answers, to dig and kdig, over UDP and TCP.
out=$(q www.example.test A)
grep -q 'status: NOERROR' <<<"$out" && grep -q 'flags: qr rd ra;' <<<"$out" || fail "forwarded answer flags: $out"
[ "$(answer www.example.test A)" = "$(printf 'www.example.test.\t3600\tIN\tA\t192.0.2.80')" ] || fail "www A: $(answer www.example.test A)"
[ "$($KDIG @127.0.0.1 -p "$RP" +short www.example.test AAAA)" = "2001:db8::80" ] || fail "kdig AAAA"
[ "$($KDIG @127.0.0.1 -p "$RP" +tcp +short alias.example.test A | tr '\n' ' ')" = "www.example.test. 192.0.2.80 " ] ||
  fail "kdig +tcp CNAME: $($KDIG @127.0.0.1 -p "$RP" +tcp +short alias.example.test A)"
[ "$(q +short WWW.Example.TEST A)" = "192.0.2.80" ] || fail "mixed case"
# The TXT RRset is larger than the 1232 bytes we accept over UDP: the upstream truncates and the
# answer comes over TCP; to a UDP client it is truncated in turn, and dig retries over TCP.
[ "$(q +tcp +short big.example.test TXT | wc -l)" = 8 ] || fail "big TXT over TCP: $(q +tcp big.example.test TXT)"
out=$(q +ignore +bufsize=1232 big.example.test TXT)
grep -q 'flags: qr tc rd ra;' <<<"$out" || fail "big TXT over UDP must be truncated: $out"
[ "$($KDIG @127.0.0.1 -p "$RP" +short big.example.test TXT | grep -c '^"')" = 8 ] || fail "kdig big TXT (TC, then TCP)"
# Negative answers carry the SOA with the negative TTL, min(SOA TTL, MINIMUM) = 300 (RFC 2308 §5).
out=$(q nx.example.test A)
grep -q 'status: NXDOMAIN' <<<"$out" || fail "NXDOMAIN: $out"
grep -qE '^example\.test\.[[:space:]]+300[[:space:]]+IN[[:space:]]+SOA' <<<"$out" || fail "NXDOMAIN SOA TTL: $out"
out=$(q www.example.test TXT)
grep -q 'status: NOERROR' <<<"$out" && grep -q 'ANSWER: 0' <<<"$out" && grep -q 'IN[[:space:]]SOA' <<<"$out" || fail "NODATA: $out"
# The compute zone is still the resolver's own, authoritative answer.
[ "$(q +short infer.svc.gba.example A | head -1)" = "infer.sz1.centers.gba.example." ] || fail "compute zone"

# getaddrinfo (glibc's stub resolver) through the resolver: a service name gets the chosen
# center's address, an ordinary name the upstream's addresses.
out=$("$PROBE" gai "$RP" infer.svc.gba.example) || fail "getaddrinfo infer.svc.gba.example: $out"
grep -qx 'canonical infer.sz1.centers.gba.example' <<<"$out" && grep -qx 'address 192.0.2.10' <<<"$out" ||
  fail "getaddrinfo of the service: $out"
out=$("$PROBE" gai "$RP" www.example.test) || fail "getaddrinfo www.example.test: $out"
grep -qx 'address 192.0.2.80' <<<"$out" && grep -qx 'address 2001:db8::80' <<<"$out" || fail "getaddrinfo of www: $out"

# A malformed query (two questions announced, one sent) gets FORMERR, and the server stays up.
hex=$("$PROBE" send "$RP" 12340100000200000000000003777777076578616d706c6504746573740000010001 || true)
[ $(( 0x${hex:6:2} & 15 )) = 1 ] || fail "malformed query: reply $hex"
q +short www.example.test A >/dev/null || fail "no answer after the malformed query"

# The cache: answers go on once the upstream is gone, with TTLs lowered by their age.
q +short short.example.test A >/dev/null  # TTL 2: expires below
sleep 1.1
ttl=$(answer www.example.test A | awk '{print $2}')
[ "$ttl" -lt 3600 ] || fail "the cached TTL did not go down: $ttl"
kill "$KNOT_PID"
wait "$KNOT_PID" 2>/dev/null || true
[ "$(q +short www.example.test A)" = "192.0.2.80" ] || fail "www A not served from the cache"
[ "$($KDIG @127.0.0.1 -p "$RP" +tcp +short alias.example.test A | tail -1)" = "192.0.2.80" ] || fail "alias not cached"
[ "$(q +tcp +short big.example.test TXT | wc -l)" = 8 ] || fail "big TXT not cached"
out=$(q nx.example.test A)
grep -q 'status: NXDOMAIN' <<<"$out" || fail "NXDOMAIN not cached: $out"
ttl=$(awk '$4=="SOA"{print $2}' <<<"$(q +noall +authority nx.example.test A)")
[ "$ttl" -lt 300 ] || fail "the negative TTL did not go down: $ttl"
out=$(q www.example.test TXT)
grep -q 'status: NOERROR' <<<"$out" && grep -q 'ANSWER: 0' <<<"$out" || fail "NODATA not cached: $out"
# A name never asked, and one whose TTL ran out, need the upstream: SERVFAIL with an EDE.
out=$(q new.example.test A)
grep -q 'status: SERVFAIL' <<<"$out" && grep -qE 'EDE: 2[23] ' <<<"$out" || fail "upstream gone: $out"
sleep 2.1
out=$(q short.example.test A)
grep -q 'status: SERVFAIL' <<<"$out" || fail "short.example.test outlived its TTL of 2 s: $out"

# An upstream that never answers: SERVFAIL with EDE 22 once the resolver's timeout passes, well
# within dig's 5 s.
"$PROBE" blackhole "$TMP/hole.port" &
PIDS+=($!)
for _ in $(seq 50); do [ -s "$TMP/hole.port" ] && break; sleep 0.1; done
HOLE=$(cat "$TMP/hole.port")
start_resolver hole "{\"upstreams\": [\"127.0.0.1:$HOLE\"], \"timeout_ms\": 300, \"attempts\": 2}"
out=$(q www.example.test A)
grep -q 'status: SERVFAIL' <<<"$out" || fail "silent upstream: $out"
grep -q "EDE: 22 (No Reachable Authority): (no answer from 127.0.0.1:$HOLE in time)" <<<"$out" || fail "silent upstream EDE: $out"
q +short infer.svc.gba.example A | grep -q '^infer\.' || fail "compute zone answers while the upstream is silent"
# A query still waiting for the upstream when the resolver stops: it stops cleanly.
q +timeout=1 other.example.test A >/dev/null 2>&1 &
sleep 0.1
stop_clean "$RES_PID" "cdns-resolver (silent upstream)"

# Without "forward", names outside the compute zones stay REFUSED.
start_resolver plain
grep -q 'status: REFUSED' <<<"$(q www.example.test A)" || fail "no forward config: $(q www.example.test A)"
stop_clean "$RES_PID" "cdns-resolver (no forwarding)"

stop_clean "$MAIN_PID" "cdns-resolver"
stats=$(grep 'resolver.forward' "$TMP/res.log" | grep 'stopped') || fail "no forwarding statistics in the log"
hits=$(sed -n 's/.*cache_hits=\([0-9]*\).*/\1/p' <<<"$stats")
[ "${hits:-0}" -ge 7 ] || fail "expected cache hits in: $stats"
echo "resolver forwarding: dig, kdig and getaddrinfo answered; cache served $hits answers; SERVFAIL+EDE for a gone and a silent upstream"
