#!/usr/bin/env bash
# System test of cdns-resolver: authority + resolver on loopback. Each policy picks its center
# for the same service; requirements travel as labels; nothing fitting is NODATA with an EDE that
# says why; an unknown service is NXDOMAIN; and a change published by update (NOTIFY + IXFR into
# the resolver's replica) changes the answer.
# usage: resolver_system.sh CDNS_AUTHORITY CDNS_RESOLVER NSUPDATE ZONEFILE
CDNS_AUTHORITY=$1 RESOLVER=$2 NSUPDATE=$3 SRC=$4
. "$(dirname "$0")/lib.sh"

SECRET=$(head -c 32 /dev/urandom | base64)
cp "$SRC" "$TMP/gba.zone"
authcfg() {
  cat >"$TMP/auth.json" <<JSON
{"keys": [{"name": "hk1.", "algorithm": "hmac-sha256", "secret": "$SECRET"}],
 "zones": [{"name": "gba.example.", "file": "$TMP/gba.zone", "notify": $1, "transfer": {"acl": ["127.0.0.1"]},
            "update": {"rules": [{"key": "hk1.", "name": "hk1.centers.gba.example.", "types": ["ANY"]}]}}]}
JSON
}
authcfg '[]'
start_authority --config "$TMP/auth.json"
cat >"$TMP/res.json" <<JSON
{"listen": ["127.0.0.1:0"], "zones": [{"name": "gba.example.", "primaries": ["127.0.0.1:$AUTH_PORT"], "notify_listen": "127.0.0.1:0"}],
 "ttl": 5,
 "chains": {"default": {"policies": [{"name": "fits"}, {"name": "load"}]},
            "price": {"policies": [{"name": "fits"}, {"name": "price"}]},
            "green": {"policies": [{"name": "fits"}, {"name": "energy"}]}},
 "services": {"infer": "default"}}
JSON
"$RESOLVER" --config "$TMP/res.json" --ready-file "$TMP/res.ready" >"$TMP/resolver.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$TMP/res.ready" ] && break; sleep 0.1; done
[ -s "$TMP/res.ready" ] || fail "cdns-resolver did not start"
RP=$(awk '$1=="udp"{print $3}' "$TMP/res.ready")
NP=$(awk '$1=="notify"{print $3}' "$TMP/res.ready")
authcfg "[\"127.0.0.1:$NP\"]"
kill -HUP "$AUTH_PID"
sleep 0.3

pick() { dig @127.0.0.1 -p "$RP" +short "$1" A | head -1; }
[ "$(pick infer.svc.gba.example)" = "infer.sz1.centers.gba.example." ] || fail "load: $(pick infer.svc.gba.example)"
[ "$(pick policy-price.infer.svc.gba.example)" = "infer.gz1.centers.gba.example." ] || fail "price"
[ "$(pick policy-green.infer.svc.gba.example)" = "infer.hk1.centers.gba.example." ] || fail "energy"
[ "$(pick gpu-12.policy-price.infer.svc.gba.example)" = "infer.sz1.centers.gba.example." ] || fail "gpu-12 with price"
[ "$(dig @127.0.0.1 -p "$RP" +short infer.svc.gba.example A | tail -1)" = "192.0.2.10" ] || fail "no address after the CNAME"
out=$(dig @127.0.0.1 -p "$RP" gpu-100.infer.svc.gba.example A)
grep -q 'status: NOERROR' <<<"$out" && grep -q 'ANSWER: 0' <<<"$out" || fail "nothing fits must be NODATA: $out"
grep -q 'no center left after fits (asked: gpu=100)' <<<"$out" || fail "the EDE does not say why: $out"
grep -q 'status: NXDOMAIN' <<<"$(dig @127.0.0.1 -p "$RP" train.svc.gba.example A)" || fail "unknown service must be NXDOMAIN"
[ -n "$(dig @127.0.0.1 -p "$RP" +short sz1.centers.gba.example TYPE65281)" ] || fail "compute zone data not served"
[ "$(dig @127.0.0.1 -p "$RP" +tcp +short infer.svc.gba.example A | head -1)" = "infer.sz1.centers.gba.example." ] || fail "TCP"

# hk1 becomes idle and the greenest: the default (load) answer moves to it, through the replica.
t0=$(date +%s%N)
printf 'server 127.0.0.1 %s\nzone gba.example\nupdate delete hk1.centers.gba.example TYPE65281\nupdate add hk1.centers.gba.example 60 TYPE65281 \\# 32 0001000800000800000008000006000800000000000000000007000400000000\nsend\n' \
  "$AUTH_PORT" | "$NSUPDATE" -y "hmac-sha256:hk1.:$SECRET"
for _ in $(seq 200); do [ "$(pick infer.svc.gba.example)" = "infer.hk1.centers.gba.example." ] && break; sleep 0.01; done
[ "$(pick infer.svc.gba.example)" = "infer.hk1.centers.gba.example." ] || fail "the answer did not follow the update: $(pick infer.svc.gba.example)"
echo "resolver: each policy chose its center; NODATA+EDE, NXDOMAIN; the answer followed an update in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
