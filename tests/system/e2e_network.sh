#!/usr/bin/env bash
# End-to-end test of the whole network, started by the same library as scripts/demo.sh
# (scripts/network.sh, configurations from examples/network/): four centers publish, the resolver
# chooses a different center per policy and says why, cdns-submit runs a job at the chosen
# center's relay, a center's load goes up and the answer moves, and everything stops cleanly.
# Modes:
#   primary    the resolver follows cdns-authority (NOTIFY, IXFR)
#   secondary  a Knot secondary follows cdns-authority (NOTIFY, IXFR, TSIG) and a second resolver
#              follows the secondary: scale-out through a standard DNS server
#   demo       scripts/demo.sh --keep, stopped with Ctrl-C (SIGINT to its process group)
# usage: e2e_network.sh CDNS_AUTHORITY CDNS_RESOLVER CDNS_RELAY CDNS_PUBLISH CDIG CDNS_SUBMIT MODE
CDNS_AUTHORITY=$1 CDNS_RESOLVER=$2 CDNS_RELAY=$3 CDNS_PUBLISH=$4 CDIG=$5 SUBMIT=$6 MODE=${7:-primary}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/system/lib.sh"
. "$ROOT/scripts/network.sh"
net_trap

expect_choices() {  # expect_choices PORT WHAT: the winner of each policy
  local p want got
  for p in default:sz1 price:gz1 green:hk1 near:dg1; do
    want=${p#*:} got=$(net_choice "$1" "${p%:*}")
    [ "$got" = "$want" ] || fail "$2: policy ${p%:*} chose '$got', want $want"
  done
}
wait_choice() {  # wait_choice PORT POLICY WANT SECONDS
  for _ in $(seq $(( $4 * 10 ))); do
    [ "$(net_choice "$1" "$2")" = "$3" ] && return 0
    sleep 0.1
  done
  fail "policy $2 on port $1 still chooses '$(net_choice "$1" "$2")' after $4 s, want $3"
}
expect_clean_stop() {
  net_stop
  [ -z "$NET_STOP_FAILED" ] || fail "daemons that did not stop cleanly:$NET_STOP_FAILED"
  local left; left=$(net_leftovers)
  [ -z "$left" ] || fail "processes left running: $left"
  local c
  for c in "${NET_CENTERS[@]}"; do
    grep -q 'why=withdraw' "$TMP/publisher-$c.log" || fail "publisher $c did not withdraw"
    if grep -q 'update not published' "$TMP/publisher-$c.log"; then fail "publisher $c lost an update"; fi
  done
}

if [ "$MODE" = demo ]; then
  # The demo as a person runs it, then Ctrl-C: SIGINT to its whole process group, as a terminal
  # sends it (setsid: its own group; perl: SIGINT not ignored, as it is for background jobs).
  BUILD_DIR=$(dirname "$(dirname "$CDNS_AUTHORITY")")
  CDNS_BUILD_DIR=$BUILD_DIR TMPDIR=$TMP perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV or die "exec: $!"' \
    setsid "$ROOT/scripts/demo.sh" --no-build --keep >"$TMP/demo.out" 2>&1 &
  DEMO=$!
  PIDS+=("$DEMO")
  for _ in $(seq 600); do
    grep -q 'keeps running' "$TMP/demo.out" && break
    kill -0 "$DEMO" 2>/dev/null || break
    sleep 0.1
  done
  grep -q 'keeps running' "$TMP/demo.out" || { cat "$TMP/demo.out"; fail "the demo did not reach --keep"; }
  out=$(sed 's/\x1b\[[0-9;]*m//g' "$TMP/demo.out")
  for want in "policy default  -> sz1" "policy price    -> gz1" "policy green    -> hk1" "policy near     -> dg1" \
              "run as $(net_account) in sz1/state/jobs/" "run as $(net_account) in gz1/state/jobs/" "policy default  -> gz1, "; do
    [[ "$out" == *"$want"* ]] || { echo "$out"; fail "the demo's output lacks '$want'"; }
  done
  DEMO_NET=$(sed -n 's/.*keeps running in \([^;]*\);.*/\1/p' <<<"$out")
  [ -n "$DEMO_NET" ] && [ -n "$(pgrep -f -- "$DEMO_NET/")" ] || fail "the demo's network is not running: $out"
  kill -INT -- "-$DEMO"
  rc=0
  timeout 60 tail --pid="$DEMO" -f /dev/null || fail "the demo did not end after Ctrl-C"
  wait "$DEMO" || rc=$?
  [ "$rc" = 0 ] || { cat "$TMP/demo.out"; fail "the demo ended with status $rc after Ctrl-C"; }
  grep -q 'nothing of the network is left running' "$TMP/demo.out" || fail "the demo did not check its stop"
  left=$(pgrep -af -- "$DEMO_NET/" || true)
  [ -z "$left" ] || fail "the demo left processes running: $left"
  [ ! -e "$DEMO_NET" ] || fail "the demo left its directory $DEMO_NET"
  echo "e2e (demo): the demo ran every step, kept the network up, and Ctrl-C stopped all of it"
  exit 0
fi

net_start

# Every center published through its own key; the authority holds them all.
rows=$("$CDIG" @127.0.0.1 -p "$AUTH_PORT" gba.example +centers | awk 'NR > 1 {print $1}' | tr '\n' ' ')
[ "$rows" = "dg1 gz1 hk1 sz1 " ] || fail "the authority's centers: '$rows'"

if [ "$MODE" = secondary ]; then
  net_secondary
  PORT=$RES2_PORT
  grep -q 'AXFR, incoming' "$KNOT_DIR/knotd.log" || fail "knotd did not transfer the zone"
else
  PORT=$RES_PORT
fi

# Each policy chooses its center for the same name; the explanation says why.
expect_choices "$PORT" "before the load change"
ex=$("$CDIG" @127.0.0.1 -p "$PORT" infer.svc.gba.example A +req=policy=price +explain)
grep -q 'policy price (fits -> price -> select:best).*chosen: gz1' <<<"$ex" || fail "explanation: $ex"
grep -Eq '^sz1 +kept +cost 0.12 .*lost: score' <<<"$ex" || fail "explanation of sz1's loss: $ex"

if [ "$MODE" = primary ]; then
  # A job through cdns-submit runs at the chosen center's relay; its output comes back.
  export CDNS_RESOLVER=127.0.0.1:$RES_PORT CDNS_ZONE=gba.example CDNS_TOKEN=$NET_TOKEN
  for p in default:sz1 price:gz1; do
    rc=0
    timeout 60 "$SUBMIT" --service infer --policy "${p%:*}" --relay-scheme http -- \
      sh -c 'echo "ran $CDNS_JOB_ID in $PWD"; exit 3' >"$TMP/job.out" 2>"$TMP/job.err" || rc=$?
    [ "$rc" = 3 ] || fail "cdns-submit (${p%:*}): exit status $rc, want the job's 3: $(cat "$TMP/job.err")"
    grep -q "infer -> ${p#*:} " "$TMP/job.err" || fail "cdns-submit (${p%:*}) did not go to ${p#*:}: $(cat "$TMP/job.err")"
    id=$(sed -n "s/^ran \(j[0-9a-f]*\) in .*/\1/p" "$TMP/job.out")
    [ "$(cat "$TMP/job.out")" = "ran $id in $NET/${p#*:}/state/jobs/$id" ] || fail "job output: $(cat "$TMP/job.out")"
    v=${p#*:}_RELAY
    curl -sf -H "Authorization: Bearer $NET_TOKEN" "${!v}/v1/jobs/$id" | grep -q '"exit_code":3' ||
      fail "the relay of ${p#*:} does not have job $id"
  done
fi

# sz1's load probe reads 0.95: its agent publishes, the authority has it, the answer moves to gz1
# (next least loaded); then back.
net_set_load sz1 0.95
wait_for sh -c "'$CDIG' @127.0.0.1 -p $AUTH_PORT sz1.centers.gba.example CAP +short | grep -q 'load=0.95'" ||
  fail "the authority never got sz1's new load"
wait_choice "$PORT" default gz1 30
[ "$(net_choice "$PORT" price)" = gz1 ] && [ "$(net_choice "$PORT" green)" = hk1 ] || fail "the other policies moved too"
if [ "$MODE" = secondary ]; then
  grep -q 'IXFR, incoming' "$KNOT_DIR/knotd.log" || fail "knotd did not take the change by IXFR"
  # knotd tells the resolver by NOTIFY over TCP, which the resolver answers (no refresh needed).
  grep 'notify, outgoing' "$KNOT_DIR/knotd.log" | grep -qv 'failed' || fail "knotd sent no NOTIFY the resolver answered"
  if grep 'notify, outgoing' "$KNOT_DIR/knotd.log" | grep -q 'failed'; then
    fail "a NOTIFY from knotd failed: $(grep 'notify, outgoing' "$KNOT_DIR/knotd.log" | grep failed | head -1)"
  fi
  [ "$("$CDIG" @127.0.0.1 -p "$KNOT_PORT" gba.example SOA +short)" = "$("$CDIG" @127.0.0.1 -p "$AUTH_PORT" gba.example SOA +short)" ] ||
    fail "the secondary's serial differs from the primary's"
fi
net_set_load sz1 0.10
wait_choice "$PORT" default sz1 30

expect_clean_stop
echo "e2e ($MODE): four centers published, each policy chose its center, the load change moved the answer, clean stop"
