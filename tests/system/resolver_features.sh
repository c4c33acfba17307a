#!/usr/bin/env bash
# System test of cdns-resolver's operator-facing features, with dig and curl as clients:
# SRV and SVCB answers, requirements and the explanation in EDNS options, EDNS Client Subnet
# mapped to access points, an external policy plug-in loaded from the configuration, the
# resolver's own probes of the centers' endpoints (on loopback), Prometheus metrics, and SIGHUP
# reloading the chains (a broken file changes nothing).
# usage: resolver_features.sh CDNS_AUTHORITY CDNS_RESOLVER PLUGIN ZONEFILE
CDNS_AUTHORITY=$1 RESOLVER=$2 PLUGIN=$3 SRC=$4
. "$(dirname "$0")/lib.sh"

# The test zone with the endpoints on loopback (the probes connect to them) and sz1 publishing
# the port of its "infer" endpoint.
sed 's/192\.0\.2\./127.0.0./' "$SRC" >"$TMP/gba.zone"
echo '_infer._tcp.sz1.centers SRV 0 0 9443 infer.sz1.centers' >>"$TMP/gba.zone"
cat >"$TMP/auth.json" <<JSON
{"zones": [{"name": "gba.example.", "file": "$TMP/gba.zone", "transfer": {"acl": ["127.0.0.1"]}}]}
JSON
start_authority --config "$TMP/auth.json"
rescfg() {
  cat >"$TMP/res.json" <<JSON
{"listen": ["127.0.0.1:0"], "metrics_listen": "127.0.0.1:0",
 "zones": [{"name": "gba.example.", "primaries": ["127.0.0.1:$AUTH_PORT"]}],
 "plugins": ["$PLUGIN"],
 "chains": {"default": {"policies": [{"name": "fits"}, {"name": "$1"}]},
            "near": {"policies": [{"name": "network"}]},
            "local": {"policies": [{"name": "affinity", "regions": ["guangzhou"], "bonus": 5}, {"name": "load"}]}},
 "services": {"infer": {"chain": "default", "port": 8443}},
 "access_points": [{"prefix": "10.1.0.0/16", "peer": "gz1"}, {"prefix": "2001:db8::/32", "peer": "hk1"}],
 "reservations": {"hold": 30},
 "probes": {"interval": 1, "timeout_ms": 500, "port": 9}}
JSON
}
rescfg load
"$RESOLVER" --check-config --config "$TMP/res.json" | grep -q "1 plug-in" || fail "--check-config with the plug-in"
"$RESOLVER" --config "$TMP/res.json" --ready-file "$TMP/res.ready" >"$TMP/resolver.log" 2>&1 &
RES_PID=$!
PIDS+=($RES_PID)
for _ in $(seq 100); do [ -s "$TMP/res.ready" ] && break; sleep 0.1; done
[ -s "$TMP/res.ready" ] || fail "cdns-resolver did not start: $(cat "$TMP/resolver.log")"
RP=$(awk '$1=="udp"{print $3}' "$TMP/res.ready")
MP=$(awk '$1=="metrics"{print $3}' "$TMP/res.ready")
q() { dig @127.0.0.1 -p "$RP" +time=2 +tries=1 "$@"; }
grep -q 'order=fits,load,select:best' "$TMP/resolver.log" || fail "the run order is not printed at start"

# SRV: sz1's own SRV record gives the port; SVCB carries port and address hints.
[ "$(q +short infer.svc.gba.example SRV)" = "0 0 9443 infer.sz1.centers.gba.example." ] || fail "SRV: $(q +short infer.svc.gba.example SRV)"
out=$(q infer.svc.gba.example SRV)
grep -Eq '^infer\.sz1\.centers\.gba\.example\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+A[[:space:]]+127\.0\.0\.10' <<<"$out" || fail "SRV additional address: $out"
svcb=$(q +short infer.svc.gba.example TYPE64)
grep -q 'infer.sz1.centers.gba.example' <<<"$svcb" || fail "SVCB: $svcb"

# Requirements in EDNS option 65001 ("gpu=A100:1" as hex), the explanation in 65002.
req=$(printf 'gpu=A100:1' | xxd -p)
[ "$(q +short +ednsopt=65001:$req infer.svc.gba.example A | head -1)" = "infer.hk1.centers.gba.example." ] || fail "EDNS requirements"
expl=$(q +ednsopt=65002 infer.svc.gba.example A)
grep -q '65002' <<<"$expl" || fail "no explanation option: $expl"

# Client subnet: 10.1.x.x is near gz1, 2001:db8::/32 near hk1; the scope comes back.
out=$(q +subnet=10.1.7.0/24 policy-near.infer.svc.gba.example A)
grep -q 'CLIENT-SUBNET: 10.1.7.0/24/24' <<<"$out" || fail "ECS not echoed with its scope: $out"
grep -Eq 'CNAME[[:space:]]+infer\.gz1\.centers' <<<"$out" || fail "ECS 10.1.7.0/24 should map to gz1: $out"
grep -Eq 'CNAME[[:space:]]+infer\.hk1\.centers' <<<"$(q +subnet=2001:db8:1::/48 policy-near.infer.svc.gba.example A)" || fail "ECS v6 -> hk1"

# The plug-in: a region bonus puts gz1 first; its own check refuses a bad config by path.
[ "$(q +short policy-local.infer.svc.gba.example A | head -1)" = "infer.gz1.centers.gba.example." ] || fail "plug-in chain"

# Probes: every center measured (connection refused on port 9 is an answer too).
for _ in $(seq 50); do
  [ "$(curl -s "http://127.0.0.1:$MP/metrics" | grep -c '^cdns_resolver_probe_rtt_ms')" = 3 ] && break
  sleep 0.1
done
m=$(curl -s "http://127.0.0.1:$MP/metrics")
[ "$(grep -c '^cdns_resolver_probe_rtt_ms' <<<"$m")" = 3 ] || fail "probe metrics: $m"
grep -q '^cdns_resolver_service_queries_total{outcome="answer"} [1-9]' <<<"$m" || fail "answer counter: $m"
grep -q '^cdns_resolver_chosen_total{zone="gba.example.",center="sz1"} [1-9]' <<<"$m" || fail "chosen counter: $m"
grep -q '^cdns_resolver_replica_serial{zone="gba.example."} 1$' <<<"$m" || fail "replica serial: $m"
grep -q '^cdns_resolver_held_cpus{zone="gba.example.",center="sz1"} [1-9]' <<<"$m" || fail "reservations: $m"
# Decisions came from plans: some built (a chain run in full), and repeated kinds reused them.
grep -q '^cdns_resolver_plans_total{zone="gba.example.",how="built"} [1-9]' <<<"$m" || fail "plans built: $m"
grep -q '^cdns_resolver_plans_total{zone="gba.example.",how="reused"} [0-9]' <<<"$m" || fail "plans reused: $m"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MP/nope")" = 404 ] || fail "metrics 404"

# SIGHUP: the default chain becomes price; gz1 is the cheapest.
rescfg price
kill -HUP "$RES_PID"
for _ in $(seq 50); do [ "$(q +short infer.svc.gba.example A | head -1)" = "infer.gz1.centers.gba.example." ] && break; sleep 0.1; done
[ "$(q +short infer.svc.gba.example A | head -1)" = "infer.gz1.centers.gba.example." ] || fail "SIGHUP did not apply the new chain"
# A broken file: logged, the old configuration stays, the resolver answers on.
rescfg cheapest
kill -HUP "$RES_PID"
for _ in $(seq 50); do grep -q 'configuration not reloaded' "$TMP/resolver.log" && break; sleep 0.1; done
grep -q 'unknown policy \\"cheapest\\"' "$TMP/resolver.log" || fail "the reload error does not name the problem: $(tail -3 "$TMP/resolver.log")"
[ "$(q +short infer.svc.gba.example A | head -1)" = "infer.gz1.centers.gba.example." ] || fail "a bad reload changed the answer"
grep -q '^cdns_resolver_reloads_total{result="failed"} 1' <<<"$(curl -s "http://127.0.0.1:$MP/metrics")" || fail "reload counter"
kill -TERM "$RES_PID"
wait "$RES_PID" || fail "cdns-resolver did not stop cleanly"
echo "resolver features: SRV/SVCB, EDNS requirements and explanation, ECS access points, plug-in, probes, metrics, SIGHUP"
