#!/usr/bin/env bash
# Benchmarks cdns-resolver: service answers per second with 10, 100 and 1,000 centers against
# Unbound answering from its cache (same run, same dnsperf settings), the time from a
# publisher's update acknowledgement to the resolver's changed answer, and one decision
# (Google Benchmark bench_decision) over 10 to 10,000 candidates.
#
#   bench/resolver.sh [--quick] [--out DIR] [--centers "10 100 1000"] [--no-perf] ...
#
# Run from the repository root. See bench/README.md for the method and how to read the table.
set -uo pipefail

usage() {
  cat <<'EOF'
usage: bench/resolver.sh [options]

Measures on 127.0.0.1: cdns-resolver answering service queries (a four-stage chain: fits, fresh,
load, price; reservations on, as by default) over a compute zone of N centers, and Unbound
answering cached names (CNAME + A, the same shape), each with the same dnsperf settings; server
CPU time per query; the time from an update's acknowledgement by cdns-authority to the
resolver's changed answer (NOTIFY + IXFR); and bench_decision. Prints Markdown tables and keeps
the raw data.

  --quick            smoke test: 3 s runs, 1 repetition, 20 update samples, short decision runs
  --out DIR          results directory (default: a new temporary directory, printed at the end)
  --centers LIST     compute zone sizes, space or comma separated (default: "10 100 1000")
  --seconds S        length of each measured dnsperf run (default: 10; quick: 3)
  --warmup S         warm-up before each measured run (default: 3; quick: 1)
  --repeat R         measured runs per size and server, interleaved (default: 2; quick: 1)
  --samples N        updates in the publish-to-answer test, per size (default: 200; quick: 20)
  --poll-us US       how often the resolver is polled after an update (default: 100)
  --no-perf          do not profile the resolver (default: perf record during an extra run
                     at the largest size, when perf works)
  --no-decision      do not run bench_decision
  --no-pin           do not pin (default: server on CPU 1, dnsperf on CPU 0)
  --no-build         do not (re)build; use the existing build/release binaries
  -h, --help         this text

Needs: dnsperf, unbound, kdig (knot-dnsutils), g++, pkg-config, ldns and OpenSSL headers,
taskset, cmake + ninja for the build; Google Benchmark (libbenchmark-dev) for bench_decision;
curl (optional: metrics), perf (optional: the profile).
EOF
}

# ---------------------------------------------------------------- options
QUICK=0 OUT="" CENTERS="10 100 1000" RUN_S="" WARM_S="" REPEAT="" SAMPLES="" POLL_US=100
PERF=1 DECISION=1 PIN=1 BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --out) [ $# -ge 2 ] || { echo "--out needs a directory" >&2; exit 2; }; OUT=$2; shift ;;
    --out=*) OUT=${1#--out=} ;;
    --centers) [ $# -ge 2 ] || { echo "--centers needs a list" >&2; exit 2; }; CENTERS=${2//,/ }; shift ;;
    --seconds) [ $# -ge 2 ] || { echo "--seconds needs a number" >&2; exit 2; }; RUN_S=$2; shift ;;
    --warmup) [ $# -ge 2 ] || { echo "--warmup needs a number" >&2; exit 2; }; WARM_S=$2; shift ;;
    --repeat) [ $# -ge 2 ] || { echo "--repeat needs a number" >&2; exit 2; }; REPEAT=$2; shift ;;
    --samples) [ $# -ge 2 ] || { echo "--samples needs a number" >&2; exit 2; }; SAMPLES=$2; shift ;;
    --poll-us) [ $# -ge 2 ] || { echo "--poll-us needs a number" >&2; exit 2; }; POLL_US=$2; shift ;;
    --no-perf) PERF=0 ;;
    --no-decision) DECISION=0 ;;
    --no-pin) PIN=0 ;;
    --no-build) BUILD=0 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ "$QUICK" = 1 ]; then
  : "${RUN_S:=3}" "${WARM_S:=1}" "${REPEAT:=1}" "${SAMPLES:=20}"
  DECISION_MIN_TIME=0.05 DECISION_REPS=1
else
  : "${RUN_S:=10}" "${WARM_S:=3}" "${REPEAT:=2}" "${SAMPLES:=200}"
  DECISION_MIN_TIME=0.5 DECISION_REPS=3
fi
isnum() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ]; }
for v in "$RUN_S" "$WARM_S" "$REPEAT" "$SAMPLES" "$POLL_US"; do isnum "$v" || { echo "not a positive number: $v" >&2; exit 2; }; done
for n in $CENTERS; do isnum "$n" && [ "$n" -le 20000 ] || { echo "--centers: $n is not 1..20000" >&2; exit 2; }; done
[ "$RUN_S" -le 600 ] && [ "$SAMPLES" -le 10000 ] || { echo "--seconds at most 600, --samples at most 10000" >&2; exit 2; }

CLIENT_CPU=0 SERVER_CPU=1
NCPU=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
if [ "$PIN" = 1 ] && [ "$NCPU" -lt 2 ]; then
  echo "note: fewer than 2 CPUs; not pinning" >&2
  PIN=0
fi
HZ=$(getconf CLK_TCK)
BASE=bench.example.        # compute zones n<N>.bench.example., the cached names' zone plain.bench.example.
PLAIN=plain.$BASE
PLAIN_NAMES=1000
KEY_NAME=pub.
MOVER=c0                   # the center the publish-to-answer test moves
BUILD_DIR=build/release
AUTH_BIN=$BUILD_DIR/authority/cdns-authority
RES_BIN=$BUILD_DIR/resolver/cdns-resolver
RRCONV_BIN=$BUILD_DIR/rrtypes/cdns-rrconv
DECISION_BIN=$BUILD_DIR/resolver/bench_decision
LOADGEN=$BUILD_DIR/bench/updload
TS=$(date +%s)             # the centers' data is fresh: ts within the last 10 minutes

[ -f resolver/main.cpp ] && [ -f bench/updload.cpp ] || { echo "run this from the repository root" >&2; exit 2; }

# shellcheck source=bench/lib.sh
. bench/lib.sh

need=(dnsperf unbound kdig getconf awk sort base64 g++ pkg-config)
[ "$PIN" = 1 ] && need+=(taskset)
require_tools "${need[@]}"
HAVE_CURL=0; command -v curl >/dev/null 2>&1 && HAVE_CURL=1
if [ "$PERF" = 1 ] && ! command -v perf >/dev/null 2>&1; then PERF=0; fi
bench_dirs cdns-res
: >"$OUT/notes.txt"
note() { echo "$*" >>"$OUT/notes.txt"; log "note: $*"; }

# ---------------------------------------------------------------- build
if [ "$BUILD" = 1 ]; then
  build_release cdns-authority cdns-resolver cdns-rrconv cdns_tsig cdns_common
  build_updload
  if [ "$DECISION" = 1 ]; then
    cmake --build "$BUILD_DIR" -j2 --target bench_decision >>"$OUT/logs/build.log" 2>&1 \
      || note "bench_decision did not build (Google Benchmark missing?); the decision table is left out"
  fi
fi
[ -x "$AUTH_BIN" ] && [ -x "$RES_BIN" ] && [ -x "$RRCONV_BIN" ] && [ -x "$LOADGEN" ] \
  || die "missing $AUTH_BIN, $RES_BIN, $RRCONV_BIN or $LOADGEN (build without --no-build)"
[ "$DECISION" = 1 ] && [ ! -x "$DECISION_BIN" ] && { note "no $DECISION_BIN; the decision table is left out"; DECISION=0; }

# ---------------------------------------------------------------- zones, queries, key
# A compute zone of N centers c0..c<N-1>, each offering "infer": SITE, CAP, PRICE, ENERGY, the
# endpoint's A record (loopback addresses; nothing is probed) and the service's PTR. The figures
# vary deterministically. Free CPUs and GPUs are far beyond real centers' on purpose: with
# reservations on, every answer holds at least one CPU (and the GPUs and CPUs asked for) for 30 s,
# and a measured run hands out millions; real-sized pools would run dry within a second and the
# rest of the run would measure NODATA answers instead of decisions. c0 (the center the
# publish-to-answer test moves) is the cheapest.
gen_compute_zone() {  # FILE ORIGIN N
  awk -v origin="$2" -v n="$3" -v ts="$TS" 'BEGIN {
    printf "$ORIGIN %s\n$TTL 300\n", origin
    print "@ IN SOA ns1 hostmaster 1 3600 600 604800 300"
    print "  IN NS ns1"
    print "ns1 IN A 127.0.0.1"
    split("ai hpc cloud edge", kind, " ")
    for (i = 0; i < n; i++) {
      t = ts - (i * 7) % 600
      printf "c%d.centers SITE kind=%s region=r%d jurisdiction=CN-GD ts=%d\n", i, kind[i % 4 + 1], i % 50, t
      printf "c%d.centers CAP cpu=%d/4000000 gpu=H200:%d/400000,A100:%d/64 mem=%dT/256T load=0.%02d queue=%d ts=%d\n", \
        i, 2000000 + (i * 7919) % 1000000, 200000 + (i * 613) % 100000, (i * 7) % 65, 10 + (i * 3) % 200, 5 + (i * 37) % 90, \
        (i * 13) % 50, t
      if (i == 0) printf "c0.centers PRICE currency=CNY cpu-hour=0.01 gpu-hour=H200:5,A100:3 ts=%d\n", t
      else printf "c%d.centers PRICE currency=CNY cpu-hour=0.%02d gpu-hour=H200:%d.%d,A100:%d ts=%d\n", \
        i, 2 + (i * 17) % 80, 8 + (i * 29) % 20, i % 10, 4 + (i * 11) % 10, t
      printf "c%d.centers ENERGY pue=1.%02d carbon=%d renewable=%d%% ts=%d\n", i, 5 + (i * 3) % 50, 50 + (i * 41) % 600, (i * 23) % 100, t
      printf "infer.c%d.centers A 127.1.%d.%d\n", i, int(i / 250) % 250, i % 250 + 1
      printf "infer.svc PTR infer.c%d.centers\n", i
    }
  }' >"$1"
}

gen_plain_zone() {  # FILE: alias<K> CNAME host<K>, host<K> A; long TTLs (Unbound keeps them cached)
  awk -v origin="$PLAIN" -v n="$PLAIN_NAMES" 'BEGIN {
    printf "$ORIGIN %s\n$TTL 86400\n", origin
    print "@ IN SOA ns1 hostmaster 1 3600 600 604800 86400"
    print "  IN NS ns1"
    print "ns1 IN A 127.0.0.1"
    for (i = 0; i < n; i++) {
      printf "alias%d CNAME host%d\n", i, i
      printf "host%d A 127.2.%d.%d\n", i, int(i / 250) % 250, i % 250 + 1
    }
  }' >"$1"
}

# Service queries, 10 lines (dnsperf cycles through the file): 4 with no requirement (default
# chain), 2 asking for a GPU, 2 naming the price chain, 1 both, 1 asking for 16 CPUs.
gen_service_queries() {  # FILE ZONE
  local z=${2%.}
  {
    echo "infer.svc.$z A"
    echo "gpu-1.infer.svc.$z A"
    echo "policy-price.infer.svc.$z A"
    echo "infer.svc.$z A"
    echo "cpu-16.infer.svc.$z A"
    echo "infer.svc.$z A"
    echo "gpu-1.policy-price.infer.svc.$z A"
    echo "gpu-1.infer.svc.$z A"
    echo "policy-price.infer.svc.$z A"
    echo "infer.svc.$z A"
  } >"$1"
}

log "generating zones and queries in $WORK"
for n in $CENTERS; do
  gen_compute_zone "$WORK/n$n.zone" "n$n.$BASE" "$n"
  "$RRCONV_BIN" --zone "$WORK/n$n.zone" --to generic >/dev/null 2>>"$OUT/logs/rrconv.log" \
    || die "cdns-rrconv rejected the generated zone n$n (see $OUT/logs/rrconv.log)"
  gen_service_queries "$WORK/q$n.txt" "n$n.$BASE"
done
gen_plain_zone "$WORK/plain.zone"
awk -v z="${PLAIN%.}" -v n="$PLAIN_NAMES" 'BEGIN { for (i = 0; i < n; i++) printf "alias%d.%s A\n", i, z }' >"$WORK/qplain.txt"
SECRET=$(head -c 32 /dev/urandom | base64)
KEYSPEC="hmac-sha256:$KEY_NAME:$SECRET"
# The two states of the moving center's CAP (the keys after ts; updload puts ts=<now> first):
# idle and the cheapest, so the best for "infer" by any margin; or full-loaded with a long queue.
cap_hex() { "$RRCONV_BIN" --type CAP --to generic "$1" | awk '{ s = ""; for (i = 3; i <= NF; i++) s = s $i; print s }'; }
CAP_ON=$(cap_hex "cpu=2000000/4000000 gpu=H200:250000/400000 mem=100T/256T load=0.00 queue=0")
CAP_OFF=$(cap_hex "cpu=2000000/4000000 gpu=H200:250000/400000 mem=100T/256T load=1.00 queue=1000")
[ -n "$CAP_ON" ] && [ -n "$CAP_OFF" ] || die "cdns-rrconv did not convert the CAP states"
{
  for n in $CENTERS; do
    echo "n$n.$BASE: $n centers, $(grep -vc '^\$\|^@\|^ ' "$WORK/n$n.zone") records (SITE, CAP, PRICE, ENERGY, A, PTR per center)"
  done
  echo "$PLAIN: $PLAIN_NAMES CNAME + $PLAIN_NAMES A records, TTL 86400"
  echo "service queries (cycled by dnsperf):"; sed 's/^/  /' "$WORK/q${CENTERS%% *}.txt"
  echo "cached-name queries: alias0..alias$((PLAIN_NAMES - 1)).${PLAIN%.} A (each a CNAME to host<K> + its A)"
  echo "sample centers (n${CENTERS%% *}):"; grep '^c[012]\.' "$WORK/n${CENTERS%% *}.zone" | sed 's/^/  /'
  echo "publish-to-answer: $MOVER CAP toggles between"
  echo "  on:  cpu=2000000/4000000 gpu=H200:250000/400000 mem=100T/256T load=0.00 queue=0 ts=<now>"
  echo "  off: cpu=2000000/4000000 gpu=H200:250000/400000 mem=100T/256T load=1.00 queue=1000 ts=<now>"
} >"$OUT/workload.txt"

# ---------------------------------------------------------------- process helpers
now_ms() { date +%s%3N; }

launch() {  # LOGFILE CPU|- CMD...: start CMD in its own session (pinned to CPU unless "-"), set SRV_PID
  local logf=$1 cpu=$2; shift 2
  local pre=()
  [ "$PIN" = 1 ] && [ "$cpu" != - ] && pre=(taskset -c "$cpu")
  setsid "${pre[@]}" "$@" >>"$logf" 2>&1 </dev/null &
  SRV_PID=$!
  SERVER_PIDS+=("$SRV_PID")
}

wait_ready() {  # PID FILE TIMEOUT_S: wait for a ready file
  local deadline=$(( $(date +%s) + $3 ))
  while [ ! -s "$2" ] && [ "$(date +%s)" -lt "$deadline" ]; do
    kill -0 "$1" 2>/dev/null || return 1
    sleep 0.1
  done
  [ -s "$2" ]
}

ready_port() { awk -v k="$2" '$1 == k {print $3; exit}' "$1" 2>/dev/null; }  # FILE KIND

cname_of() {  # PORT NAME [+rec]: the CNAME target of NAME/A, or the status when there is none
  kdig @127.0.0.1 -p "$1" +retry=0 +timeout=2 "${3:-+norec}" "$2" A 2>/dev/null | awk '
    /status:/ { for (i = 1; i <= NF; i++) if ($i == "status:") { r = $(i + 1); sub(/;$/, "", r) } }
    $4 == "CNAME" && c == "" { c = $5 }
    END { if (c != "") print c; else print (r == "" ? "NO-ANSWER" : r) }'
}

wait_cname() {  # PID PORT NAME TIMEOUT_S: wait until NAME/A answers with a CNAME
  local deadline=$(( $(date +%s) + $4 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    kill -0 "$1" 2>/dev/null || return 1
    [[ "$(cname_of "$2" "$3")" == *. ]] && return 0
    sleep 0.2
  done
  return 1
}

metric() {  # PORT NAME [LABELS]: the sum of a metric's samples (matching LABELS), empty when unknown
  [ "$HAVE_CURL" = 1 ] && [ -n "$1" ] || return 0
  curl -s --max-time 2 "http://127.0.0.1:$1/metrics" 2>/dev/null \
    | awk -v n="$2" -v l="${3:-}" '$1 == n || index($1, n "{") == 1 { if (l == "" || index($1, l)) { s += $2; f = 1 } } END { if (f) print s }'
}

# ---------------------------------------------------------------- servers
# One cdns-authority serves every compute zone and the plain zone. Key pub. may change the moving
# center's CAP in each compute zone; each compute zone sends NOTIFY to its resolver's port
# (picked now; the resolver for that size listens there once started).
declare -A NOTIFY_PORT
pick_ports() {
  local n p used=" "
  for n in $CENTERS; do
    for _ in $(seq 1 20); do
      p=$(free_port) || die "no free port"
      [[ "$used" == *" $p "* ]] || break
    done
    NOTIFY_PORT[$n]=$p used+="$p "
  done
}

start_authority() {
  local d=$WORK/auth zones="" n sep=""
  mkdir -p "$d"
  for n in $CENTERS; do
    zones+="$sep{\"name\": \"n$n.$BASE\", \"file\": \"$WORK/n$n.zone\", \"notify\": [\"127.0.0.1:${NOTIFY_PORT[$n]}\"],
     \"transfer\": {\"acl\": [\"127.0.0.0/8\"]},
     \"update\": {\"rules\": [{\"key\": \"$KEY_NAME\", \"name\": \"$MOVER.centers.n$n.$BASE\", \"types\": [\"TYPE65281\"]}],
                \"journal\": \"$d/n$n.journal\"}}"
    sep=$',\n    '
  done
  cat >"$d/config.json" <<EOF
{"keys": [{"name": "$KEY_NAME", "algorithm": "hmac-sha256", "secret": "$SECRET"}],
 "log": {"level": "warn"},
 "zones": [$zones,
    {"name": "$PLAIN", "file": "$WORK/plain.zone"}]}
EOF
  launch "$OUT/logs/authority.log" "$CLIENT_CPU" "$AUTH_BIN" --config "$d/config.json" --listen 127.0.0.1:0 \
    --metrics 127.0.0.1:0 --ready-file "$d/ready"
  AUTH_PID=$SRV_PID
  wait_ready "$AUTH_PID" "$d/ready" 60 || return 1
  AUTH_PORT=$(ready_port "$d/ready" udp)
  AUTH_METRICS=$(ready_port "$d/ready" metrics)
  [ -n "$AUTH_PORT" ]
}

# The resolver for one size: follows n<N>.bench.example. from the authority (AXFR, then IXFR on
# NOTIFY), four-stage chains, reservations at their defaults (hold 30 s, at least 1 CPU).
start_resolver() {  # N
  local n=$1 d=$WORK/res-$1
  mkdir -p "$d"
  cat >"$d/config.json" <<EOF
{"listen": ["127.0.0.1:0"],
 "zones": [{"name": "n$n.$BASE", "primaries": ["127.0.0.1:$AUTH_PORT"], "notify_listen": "127.0.0.1:${NOTIFY_PORT[$n]}"}],
 "ttl": 5,
 "chains": {"default": {"policies": [{"name": "fits"}, {"name": "fresh", "max_age": 86400}, {"name": "load"}, {"name": "price"}]},
            "price": {"policies": [{"name": "fits"}, {"name": "fresh", "max_age": 86400}, {"name": "price"}, {"name": "load"}]}},
 "services": {"infer": "default"},
 "metrics_listen": "127.0.0.1:0"}
EOF
  cp "$d/config.json" "$OUT/logs/resolver-n$n.json"
  launch "$OUT/logs/resolver-n$n.log" "$SERVER_CPU" "$RES_BIN" --config "$d/config.json" --ready-file "$d/ready"
  RES_PID=$SRV_PID
  wait_ready "$RES_PID" "$d/ready" 60 || return 1
  RES_PORT=$(ready_port "$d/ready" udp)
  RES_METRICS=$(ready_port "$d/ready" metrics)
  [ -n "$RES_PORT" ] || return 1
  wait_cname "$RES_PID" "$RES_PORT" "infer.svc.n$n.${BASE%.}" 60
}

# Unbound as Debian ships it, iterator only, one thread, in the foreground on a free port; the
# plain zone is a stub zone served by the authority. Its answers come from its cache once primed.
start_unbound() {
  local d=$WORK/unbound _
  mkdir -p "$d"
  for _ in 1 2 3; do
    UB_PORT=$(free_port) || return 1
    cat >"$d/unbound.conf" <<EOF
server:
    module-config: "iterator"
    do-daemonize: no
    chroot: ""
    username: ""
    directory: "$d"
    pidfile: "$d/unbound.pid"
    use-syslog: no
    logfile: ""
    verbosity: 1
    num-threads: 1
    interface: 127.0.0.1
    port: $UB_PORT
    do-ip6: no
    do-not-query-localhost: no
    access-control: 127.0.0.0/8 allow
stub-zone:
    name: "${PLAIN%.}"
    stub-addr: 127.0.0.1@$AUTH_PORT
remote-control:
    control-enable: no
EOF
    cp "$d/unbound.conf" "$OUT/logs/unbound.conf"
    launch "$OUT/logs/unbound.log" "$SERVER_CPU" unbound -d -c "$d/unbound.conf"
    UB_PID=$SRV_PID
    local deadline=$(( $(date +%s) + 20 ))
    while [ "$(date +%s)" -lt "$deadline" ]; do
      kill -0 "$UB_PID" 2>/dev/null || break
      [ "$(cname_of "$UB_PORT" "alias0.${PLAIN%.}" +rec)" = "host0.${PLAIN}" ] && return 0
      sleep 0.2
    done
    stop_server "$UB_PID"
  done
  return 1
}

# ---------------------------------------------------------------- measurements
declare -A R  # results: R[key.field]

run_dnsperf() {  # OUTFILE PORT SECONDS QUERYFILE
  local outf=$1 port=$2 secs=$3 qf=$4
  local pre=() args=(-s 127.0.0.1 -p "$port" -d "$qf" -c 8 -T 1 -q 200 -l "$secs")
  [ "$PIN" = 1 ] && pre=(taskset -c "$CLIENT_CPU")
  {
    echo "# ${pre[*]} dnsperf ${args[*]}"
    echo "# loadavg before: $(cat /proc/loadavg)"
  } >"$outf"
  timeout --foreground -k 5 $((secs + 30)) "${pre[@]}" dnsperf "${args[@]}" >>"$outf" 2>&1
}

measure() {  # KEY PORT PID QUERYFILE: warm-up, then one measured run with the server tree's CPU around it
  local key=$1 port=$2 pid=$3 qf=$4 f="$OUT/raw/$1.txt" t0 t1 comp
  run_dnsperf "$OUT/raw/$key.warmup.txt" "$port" "$WARM_S" "$qf" || log "  dnsperf exited non-zero ($key warm-up)"
  t0=$(tree_ticks "$pid")
  run_dnsperf "$f" "$port" "$RUN_S" "$qf" || log "  dnsperf exited non-zero ($key)"
  t1=$(tree_ticks "$pid")
  comp=$(perf_field "$f" completed)
  R[$key.qps]=$(perf_field "$f" qps) R[$key.lost]=$(perf_field "$f" lost) R[$key.avg]=$(perf_field "$f" avg_ms)
  R[$key.rcodes]=$(perf_field "$f" rcodes) R[$key.resp]=$(perf_field "$f" resp_size) R[$key.comp]=$comp
  R[$key.cpuq]=n/a
  if [[ "$comp" =~ ^[0-9]+$ ]] && [ "$comp" -gt 0 ]; then
    R[$key.cpuq]=$(awk -v d=$((t1 - t0)) -v hz="$HZ" -v n="$comp" 'BEGIN {printf "%.2f", d / hz / n * 1e6}')
  fi
  R[$key.load]=$(awk '{print $1, $2, $3}' /proc/loadavg)
  echo "# server CPU: $((t1 - t0)) ticks at $HZ Hz over $comp completed queries = ${R[$key.cpuq]} us/query" >>"$f"
  log "  $key: $(fmt_num "${R[$key.qps]}" 0) qps, lost ${R[$key.lost]}, avg ${R[$key.avg]} ms, server CPU ${R[$key.cpuq]} us/query, ${R[$key.rcodes]}"
}

median() { tr ' ' '\n' | awk 'NF && $1 != "n/a"' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

check_answers() {  # N: each query of the mix answers NOERROR with a CNAME to a center's endpoint
  local n=$1 q t got bad=0
  while read -r q t; do
    got=$(cname_of "$RES_PORT" "$q")
    printf 'n%-5s %-48s -> %s\n' "$n" "$q" "$got" >>"$OUT/checks.txt"
    [[ "$got" == infer.c*.centers.n$n.$BASE ]] || bad=1
  done < <(sort -u "$WORK/q$n.txt")
  [ "$bad" = 0 ] || { note "n$n: some service queries did not answer with a center (see checks.txt)"; R[n$n.check]=FAILED; return 0; }
  R[n$n.check]=ok
}

publish_to_answer() {  # N
  local n=$1 ix0 ix1
  local f="$OUT/raw/answer.n$n.txt"
  ix0=$(metric "$RES_METRICS" cdns_resolver_replica_transfers_total 'kind="ixfr"')
  log "  publish-to-answer: $SAMPLES updates of $MOVER, resolver polled every $POLL_US us"
  timeout --foreground -k 5 $((SAMPLES * 3 + 60)) "$LOADGEN" answer --server "127.0.0.1:$AUTH_PORT" \
    --resolver "127.0.0.1:$RES_PORT" --zone "n$n.$BASE" --key "$KEYSPEC" --owner "$MOVER.centers" \
    --query infer.svc --target "infer.$MOVER.centers" --on "$CAP_ON" --off "$CAP_OFF" --count "$SAMPLES" \
    --poll-us "$POLL_US" --wait-ms 2000 --gap-ms 20 --lat-file "$OUT/raw/answer-lat.n$n.txt" >"$f" 2>&1 \
    || log "  updload answer exited non-zero (see $f)"
  ix1=$(metric "$RES_METRICS" cdns_resolver_replica_transfers_total 'kind="ixfr"')
  local k
  for k in seen missing failed answer_ms_p50 answer_ms_p90 answer_ms_p99 answer_ms_max answer_ms_mean ack_ms_p50 ack_ms_p99; do
    R[n$n.pa.$k]=$(awk -F= -v k="$k" '$1 == k {print $2; exit}' "$f")
  done
  [ -n "$ix0" ] && [ -n "$ix1" ] && R[n$n.pa.ixfr]=$((ix1 - ix0))
  log "  publish-to-answer: median ${R[n$n.pa.answer_ms_p50]:-?} ms, p99 ${R[n$n.pa.answer_ms_p99]:-?} ms, max ${R[n$n.pa.answer_ms_max]:-?} ms; seen ${R[n$n.pa.seen]:-?}, missing ${R[n$n.pa.missing]:-?}, failed ${R[n$n.pa.failed]:-?}; IXFRs ${R[n$n.pa.ixfr]:-?}"
}

# perf's report of a recording: self time by symbol, the policies' long template names shortened.
perf_top() {  # DATA OUTFILE [SORT]
  perf report -i "$1" --stdio --no-children --sort "${3:-symbol}" --percent-limit 0.5 -g none 2>/dev/null \
    | grep -v '^#' | grep -v '^ *$' \
    | sed -E 's/FnPolicy<cdns::resolver::policies::make([A-Za-z]+)\(.*\)::\{lambda.*\}>::apply/policy \L\1\E (FnPolicy::apply)/;
              s/nlohmann::json_abi_v3_11_2::basic_json<[^ ]*( [^ ]*)*>/json/g; s/[[:space:]]+-[[:space:]]+-[[:space:]]*$//; s/[[:space:]]+$//' \
    | cut -c1-150 | awk '!seen[$0]++' | head -40 >"$2"
}

profile_resolver() {  # N: perf record (call graphs) during an extra load run and an extra update run
  local n=$1 data=$WORK/perf.data perf_pid
  log "  profiling cdns-resolver (n$n) with perf during an extra ${RUN_S} s load run"
  perf record -F 999 -g -p "$RES_PID" -o "$data" -- sleep "$RUN_S" >"$OUT/logs/perf-record.log" 2>&1 &
  perf_pid=$!
  sleep 0.3
  run_dnsperf "$OUT/raw/res.n$n.perf-run.txt" "$RES_PORT" "$RUN_S" "$WORK/q$n.txt" || true
  { wait "$perf_pid"; } 2>/dev/null || true
  [ -s "$data" ] && perf_top "$data" "$OUT/perf-load.txt"
  # The update path: the resolver and the authority, while updload moves the answer 50 times.
  log "  profiling cdns-resolver and cdns-authority (n$n) during 50 extra updates"
  rm -f "$data"
  perf record -F 4999 -g -p "$RES_PID,$AUTH_PID" -o "$data" >>"$OUT/logs/perf-record.log" 2>&1 &
  perf_pid=$!
  sleep 0.3
  timeout --foreground -k 5 120 "$LOADGEN" answer --server "127.0.0.1:$AUTH_PORT" --resolver "127.0.0.1:$RES_PORT" \
    --zone "n$n.$BASE" --key "$KEYSPEC" --owner "$MOVER.centers" --query infer.svc --target "infer.$MOVER.centers" \
    --on "$CAP_ON" --off "$CAP_OFF" --count 50 --poll-us 1000 --wait-ms 2000 --gap-ms 20 \
    >"$OUT/raw/answer.n$n.perf-run.txt" 2>&1 || true
  kill -INT "$perf_pid" 2>/dev/null
  { wait "$perf_pid"; } 2>/dev/null || true
  [ -s "$data" ] && perf_top "$data" "$OUT/perf-update.txt" comm,symbol
  if [ -s "$OUT/perf-load.txt" ]; then log "  profiles: $OUT/perf-load.txt, $OUT/perf-update.txt"; else note "perf gave no profile (see logs/perf-record.log)"; fi
}

# ---------------------------------------------------------------- the run
LOAD_START=$(cat /proc/loadavg)
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host: $(uname -srm), $NCPU CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "loadavg at start: $LOAD_START"
  echo "busiest processes at start:"; ps -eo pcpu=,comm= --sort=-pcpu | head -5 | sed 's/^/  /'
  echo "cdns: $(git describe --always --dirty 2>/dev/null || echo unknown) (release build)"
  echo "unbound: $(unbound -V 2>&1 | head -1)"
  echo "dnsperf: $(dnsperf -h 2>&1 | awk '/^Version|version/ {print; exit}')"
  echo "mode: $([ "$QUICK" = 1 ] && echo quick || echo full); centers: $CENTERS; ${RUN_S} s runs after ${WARM_S} s warm-up, $REPEAT repetition(s); $SAMPLES publish-to-answer samples per size"
  echo "pinning: $([ "$PIN" = 1 ] && echo "cdns-resolver and unbound on CPU $SERVER_CPU, dnsperf and cdns-authority on CPU $CLIENT_CPU" || echo none)"
} >"$OUT/env.txt"
: >"$OUT/checks.txt"

pick_ports
start_authority || die "cdns-authority did not start (see $OUT/logs/authority.log)"
log "cdns-authority on port $AUTH_PORT (pid $AUTH_PID)"
start_unbound || die "unbound did not start or resolve the plain zone (see $OUT/logs/unbound.log)"
log "unbound on port $UB_PORT (pid $UB_PID)"
# Prime Unbound's cache: every name once, few at a time (each costs it two queries upstream).
a0=$(metric "$AUTH_METRICS" cdns_authority_queries_total)
timeout --foreground -k 5 120 dnsperf -s 127.0.0.1 -p "$UB_PORT" -d "$WORK/qplain.txt" -n 1 -c 1 -q 10 \
  >"$OUT/raw/ub.prime.txt" 2>&1 || log "  dnsperf exited non-zero (priming unbound)"
a1=$(metric "$AUTH_METRICS" cdns_authority_queries_total)
R[ub.prime.rcodes]=$(perf_field "$OUT/raw/ub.prime.txt" rcodes)
[ -n "$a0" ] && [ -n "$a1" ] && R[ub.prime.upstream]=$(awk -v a="$a0" -v b="$a1" 'BEGIN {printf "%d", b - a}')
log "  primed unbound's cache: ${R[ub.prime.rcodes]}; ${R[ub.prime.upstream]:-?} queries to the authority"

LAST_N=""
for n in $CENTERS; do LAST_N=$n; done
for n in $CENTERS; do
  log "n=$n centers"
  t0=$(now_ms)
  start_resolver "$n" || die "cdns-resolver (n$n) did not start or answer (see $OUT/logs/resolver-n$n.log)"
  R[n$n.start_ms]=$(( $(now_ms) - t0 ))
  log "  cdns-resolver on port $RES_PORT (pid $RES_PID), answering after ${R[n$n.start_ms]} ms"
  check_answers "$n"
  publish_to_answer "$n"
  for r in $(seq 1 "$REPEAT"); do
    measure "res.n$n.r$r" "$RES_PORT" "$RES_PID" "$WORK/q$n.txt"
    kill -0 "$RES_PID" 2>/dev/null || die "cdns-resolver (n$n) died during the run (see $OUT/logs/resolver-n$n.log)"
    a0=$(metric "$AUTH_METRICS" cdns_authority_queries_total)
    measure "ub.n$n.r$r" "$UB_PORT" "$UB_PID" "$WORK/qplain.txt"
    a1=$(metric "$AUTH_METRICS" cdns_authority_queries_total)
    [ -n "$a0" ] && [ -n "$a1" ] && R[ub.n$n.r$r.upstream]=$(awk -v a="$a0" -v b="$a1" 'BEGIN {printf "%d", b - a}')
  done
  for k in answer nodata nxdomain formerr; do
    R[n$n.outcome.$k]=$(metric "$RES_METRICS" cdns_resolver_service_queries_total "outcome=\"$k\"")
  done
  for k in built reused; do
    R[n$n.plans.$k]=$(metric "$RES_METRICS" cdns_resolver_plans_total "how=\"$k\"")
  done
  if [ "$HAVE_CURL" = 1 ] && [ -n "$RES_METRICS" ]; then
    R[n$n.chosen]=$(curl -s --max-time 2 "http://127.0.0.1:$RES_METRICS/metrics" | awk '/^cdns_resolver_chosen_total/ && $2 > 0 {c++} END {print c + 0}')
  fi
  R[n$n.rss]=$(awk '/^VmRSS:/ {print $2}' "/proc/$RES_PID/status" 2>/dev/null)
  if [ "$PERF" = 1 ] && [ "$n" = "$LAST_N" ]; then profile_resolver "$n"; fi
  stop_server "$RES_PID"
done
stop_server "$UB_PID"

if [ "$DECISION" = 1 ]; then
  log "bench_decision (one decision, four-stage chain, 10 to 10,000 candidates)"
  pre=()
  [ "$PIN" = 1 ] && pre=(taskset -c "$SERVER_CPU")
  timeout --foreground -k 5 600 "${pre[@]}" "$DECISION_BIN" --benchmark_min_time="$DECISION_MIN_TIME" \
    --benchmark_repetitions="$DECISION_REPS" >"$OUT/raw/decision.txt" 2>&1 || note "bench_decision exited non-zero"
fi

# ---------------------------------------------------------------- tables
g() { echo "${R[$1]:-}"; }
series() { local k=$1 f=$2 r out=""; for r in $(seq 1 "$REPEAT"); do out+="$(g "$k.r$r.$f") "; done; echo "$out"; }
for n in $CENTERS; do
  for s in res ub; do
    R[$s.n$n.qps]=$(series "$s.n$n" qps | median)
    R[$s.n$n.cpuq]=$(series "$s.n$n" cpuq | median)
  done
done

TABLE=$OUT/table.md
{
  echo "| centers | cdns-resolver service qps | Unbound cached qps | ratio | cdns-resolver CPU µs/query | Unbound CPU µs/query | ratio | publish-to-answer median / p99 / max (ms) |"
  echo "|---|---|---|---|---|---|---|---|"
  for n in $CENTERS; do
    printf '| %s | %s | %s | **%s** | %s | %s | %s | %s / %s / %s |\n' "$n" \
      "$(fmt_qps "$(g "res.n$n.qps")")" "$(fmt_qps "$(g "ub.n$n.qps")")" "$(ratio "$(g "res.n$n.qps")" "$(g "ub.n$n.qps")")" \
      "$(fmt_num "$(g "res.n$n.cpuq")" 2)" "$(fmt_num "$(g "ub.n$n.cpuq")" 2)" "$(ratio "$(g "res.n$n.cpuq")" "$(g "ub.n$n.cpuq")")" \
      "$(fmt_num "$(g "n$n.pa.answer_ms_p50")" 2)" "$(fmt_num "$(g "n$n.pa.answer_ms_p99")" 2)" "$(fmt_num "$(g "n$n.pa.answer_ms_max")" 2)"
  done
  echo
  echo "qps and CPU µs/query: median of $REPEAT measured run(s) of ${RUN_S} s each (after ${WARM_S} s warm-up), dnsperf -c 8 -T 1 -q 200;"
  echo "$([ "$PIN" = 1 ] && echo "servers pinned to CPU $SERVER_CPU, dnsperf to CPU $CLIENT_CPU" || echo "nothing pinned"); ratios divide cdns-resolver's figure by Unbound's."
  echo "Publish-to-answer: $SAMPLES updates per size, from the update's acknowledgement to the first poll (every $POLL_US µs) that sees the new answer."
  echo "Load average at the start: $(awk '{print $1, $2, $3}' <<<"$LOAD_START") ($NCPU CPUs)."
  [ "$QUICK" = 1 ] && echo "Quick mode: a smoke test, not a measurement."
} >"$TABLE"

if [ -s "$OUT/raw/decision.txt" ]; then
  {
    echo "| benchmark | candidates | CPU time per decision | wall time per decision |"
    echo "|---|---|---|---|"
    # with repetitions: the medians; without: the single lines
    awk -v reps="$DECISION_REPS" '
      function us(v, u) { if (u == "ns") return v / 1000; if (u == "ms") return v * 1000; return v }
      /^BM_/ {
        name = $1
        if (reps > 1 && name !~ /_median$/) next
        sub(/_median$/, "", name)
        split(name, p, "/")
        printf "| %s | %s | %.2f µs | %.2f µs |\n", p[1], p[2], us($4, $5), us($2, $3)
      }' "$OUT/raw/decision.txt"
    echo
    echo "Google Benchmark, $( [ "$DECISION_REPS" -gt 1 ] && echo "median of $DECISION_REPS repetitions" || echo "one repetition"), --benchmark_min_time=$DECISION_MIN_TIME$([ "$PIN" = 1 ] && echo ", pinned to CPU $SERVER_CPU")."
  } >"$OUT/table-decision.md"
fi

DETAILS=$OUT/details.md
{
  echo "# Details"
  echo
  sed 's/^/    /' "$OUT/env.txt"
  echo
  echo "| run | qps | completed | lost | avg latency ms | server CPU µs/query | avg response B | response codes | upstream queries during run | loadavg after |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  for n in $CENTERS; do
    for r in $(seq 1 "$REPEAT"); do
      for s in res ub; do
        k=$s.n$n.r$r
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$k" "$(fmt_num "$(g "$k.qps")" 0)" "$(g "$k.comp")" \
          "$(g "$k.lost")" "$(fmt_num "$(g "$k.avg")" 3)" "$(g "$k.cpuq")" "$(g "$k.resp")" "$(g "$k.rcodes")" \
          "$([ "$s" = ub ] && g "$k.upstream")" "$(g "$k.load")"
      done
    done
  done
  echo
  echo "Unbound's cache primed with one pass over the $PLAIN_NAMES names: $(g ub.prime.rcodes); $(g ub.prime.upstream) queries to the authority."
  echo
  echo "| centers | resolver start to first answer (ms) | answer checks | service outcomes answer / nodata / nxdomain / formerr | decisions: chains run in full / from plans | centers chosen at least once | resolver RSS after runs (MiB) |"
  echo "|---|---|---|---|---|---|---|"
  for n in $CENTERS; do
    printf '| %s | %s | %s | %s / %s / %s / %s | %s / %s | %s | %s |\n' "$n" "$(g "n$n.start_ms")" "$(g "n$n.check")" \
      "$(g "n$n.outcome.answer")" "$(g "n$n.outcome.nodata")" "$(g "n$n.outcome.nxdomain")" "$(g "n$n.outcome.formerr")" \
      "$(g "n$n.plans.built")" "$(g "n$n.plans.reused")" "$(g "n$n.chosen")" "$(fmt_mib "$(g "n$n.rss")")"
  done
  echo
  echo "| centers | updates | seen | missing | failed | answer ms median / p90 / p99 / max / mean | update acknowledged in, ms median / p99 | IXFRs |"
  echo "|---|---|---|---|---|---|---|---|"
  for n in $CENTERS; do
    printf '| %s | %s | %s | %s | %s | %s / %s / %s / %s / %s | %s / %s | %s |\n' "$n" "$SAMPLES" "$(g "n$n.pa.seen")" \
      "$(g "n$n.pa.missing")" "$(g "n$n.pa.failed")" "$(g "n$n.pa.answer_ms_p50")" "$(g "n$n.pa.answer_ms_p90")" \
      "$(g "n$n.pa.answer_ms_p99")" "$(g "n$n.pa.answer_ms_max")" "$(g "n$n.pa.answer_ms_mean")" \
      "$(g "n$n.pa.ack_ms_p50")" "$(g "n$n.pa.ack_ms_p99")" "$(g "n$n.pa.ixfr")"
  done
  if [ -s "$OUT/perf-load.txt" ]; then
    echo
    echo "Profile of cdns-resolver under dnsperf at n$LAST_N (perf, self time):"
    echo
    sed 's/^/    /' "$OUT/perf-load.txt"
  fi
  if [ -s "$OUT/perf-update.txt" ]; then
    echo
    echo "Profile of cdns-resolver and cdns-authority during 50 updates at n$LAST_N (perf, self time):"
    echo
    sed 's/^/    /' "$OUT/perf-update.txt"
  fi
  if [ -s "$OUT/notes.txt" ]; then echo; echo "Notes:"; sed 's/^/- /' "$OUT/notes.txt"; fi
  echo
  echo "Workload:"
  sed 's/^/    /' "$OUT/workload.txt"
  echo
  echo "loadavg at the end: $(cat /proc/loadavg)"
} >"$DETAILS"

echo
cat "$TABLE"
[ -s "$OUT/table-decision.md" ] && { echo; cat "$OUT/table-decision.md"; }
if [ -s "$OUT/notes.txt" ]; then echo; echo "Notes:"; sed 's/^/- /' "$OUT/notes.txt"; fi
echo
echo "results: $OUT (table.md, table-decision.md, details.md, checks.txt, perf-load.txt, perf-update.txt, raw/, logs/)"
