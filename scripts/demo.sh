#!/usr/bin/env bash
# The main job: sets up, builds and runs the most end-to-end path that exists today: cdns-authority
# serves the example compute zone (three centers: sz1 fast but busy-ish, hk1 green but busy, gz1
# cheap but far); a Knot secondary and cdns-resolver follow it by NOTIFY and IXFR; the resolver
# answers one service name with a different center for each policy; a center publishes new
# capacity as a TSIG-signed RFC 2136 update and the resolver's answer moves; a center reaching for
# another's records is refused. Everything runs on 127.0.0.1 and stops at the end (or on Ctrl-C).
# (Jobs through the relay and cdns-submit come with the remaining components.)
#   scripts/demo.sh [--keep]    --keep: leave the network running until Ctrl-C
set -euo pipefail
cd "$(dirname "$0")/.."
KEEP=0
[ "${1:-}" = "--keep" ] && KEEP=1
scripts/setup.sh
scripts/build.sh dev >/dev/null
BIN=$PWD/build/dev
RRCONV=$BIN/rrtypes/cdns-rrconv
CDNS_AUTHORITY=$BIN/authority/cdns-authority
RESOLVER=$BIN/resolver/cdns-resolver
. tests/system/lib.sh

# The example configuration, run from a scratch copy (the authority writes the zone back).
mkdir -p "$TMP/net/zones"
cp examples/zones/gba.example.zone "$TMP/net/zones/"
sed 's/"listen": \["127.0.0.1:5300"\],/"listen": [],/; s/"127.0.0.1:9153"/"127.0.0.1:0"/' examples/authority.json >"$TMP/net/authority.json"
start_authority --config "$TMP/net/authority.json"
P=$AUTH_PORT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
key() { sed -n "s/.*\"name\": \"$1\", \"algorithm\": \"hmac-sha256\", \"secret\": \"\([^\"]*\)\".*/\1/p" examples/authority.json; }

say "1. cdns-authority serves gba.example on 127.0.0.1 port $P; sz1's capacity, decoded"
kdig @127.0.0.1 -p "$P" sz1.centers.gba.example TYPE65281 +noall +answer | "$RRCONV"

say "2. a Knot secondary transfers the zone and is told of every change by NOTIFY"
KNOT_KEY="hmac-sha256:xfr.:$(key xfr.)" start_knotd gba.example "$TMP/secondary.zone" "127.0.0.1@$P"
SECONDARY=$KNOT_PORT
echo "knotd on port $SECONDARY holds serial $(kdig @127.0.0.1 -p "$SECONDARY" gba.example SOA +short | awk '{print $3}')"

say "3. cdns-resolver follows the zone too; each policy picks its center for the service \"infer\""
sed "s/\"127.0.0.1:5353\"/\"127.0.0.1:0\"/; s/\"127.0.0.1:5300\"/\"127.0.0.1:$P\"/; s/\"127.0.0.1:5354\"/\"127.0.0.1:0\"/" \
  examples/resolver.json >"$TMP/net/resolver.json"
"$RESOLVER" --config "$TMP/net/resolver.json" --ready-file "$TMP/resolver.ready" >"$TMP/resolver.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$TMP/resolver.ready" ] && break; sleep 0.1; done
RP=$(awk '$1=="udp"{print $3}' "$TMP/resolver.ready")
RN=$(awk '$1=="notify"{print $3}' "$TMP/resolver.ready")
sed -i "s/\"notify\": \[\]/\"notify\": [\"127.0.0.1:$SECONDARY\", \"127.0.0.1:$RN\"]/" "$TMP/net/authority.json"
sed -i 's/"notify": \[/"notify_key": "xfr.", "notify": [/' "$TMP/net/authority.json"
kill -HUP "$AUTH_PID"
sleep 0.3
for q in infer policy-price.infer policy-green.infer policy-near.infer gpu-8.infer; do
  printf '  %-22s -> %s\n' "$q.svc" "$(dig @127.0.0.1 -p "$RP" +short "$q.svc.gba.example" A | tr '\n' ' ')"
done
out=$(dig @127.0.0.1 -p "$RP" gpu-100.infer.svc.gba.example A)
printf '  %-22s -> %s\n' "gpu-100.infer.svc" "$(grep -o 'status: [A-Z]*' <<<"$out"), $(grep -o 'EDE: .*' <<<"$out")"

say "4. center sz1 publishes new capacity: one signed update replacing its CAP record"
NEWCAP="cpu=512/4096 gpu=H200:4/64 mem=20T/32T load=0.88 queue=17 running=60 ts=$(date +%s)"
echo "sz1.centers.gba.example. 60 IN CAP $NEWCAP"
GENERIC=$("$RRCONV" --type CAP --to generic "$NEWCAP")
printf 'server 127.0.0.1 %s\nzone gba.example\nupdate delete sz1.centers.gba.example TYPE65281\nupdate add sz1.centers.gba.example 60 TYPE65281 %s\nsend\nanswer\n' \
  "$P" "$GENERIC" | knsupdate -y "hmac-sha256:sz1.:$(key sz1.)" | grep -E 'status|ERROR' || true

say "5. at once: the primary answers with the new record and a higher serial"
kdig @127.0.0.1 -p "$P" sz1.centers.gba.example TYPE65281 +noall +answer | "$RRCONV"
kdig @127.0.0.1 -p "$P" gba.example SOA +short

say "6. the Knot secondary has it too, by IXFR"
for _ in $(seq 50); do
  [ "$(kdig @127.0.0.1 -p "$SECONDARY" gba.example SOA +short)" = "$(kdig @127.0.0.1 -p "$P" gba.example SOA +short)" ] && break
  sleep 0.1
done
kdig @127.0.0.1 -p "$SECONDARY" sz1.centers.gba.example TYPE65281 +noall +answer | "$RRCONV"
grep -h 'IXFR, incoming' "$TMP"/knot.*/knotd.log | tail -1 | sed 's/^.*\] //'

say "7. the resolver's answer moved: sz1 is busier now (load 0.88), the least loaded is gz1"
for _ in $(seq 50); do
  [ "$(dig @127.0.0.1 -p "$RP" +short infer.svc.gba.example A | head -1)" != "infer.sz1.centers.gba.example." ] && break
  sleep 0.05
done
printf '  %-22s -> %s\n' "infer.svc" "$(dig @127.0.0.1 -p "$RP" +short infer.svc.gba.example A | tr '\n' ' ')"

say "8. center sz1 tries to change hk1's record: refused, zone untouched"
printf 'server 127.0.0.1 %s\nzone gba.example\nupdate add hk1.centers.gba.example 60 TYPE65281 \\# 8 0007000400000000\nsend\n' \
  "$P" | knsupdate -y "hmac-sha256:sz1.:$(key sz1.)" 2>&1 | grep -E 'ERROR|REFUSED' || true
kdig @127.0.0.1 -p "$P" gba.example SOA +short

if [ "$KEEP" = 1 ]; then
  say "the network keeps running; try:"
  echo "  kdig @127.0.0.1 -p $P sz1.centers.gba.example TYPE65281 | $RRCONV"
  echo "  kdig @127.0.0.1 -p $P gba.example AXFR | $RRCONV"
  echo "  kdig @127.0.0.1 -p $SECONDARY gba.example SOA"
  echo "  dig @127.0.0.1 -p $RP policy-price.infer.svc.gba.example A"
  echo "  build/dev/clients/cdig @127.0.0.1 -p $P gba.example +centers"
  echo "Ctrl-C stops everything."
  wait "$AUTH_PID"
fi
say "demo: done; stopping cdns-authority, cdns-resolver and knotd"
