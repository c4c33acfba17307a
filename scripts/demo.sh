#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs a small compute network on 127.0.0.1
# from the configurations in examples/network/ (see scripts/network.sh):
#   cdns-authority serving gba.example; four centers, each a cdns-relay (local backend) and a
#   cdns-publish agent: sz1 fast but pricey, hk1 green but busy, gz1 cheap but far, dg1 near but
#   small; cdns-resolver following the zone by NOTIFY and IXFR, with a policy chain per policy.
# It shows each policy choosing its center (and why), runs a job through cdns-submit where the
# resolver sent it, raises sz1's load and shows the answer move, then stops everything (also on
# Ctrl-C) and checks that nothing is left running.
#   scripts/demo.sh [--keep] [--no-build]
#     --keep      leave the network running, print commands to try by hand; Ctrl-C stops it
#     --no-build  use the binaries already built (in $CDNS_BUILD_DIR, default build/dev)
set -euo pipefail
cd "$(dirname "$0")/.."
KEEP=0 BUILD=1
for a in "$@"; do
  case $a in
    --keep) KEEP=1 ;;
    --no-build) BUILD=0 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo.sh: unknown option $a (see --help)" >&2; exit 2 ;;
  esac
done
if [ "$BUILD" = 1 ]; then
  scripts/setup.sh
  scripts/build.sh dev >/dev/null
fi
B=$(cd "${CDNS_BUILD_DIR:-build/dev}" && pwd)
CDNS_AUTHORITY=$B/authority/cdns-authority CDNS_RESOLVER=$B/resolver/cdns-resolver
CDNS_RELAY=$B/relay/cdns-relay CDNS_PUBLISH=$B/publisher/cdns-publish
CDIG=$B/clients/cdig SUBMIT=$B/clients/cdns-submit
for b in "$CDNS_AUTHORITY" "$CDNS_RESOLVER" "$CDNS_RELAY" "$CDNS_PUBLISH" "$CDIG" "$SUBMIT"; do
  [ -x "$b" ] || { echo "demo.sh: $b is not built (run without --no-build)" >&2; exit 1; }
done
. tests/system/lib.sh
. scripts/network.sh
net_trap

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
choices() {  # choices PORT: the center each policy chooses for the service infer
  local p
  for p in default price green near; do printf '  policy %-8s -> %s\n' "$p" "$(net_choice "$1" "$p")"; done
}
explain() {  # explain PORT POLICY: the resolver's explanation table
  "$CDIG" @127.0.0.1 -p "$1" infer.svc.gba.example A "+req=policy=$2" +explain |
    sed -n '/^;; EXPLANATION:/,/^candidates:/p' | sed '1d;$d; s/^/  /'
}

say "1. start the network on 127.0.0.1 (configurations from examples/network/, free ports)"
net_start
echo "  cdns-authority  gba.example on port $AUTH_PORT (metrics on $AUTH_METRICS)"
echo "  cdns-resolver   port $RES_PORT, follows the authority (NOTIFY to port $RES_NOTIFY, then IXFR)"
for c in "${NET_CENTERS[@]}"; do
  v=${c}_RELAY
  echo "  center $c      cdns-relay ${!v}, cdns-publish (signed updates with key $c.)"
done

say "2. what the centers published, read from the authority"
"$CDIG" @127.0.0.1 -p "$AUTH_PORT" gba.example +centers | sed 's/^/  /'

say "3. the service \"infer\": one name, a different center for each policy"
choices "$RES_PORT"
echo
echo "  why sz1 for the default chain (cdig +explain):"
explain "$RES_PORT" default
echo
echo "  why gz1 for policy price:"
explain "$RES_PORT" price

say "4. a job through cdns-submit: the resolver chooses, the chosen center's relay runs it"
export CDNS_RESOLVER=127.0.0.1:$RES_PORT CDNS_ZONE=gba.example CDNS_TOKEN=$NET_TOKEN
# The demo's relays speak plain HTTP on loopback; say so instead of trying HTTPS first.
# Each job prints where it ran: its working directory below the network's scratch directory.
JOB='echo "hello from job $CDNS_JOB_ID, run as $(id -un) in ${PWD#*/net/}"'
echo "  \$ cdns-submit --service infer --relay-scheme http -- sh -c '$JOB'"
"$SUBMIT" --service infer --relay-scheme http -- sh -c "$JOB" 2>&1 | sed 's/^/  /'
echo "  \$ cdns-submit --service infer --policy price --relay-scheme http -- sh -c '$JOB'"
"$SUBMIT" --service infer --policy price --relay-scheme http -- sh -c "$JOB" 2>&1 | sed 's/^/  /'

say "5. sz1 gets busy: its load probe now reads 0.95; its agent publishes, the answer moves"
t0=$(date +%s%N)
net_set_load sz1 0.95
moved=""
for _ in $(seq 200); do
  moved=$(net_choice "$RES_PORT" default)
  [ -n "$moved" ] && [ "$moved" != sz1 ] && break
  sleep 0.02
done
[ "$moved" != sz1 ] || fail "the default choice did not move off sz1"
echo "  policy default  -> $moved, $(ms_since "$t0") ms after the load changed"
echo "  sz1's capacity at the authority: $("$CDIG" @127.0.0.1 -p "$AUTH_PORT" sz1.centers.gba.example CAP +short)"
explain "$RES_PORT" default

if [ "$KEEP" = 1 ]; then
  say "the network keeps running in $NET; try (Ctrl-C stops everything):"
  cat <<EOF
  export CDNS_RESOLVER=127.0.0.1:$RES_PORT CDNS_ZONE=gba.example CDNS_TOKEN=$NET_TOKEN
  $CDIG @127.0.0.1 -p $AUTH_PORT gba.example +centers
  $CDIG @127.0.0.1 -p $RES_PORT infer.svc.gba.example A +explain
  $CDIG @127.0.0.1 -p $RES_PORT infer.svc.gba.example A +req=policy=green +explain
  $CDIG @127.0.0.1 -p $RES_PORT gpu-4.infer.svc.gba.example A +explain
  $CDIG @127.0.0.1 -p $AUTH_PORT hk1.centers.gba.example ENERGY
  $SUBMIT --service infer --relay-scheme http --explain -- sh -c 'echo hello from \$(pwd)'
  $SUBMIT --service infer --policy near --relay-scheme http --detach -- sleep 30
  echo cap.load=0.10 > $NET/sz1/load.txt     # sz1's load probe: the default choice comes back
  curl -s http://127.0.0.1:$AUTH_METRICS/metrics | grep '^cdns_'
EOF
  STOP=0
  trap 'STOP=1' INT TERM
  while [ "$STOP" = 0 ]; do sleep 1 || true; done
  echo
fi

say "6. stop: the agents withdraw their centers, then every daemon stops"
net_stop
[ -z "$NET_STOP_FAILED" ] || fail "did not stop cleanly:$NET_STOP_FAILED"
left=$(net_leftovers)
[ -z "$left" ] || fail "still running: $left"
echo "  every daemon exited with status 0; nothing of the network is left running"
