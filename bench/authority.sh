#!/usr/bin/env bash
# Benchmarks cdns-authority against Knot (knotd) and NSD on loopback with dnsperf.
#
#   bench/authority.sh [--quick] [--out DIR] [--servers "cdns knot nsd"] [--unpinned-pass]
#
# Run from the repository root. See bench/README.md for the method and how to read the table.
set -uo pipefail

usage() {
  cat <<'EOF'
usage: bench/authority.sh [options]

Measures cdns-authority, knotd and nsd on 127.0.0.1 with dnsperf: UDP and TCP throughput,
server CPU time per query, latency at a fixed 20k qps, lost queries, and memory with a
10k-name zone and with a 1M-record zone. Prints a Markdown table and keeps the raw outputs.

  --quick            smoke test: 5 s runs, no 1M-record zone
  --out DIR          results directory (default: a new temporary directory, printed at the end)
  --servers LIST     which servers, space or comma separated (default: "cdns knot nsd")
  --unpinned-pass    add a second pass: 2 server threads, nothing pinned, dnsperf -T 2
  --no-pin           do not pin (default: server on CPU 1, dnsperf on CPU 0)
  --no-build         do not (re)build; use the existing build/release binaries
  -h, --help         this text

Needs: dnsperf, kdig (knot-dnsutils), knotd, nsd, taskset, cmake + ninja for the build.
EOF
}

# ---------------------------------------------------------------- options
QUICK=0 OUT="" SERVERS="cdns knot nsd" PASS2=0 PIN=1 BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --out) [ $# -ge 2 ] || { echo "--out needs a directory" >&2; exit 2; }; OUT=$2; shift ;;
    --out=*) OUT=${1#--out=} ;;
    --servers) [ $# -ge 2 ] || { echo "--servers needs a list" >&2; exit 2; }; SERVERS=${2//,/ }; shift ;;
    --unpinned-pass) PASS2=1 ;;
    --no-pin) PIN=0 ;;
    --no-build) BUILD=0 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
for s in $SERVERS; do
  case "$s" in cdns|knot|nsd) ;; *) echo "--servers: unknown server $s (cdns, knot, nsd)" >&2; exit 2 ;; esac
done

if [ "$QUICK" = 1 ]; then RUN_S=5 FIXED_S=5; else RUN_S=15 FIXED_S=15; fi
WARM_S=3
FIXED_QPS=20000
THREADS=1
CLIENT_CPU=0 SERVER_CPU=1
NCPU=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
if [ "$PIN" = 1 ] && [ "$NCPU" -lt 2 ]; then
  echo "note: fewer than 2 CPUs; not pinning" >&2
  PIN=0
fi
HZ=$(getconf CLK_TCK)
ZONE=bench.example.
BUILD_DIR=build/release
CDNS_BIN=$BUILD_DIR/authority/cdns-authority
RRCONV_BIN=$BUILD_DIR/rrtypes/cdns-rrconv

[ -f authority/main.cpp ] && [ -f CMakeLists.txt ] || { echo "run this from the repository root" >&2; exit 2; }

# shellcheck source=bench/lib.sh
. bench/lib.sh

need=(dnsperf kdig getconf awk)
for s in $SERVERS; do
  case "$s" in knot) need+=(knotd) ;; nsd) need+=(nsd nsd-checkconf) ;; esac
done
[ "$PIN" = 1 ] && need+=(taskset)
require_tools "${need[@]}"
bench_dirs cdns-bench

# ---------------------------------------------------------------- build
if [ "$BUILD" = 1 ]; then build_release cdns-authority cdns-rrconv; fi
[ -x "$CDNS_BIN" ] && [ -x "$RRCONV_BIN" ] || die "missing $CDNS_BIN or $RRCONV_BIN"

# ---------------------------------------------------------------- zone and queries
# Deterministic: a fixed Park-Miller generator in awk (same output under mawk and gawk).
gen_zone() {  # FILE: ~10k owners: 8000 A, 1000 TXT, 500 SRV owners x3, 600 SITE+CAP owners
  awk -v origin="$ZONE" '
  function rnd(n) { seed = (seed * 16807) % 2147483647; return seed % n }
  BEGIN {
    seed = 20261201
    printf "$ORIGIN %s\n$TTL 3600\n", origin
    print "@ IN SOA ns1 hostmaster 2026120101 3600 600 604800 300"
    print "  IN NS ns1"
    print "  IN NS ns2"
    print "ns1 IN A 127.0.0.1"
    print "ns2 IN A 127.0.0.2"
    for (i = 0; i < 8000; i++)
      printf "a%d IN A 10.%d.%d.%d\n", i, int(i / 65536), int(i / 256) % 256, i % 256
    for (i = 0; i < 1000; i++)
      printf "t%d IN TXT \"v=bench1 id=%d key=%08x\" \"region=r%d\"\n", i, i, rnd(2147483647), i % 37
    for (i = 0; i < 500; i++)
      for (j = 0; j < 3; j++)
        printf "_svc._tcp.s%d IN SRV %d %d %d a%d\n", i, 10 + j, 100 - 10 * j, 8000 + j, (3 * i + j) % 8000
    split("ai hpc cloud edge", kind, " ")
    split("H200 A100 H100 L40S", gpu, " ")
    for (i = 0; i < 600; i++) {
      ts = 1795843200 + i
      printf "c%d IN SITE kind=%s region=r%d ts=%d\n", i, kind[i % 4 + 1], i % 50, ts
      cpu_t = 64 * (1 + rnd(64)); gpu_t = 8 * (1 + rnd(16)); mem_t = 1 + rnd(32)
      printf "c%d IN CAP cpu=%d/%d gpu=%s:%d/%d mem=%dT/%dT load=0.%02d queue=%d ts=%d\n", \
        i, rnd(cpu_t + 1), cpu_t, gpu[i % 4 + 1], rnd(gpu_t + 1), gpu_t, rnd(mem_t + 1), mem_t, rnd(100), rnd(50), ts
    }
  }' >"$1"
}

gen_queries() {  # FILE: 100,000 lines: 80% A, 7% TXT, 5% SRV, 5% TYPE65281 (CAP), 3% NXDOMAIN
  awk -v origin="${ZONE%.}" '
  function rnd(n) { seed = (seed * 16807) % 2147483647; return seed % n }
  BEGIN {
    seed = 424242
    for (i = 0; i < 100000; i++) {
      c = (i * 37) % 100   # spreads the categories evenly through the file
      if (c < 80)      printf "a%d.%s A\n", rnd(8000), origin
      else if (c < 87) printf "t%d.%s TXT\n", rnd(1000), origin
      else if (c < 92) printf "_svc._tcp.s%d.%s SRV\n", rnd(500), origin
      else if (c < 97) printf "c%d.%s TYPE65281\n", rnd(600), origin
      else             printf "nx%d.%s A\n", rnd(1000000), origin
    }
  }' >"$1"
}

gen_big_zone() {  # FILE: SOA, NS and 1,000,000 A records r0..r999999
  awk -v origin="$ZONE" 'BEGIN {
    printf "$ORIGIN %s\n$TTL 3600\n", origin
    print "@ IN SOA ns1 hostmaster 2026120101 3600 600 604800 300"
    print "  IN NS ns1"
    print "ns1 IN A 127.0.0.1"
    for (i = 0; i < 1000000; i++)
      printf "r%d IN A 10.%d.%d.%d\n", i, int(i / 65536), int(i / 256) % 256, i % 256
  }' >"$1"
}

log "generating zone and queries in $WORK"
ZONE_TEXT=$WORK/bench.example.zone           # presentation form (cdns-authority)
ZONE_GENERIC=$WORK/bench.example.generic.zone  # RFC 3597 form for knotd and nsd
QUERIES=$WORK/queries.txt
gen_zone "$ZONE_TEXT"
"$RRCONV_BIN" --zone "$ZONE_TEXT" --origin "$ZONE" --to generic >"$ZONE_GENERIC" 2>"$OUT/logs/rrconv.log" \
  || die "cdns-rrconv rejected the generated zone (see $OUT/logs/rrconv.log)"
gen_queries "$QUERIES"
{
  echo "zone: $(grep -c . "$ZONE_GENERIC") records, $(awk '{print $1}' "$ZONE_GENERIC" | sort -u | wc -l) owner names"
  awk '{n[$4]++} END {for (t in n) printf "  %s %d\n", t, n[t]}' "$ZONE_GENERIC" | sort
  echo "queries: $(wc -l <"$QUERIES") lines"
  awk '{t = ($1 ~ /^nx/) ? "NXDOMAIN(" $2 ")" : $2; n[t]++} END {for (t in n) printf "  %s %d\n", t, n[t]}' "$QUERIES" | sort
  echo "zone sha256 (presentation): $(sha256sum "$ZONE_TEXT" | cut -c1-16), queries sha256: $(sha256sum "$QUERIES" | cut -c1-16)"
} >"$OUT/workload.txt"
sed 's/^/  /' "$OUT/workload.txt" >&2

# ---------------------------------------------------------------- process helpers
tree_mem_kib() {  # PID: "RSS PSS" in KiB, summed over the process tree
  local rss=0 pss=0 p v
  for p in $(tree_pids "$1"); do
    v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null); rss=$((rss + ${v:-0}))
    v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null); pss=$((pss + ${v:-0}))
  done
  echo "$rss $pss"
}

tree_affinity() {  # PID: distinct CPU lists allowed to the tree's threads
  local p t
  for p in $(tree_pids "$1"); do
    for t in /proc/"$p"/task/*; do awk '/^Cpus_allowed_list:/ {print $2}' "$t/status" 2>/dev/null; done
  done | sort -u | paste -sd' '
}

now_ms() { date +%s%3N; }

dig_status() {  # PORT NAME TYPE [tcp]: prints "RCODE ANSWERS AA(0/1)"
  local tcp=()
  [ "${4:-}" = tcp ] && tcp=(+tcp)
  kdig @127.0.0.1 -p "$1" +retry=0 +timeout=1 +norec "${tcp[@]}" "$2" "$3" 2>/dev/null | awk '
    /status:/ { for (i = 1; i <= NF; i++) if ($i == "status:") { r = $(i + 1); sub(/;$/, "", r) } }
    /^;; Flags:/ { aa = ($0 ~ /Flags:[^;]* aa/) ? 1 : 0
                   for (i = 1; i <= NF; i++) if ($i == "ANSWER:") { a = $(i + 1); sub(/;$/, "", a) } }
    END { if (r == "") print "NO-ANSWER - -"; else print r, a, aa }'
}

wait_answer() {  # PID PORT NAME TIMEOUT_S: wait until NAME/A answers NOERROR with data
  local pid=$1 port=$2 name=$3 deadline=$(( $(date +%s) + $4 )) st
  while [ "$(date +%s)" -lt "$deadline" ]; do
    kill -0 "$pid" 2>/dev/null || return 1
    st=$(dig_status "$port" "$name" A)
    case "$st" in "NOERROR "[1-9]*) return 0 ;; esac
    sleep 0.1
  done
  return 1
}

# ---------------------------------------------------------------- servers
# start_SERVER NAME ZONEFILE_TEXT ZONEFILE_GENERIC THREADS PIN(0/1) READY_NAME TIMEOUT_S
# sets SRV_PID and SRV_PORT; the server runs in the foreground of its own session.
SRV_PID="" SRV_PORT=""

launch() {  # LOGFILE PIN CMD...: start CMD in its own session (pinned if PIN=1), set SRV_PID
  local logf=$1 pin=$2; shift 2
  local pre=()
  [ "$pin" = 1 ] && pre=(taskset -c "$SERVER_CPU")
  setsid "${pre[@]}" "$@" >>"$logf" 2>&1 </dev/null &
  SRV_PID=$!
  SERVER_PIDS+=("$SRV_PID")
}

start_cdns() {
  local tag=$1 zt=$2 threads=$4 pin=$5 ready_name=$6 timeout=$7
  local d=$WORK/cdns-$tag deadline
  mkdir -p "$d"
  rm -f "$d/ready"
  launch "$OUT/logs/cdns-$tag.log" "$pin" "$CDNS_BIN" --listen 127.0.0.1:0 --ready-file "$d/ready" \
    --zone "${ZONE%.}=$zt" --threads "$threads" --log-level warn
  deadline=$(( $(date +%s) + timeout ))
  while [ ! -s "$d/ready" ] && [ "$(date +%s)" -lt "$deadline" ]; do
    kill -0 "$SRV_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  [ -s "$d/ready" ] || return 1
  SRV_PORT=$(awk '$1 == "udp" && $2 == "127.0.0.1" {print $3; exit}' "$d/ready")
  [ -n "$SRV_PORT" ] || return 1
  wait_answer "$SRV_PID" "$SRV_PORT" "$ready_name" "$timeout"
}

start_knot() {
  local tag=$1 zg=$3 threads=$4 pin=$5 ready_name=$6 timeout=$7
  local d=$WORK/knot-$tag
  for _ in 1 2 3; do  # retry when the picked port was taken meanwhile
    rm -rf "$d"; mkdir -p "$d/db"
    SRV_PORT=$(free_port) || return 1
    cat >"$d/knot.conf" <<EOF
server:
    rundir: "$d"
    listen: 127.0.0.1@$SRV_PORT
    udp-workers: $threads
    tcp-workers: $threads
    background-workers: 1
database:
    storage: "$d/db"
log:
  - target: stderr
    any: warning
template:
  - id: default
    storage: "$d"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
    semantic-checks: off
zone:
  - domain: $ZONE
    file: "$zg"
EOF
    launch "$OUT/logs/knot-$tag.log" "$pin" knotd -c "$d/knot.conf"
    wait_answer "$SRV_PID" "$SRV_PORT" "$ready_name" "$timeout" && return 0
    kill -0 "$SRV_PID" 2>/dev/null && return 1  # running but not answering: do not retry
    stop_server "$SRV_PID"
  done
  return 1
}

NSD_RRL=0  # Debian builds NSD with response rate limiting, on by default (200 qps per source)
if command -v nsd >/dev/null 2>&1; then
  NSD_V=$(nsd -v 2>&1 || true)
  [[ "$NSD_V" == *--enable-ratelimit* ]] && NSD_RRL=1
fi

start_nsd() {
  local tag=$1 zg=$3 threads=$4 pin=$5 ready_name=$6 timeout=$7
  local d=$WORK/nsd-$tag rrl=""
  [ "$NSD_RRL" = 1 ] && rrl=$'    rrl-ratelimit: 0\n    rrl-whitelist-ratelimit: 0'
  for _ in 1 2 3; do  # retry when the picked port was taken meanwhile
    rm -rf "$d"; mkdir -p "$d"
    SRV_PORT=$(free_port) || return 1
    cat >"$d/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1@$SRV_PORT
    server-count: $threads
    reuseport: yes
    username: ""
    chroot: ""
    database: ""
    zonesdir: "$d"
    pidfile: "$d/nsd.pid"
    xfrdfile: "$d/xfrd.state"
    xfrdir: "$d"
    zonelistfile: "$d/zone.list"
    verbosity: 1
    tcp-count: 256
$rrl
remote-control:
    control-enable: no
zone:
    name: $ZONE
    zonefile: "$zg"
EOF
    nsd-checkconf "$d/nsd.conf" >>"$OUT/logs/nsd-$tag.log" 2>&1 || return 1
    if [ "$NSD_RRL" = 1 ] && [ "$(nsd-checkconf -o rrl-ratelimit "$d/nsd.conf" 2>/dev/null)" != 0 ]; then
      log "  nsd: could not switch RRL off"; return 1
    fi
    launch "$OUT/logs/nsd-$tag.log" "$pin" nsd -d -c "$d/nsd.conf"
    wait_answer "$SRV_PID" "$SRV_PORT" "$ready_name" "$timeout" && return 0
    kill -0 "$SRV_PID" 2>/dev/null && return 1
    stop_server "$SRV_PID"
  done
  return 1
}

start_server() {  # SERVER TAG ZT ZG THREADS PIN READY_NAME TIMEOUT_S
  local s=$1; shift
  SRV_PID="" SRV_PORT=""
  "start_$s" "$@"
}

# ---------------------------------------------------------------- dnsperf
# run_dnsperf OUTFILE PORT SECONDS TRANSPORT(udp/tcp) PIN CLIENT_THREADS [MAX_QPS]
run_dnsperf() {
  local outf=$1 port=$2 secs=$3 mode=$4 pin=$5 cthreads=$6 qps=${7:-}
  local pre=() args=(-s 127.0.0.1 -p "$port" -d "$QUERIES" -c 8 -T "$cthreads" -q 200 -l "$secs")
  [ "$pin" = 1 ] && pre=(taskset -c "$CLIENT_CPU")
  [ "$mode" = tcp ] && args+=(-m tcp)
  [ -n "$qps" ] && args+=(-Q "$qps")
  {
    echo "# ${pre[*]} dnsperf ${args[*]}"
    echo "# loadavg before: $(cat /proc/loadavg)"
  } >"$outf"
  timeout --foreground -k 5 $((secs + 30)) "${pre[@]}" dnsperf "${args[@]}" >>"$outf" 2>&1
}

# measure SERVER KEY PORT PID SECONDS MODE PIN CTHREADS [QPS]: one run, CPU of the server tree around it
declare -A R  # results: R[key.field]
measure() {
  local s=$1 key=$2 port=$3 pid=$4 secs=$5 mode=$6 pin=$7 ct=$8 qps=${9:-}
  local f="$OUT/raw/$key.txt" t0 t1 comp
  t0=$(tree_ticks "$pid")
  run_dnsperf "$f" "$port" "$secs" "$mode" "$pin" "$ct" "$qps" || log "  dnsperf exited non-zero ($key)"
  t1=$(tree_ticks "$pid")
  comp=$(perf_field "$f" completed)
  R[$key.qps]=$(perf_field "$f" qps)
  R[$key.lost]=$(perf_field "$f" lost)
  R[$key.sent]=$(perf_field "$f" sent)
  R[$key.avg]=$(perf_field "$f" avg_ms)
  R[$key.max]=$(perf_field "$f" max_ms)
  R[$key.rcodes]=$(perf_field "$f" rcodes)
  R[$key.resp]=$(perf_field "$f" resp_size)
  R[$key.cpu_s]=$(awk -v d=$((t1 - t0)) -v hz="$HZ" 'BEGIN {printf "%.2f", d / hz}')
  if [[ "$comp" =~ ^[0-9]+$ ]] && [ "$comp" -gt 0 ]; then
    R[$key.cpuq]=$(awk -v d=$((t1 - t0)) -v hz="$HZ" -v n="$comp" 'BEGIN {printf "%.2f", d / hz / n * 1e6}')
  else
    R[$key.cpuq]=n/a
  fi
  echo "# server CPU: $((t1 - t0)) ticks at $HZ Hz over $comp completed queries = ${R[$key.cpuq]} us/query" >>"$f"
  log "  $key: $(fmt_num "${R[$key.qps]}" 0) qps, lost ${R[$key.lost]}, avg ${R[$key.avg]} ms, max ${R[$key.max]} ms, server CPU ${R[$key.cpuq]} us/query"
}

# ---------------------------------------------------------------- correctness checks
CHECKS=$OUT/checks.txt
: >"$CHECKS"
check_server() {  # SERVER PORT: answers of each query kind, over UDP and TCP
  local s=$1 port=$2 q t want st tr bad=0
  for tr in udp tcp; do
    while read -r q t want; do
      st=$(dig_status "$port" "$q.${ZONE%.}" "$t" "$tr")
      printf '%-6s %-4s %-34s %-9s -> %s (want %s)\n' "$s" "$tr" "$q" "$t" "$st" "$want" >>"$CHECKS"
      case "$want" in
        NXDOMAIN) [[ "$st" == NXDOMAIN* ]] || bad=1 ;;
        *) [[ "$st" == "NOERROR $want 1" ]] || bad=1 ;;
      esac
    done <<'EOF'
a7999 A 1
t999 TXT 1
_svc._tcp.s499 SRV 3
c599 TYPE65281 1
c599 TYPE65280 1
nx1 A NXDOMAIN
EOF
  done
  # the CAP rdata as each server returns it, to compare across servers
  kdig @127.0.0.1 -p "$port" +retry=0 +timeout=1 +norec +noall +answer "c7.${ZONE%.}" TYPE65281 2>/dev/null \
    | awk '{$2 = ""; print}' >"$WORK/cap-$s.txt"
  [ "$bad" = 0 ] || { log "  WARNING: $s gave unexpected answers (see checks.txt)"; R[$s.check]=FAILED; return 0; }
  R[$s.check]=ok
}

# ---------------------------------------------------------------- the runs
pin_check() {  # SERVER PID: make sure every thread is on SERVER_CPU (Knot re-pins its UDP workers)
  local s=$1 pid=$2 aff
  aff=$(tree_affinity "$pid")
  if [ "$aff" != "$SERVER_CPU" ]; then
    log "  $s threads allowed on CPUs '$aff' after start; re-pinning all to CPU $SERVER_CPU"
    echo "$s: threads allowed on CPUs '$aff' after start; re-pinned to $SERVER_CPU" >>"$OUT/notes.txt"
    local p
    for p in $(tree_pids "$pid"); do taskset -a -p -c "$SERVER_CPU" "$p" >/dev/null 2>&1 || true; done
    aff=$(tree_affinity "$pid")
  fi
  R[$s.affinity]=$aff
}

server_pass() {  # SERVER PASS(1|2)
  local s=$1 pass=$2 pin threads ct
  if [ "$pass" = 1 ]; then pin=$PIN threads=$THREADS ct=1; else pin=0 threads=2 ct=2; fi
  local tag="p$pass"
  log "$s (pass $pass: $threads server thread(s), $([ "$pin" = 1 ] && echo "server on CPU $SERVER_CPU, dnsperf on CPU $CLIENT_CPU" || echo unpinned))"
  local t0
  t0=$(now_ms)
  if ! start_server "$s" "$tag" "$ZONE_TEXT" "$ZONE_GENERIC" "$threads" "$pin" "a7999.${ZONE%.}" 60; then
    log "  $s did not start or answer (see $OUT/logs/$s-$tag.log):"
    tail -n 3 "$OUT/logs/$s-$tag.log" 2>/dev/null | sed 's/^/      /' >&2
    echo "$s pass $pass: did not start or answer: $(tail -n 1 "$OUT/logs/$s-$tag.log" 2>/dev/null)" >>"$OUT/notes.txt"
    R[$s.$tag.failed]=1
    [ -n "$SRV_PID" ] && stop_server "$SRV_PID"
    return 0
  fi
  local pid=$SRV_PID port=$SRV_PORT
  R[$s.$tag.load_ms]=$(( $(now_ms) - t0 ))
  [ "$pin" = 1 ] && pin_check "$s" "$pid"
  read -r rss pss <<<"$(tree_mem_kib "$pid")"
  R[$s.$tag.rss]=$rss R[$s.$tag.pss]=$pss
  R[$s.$tag.nproc]=$(tree_pids "$pid" | wc -l)
  log "  port $port, pid $pid, RSS $((rss / 1024)) MiB (PSS $((pss / 1024)) MiB) with the 10k zone"
  [ "$pass" = 1 ] && check_server "$s" "$port"

  local mode
  for mode in udp tcp; do
    run_dnsperf "$OUT/raw/$s.$tag.$mode-warmup.txt" "$port" "$WARM_S" "$mode" "$pin" "$ct" || true
    measure "$s" "$s.$tag.$mode" "$port" "$pid" "$RUN_S" "$mode" "$pin" "$ct"
    kill -0 "$pid" 2>/dev/null || { log "  $s died during the $mode run"; R[$s.$tag.failed]=1; return 0; }
  done
  if [ "$pass" = 1 ]; then
    measure "$s" "$s.$tag.fixed" "$port" "$pid" "$FIXED_S" udp "$pin" "$ct" "$FIXED_QPS"
    read -r rss pss <<<"$(tree_mem_kib "$pid")"
    R[$s.$tag.rss_after]=$rss R[$s.$tag.pss_after]=$pss
    [ "$pin" = 1 ] && R[$s.affinity_after]=$(tree_affinity "$pid")
  fi
  stop_server "$pid"
  if [ "$s" = nsd ] && grep -q 'ratelimit block' "$OUT/logs/nsd-$tag.log" 2>/dev/null; then
    log "  WARNING: nsd rate-limited the benchmark (RRL); its figures are not valid"
    echo "nsd pass $pass: response rate limiting blocked queries (see logs/nsd-$tag.log)" >>"$OUT/notes.txt"
  fi
}

big_zone_pass() {  # SERVER: RSS and load time with the 1M-record zone
  local s=$1 t0 rss pss
  log "$s: loading the 1M-record zone"
  t0=$(now_ms)
  if ! start_server "$s" big "$BIG_ZONE" "$BIG_ZONE" "$THREADS" "$PIN" "r999999.${ZONE%.}" 600; then
    log "  $s did not load/answer the 1M zone within 600 s (see $OUT/logs/$s-big.log):"
    tail -n 3 "$OUT/logs/$s-big.log" 2>/dev/null | sed 's/^/      /' >&2
    [ -n "$SRV_PID" ] && stop_server "$SRV_PID"
    R[$s.big.rss]="" R[$s.big.load_ms]=""
    return 0
  fi
  local ms=$(( $(now_ms) - t0 ))
  R[$s.big.load_ms]=$ms
  sleep 1
  read -r rss pss <<<"$(tree_mem_kib "$SRV_PID")"
  R[$s.big.rss]=$rss R[$s.big.pss]=$pss
  R[$s.big.check]=$(dig_status "$SRV_PORT" "r999999.${ZONE%.}" A)
  log "  answered r999999 after $((ms / 1000)).$((ms % 1000 / 100)) s; RSS $((rss / 1024)) MiB (PSS $((pss / 1024)) MiB)"
  stop_server "$SRV_PID"
}

LOAD_START=$(cat /proc/loadavg)
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host: $(uname -srm), $NCPU CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "loadavg at start: $LOAD_START"
  echo "cdns: $(git describe --always --dirty 2>/dev/null || echo unknown) (release build)"
  command -v knotd >/dev/null && echo "knotd: $(knotd --version 2>&1 | head -1)"
  command -v nsd >/dev/null && echo "nsd: $(nsd -v 2>&1 | head -1)$([ "$NSD_RRL" = 1 ] && echo ' (RRL compiled in; switched off: rrl-ratelimit 0)')"
  echo "dnsperf: $(dnsperf -h 2>&1 | awk '/^Version|version/ {print; exit}')"
  echo "mode: $([ "$QUICK" = 1 ] && echo quick || echo full), runs ${RUN_S} s after ${WARM_S} s warm-up, fixed-rate run ${FIXED_S} s at $FIXED_QPS qps"
  echo "pinning: $([ "$PIN" = 1 ] && echo "server on CPU $SERVER_CPU, dnsperf on CPU $CLIENT_CPU" || echo none), $THREADS server thread(s)"
} >"$OUT/env.txt"
: >"$OUT/notes.txt"

for s in $SERVERS; do server_pass "$s" 1; done

# cross-server comparison of the CAP record as served
ref=""
for s in $SERVERS; do
  [ -s "$WORK/cap-$s.txt" ] || continue
  if [ -z "$ref" ]; then ref=$s; continue; fi
  if ! cmp -s "$WORK/cap-$ref.txt" "$WORK/cap-$s.txt"; then
    log "WARNING: $s and $ref return different CAP rdata for c7 (see checks.txt)"
    { echo "CAP rdata for c7 differs between $ref and $s:"; cat "$WORK/cap-$ref.txt" "$WORK/cap-$s.txt"; } >>"$CHECKS"
  fi
done
[ -n "$ref" ] && { echo "c7 TYPE65281 as served by $ref:"; cat "$WORK/cap-$ref.txt"; } >>"$CHECKS"

if [ "$PASS2" = 1 ]; then
  for s in $SERVERS; do server_pass "$s" 2; done
fi

if [ "$QUICK" = 0 ]; then
  BIG_ZONE=$WORK/big.zone
  log "generating the 1M-record zone"
  gen_big_zone "$BIG_ZONE"
  for s in $SERVERS; do big_zone_pass "$s"; done
  rm -f "$BIG_ZONE"
fi

# ---------------------------------------------------------------- table
name_of() { case "$1" in cdns) echo cdns-authority ;; knot) echo "knotd $(knotd --version 2>&1 | awk '{print $NF}')" ;; nsd) echo "nsd $(nsd -v 2>&1 | awk 'NR == 1 {print $NF}')" ;; esac; }
g() { echo "${R[$1]:-}"; }

TABLE=$OUT/table.md
{
  echo "| server | UDP qps | TCP qps | UDP server CPU µs/query | TCP server CPU µs/query | avg latency at $((FIXED_QPS / 1000))k qps (ms) | lost UDP / TCP / $((FIXED_QPS / 1000))k | RSS 10k-zone (MiB) | RSS 1M-zone (MiB) |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for s in $SERVERS; do
    if [ -n "$(g "$s.p1.failed")" ] && [ -z "$(g "$s.p1.udp.qps")" ]; then
      echo "| $(name_of "$s") | failed | | | | | | | |"
      continue
    fi
    printf '| %s | %s | %s | %s | %s | %s | %s / %s / %s | %s | %s |\n' "$(name_of "$s")" \
      "$(fmt_qps "$(g "$s.p1.udp.qps")")" "$(fmt_qps "$(g "$s.p1.tcp.qps")")" \
      "$(fmt_num "$(g "$s.p1.udp.cpuq")" 2)" "$(fmt_num "$(g "$s.p1.tcp.cpuq")" 2)" \
      "$(fmt_num "$(g "$s.p1.fixed.avg")" 3)" \
      "$(g "$s.p1.udp.lost")" "$(g "$s.p1.tcp.lost")" "$(g "$s.p1.fixed.lost")" \
      "$(fmt_mib "$(g "$s.p1.rss")")" "$([ "$QUICK" = 1 ] && echo "not run" || fmt_mib "$(g "$s.big.rss")")"
  done
  for peer in knot nsd; do
    case " $SERVERS " in *" cdns "*) ;; *) continue ;; esac
    case " $SERVERS " in *" $peer "*) ;; *) continue ;; esac
    printf '| **ratio cdns/%s** | %s | %s | %s | %s | %s | | %s | %s |\n' "$peer" \
      "$(ratio "$(g cdns.p1.udp.qps)" "$(g "$peer.p1.udp.qps")")" "$(ratio "$(g cdns.p1.tcp.qps)" "$(g "$peer.p1.tcp.qps")")" \
      "$(ratio "$(g cdns.p1.udp.cpuq)" "$(g "$peer.p1.udp.cpuq")")" "$(ratio "$(g cdns.p1.tcp.cpuq)" "$(g "$peer.p1.tcp.cpuq")")" \
      "$(ratio "$(g cdns.p1.fixed.avg)" "$(g "$peer.p1.fixed.avg")")" \
      "$(ratio "$(g cdns.p1.rss)" "$(g "$peer.p1.rss")")" "$(ratio "$(g cdns.big.rss)" "$(g "$peer.big.rss")")"
  done
  echo
  echo "$THREADS server thread(s), $([ "$PIN" = 1 ] && echo "server pinned to CPU $SERVER_CPU and dnsperf to CPU $CLIENT_CPU" || echo "nothing pinned");" \
       "dnsperf -c 8 -T 1 -q 200, ${RUN_S} s runs after a ${WARM_S} s warm-up; the ${FIXED_QPS} qps run is UDP (-Q $FIXED_QPS)."
  echo "Ratios: qps above 1 means cdns is faster; CPU µs/query, latency and RSS above 1 mean cdns uses more."
  echo "RSS is VmRSS summed over the server's processes right after the zone loaded (NSD forks: see PSS in details.md)."
  echo "Load average at the start: $(awk '{print $1, $2, $3}' <<<"$LOAD_START") (${NCPU} CPUs); compare servers only within one run."
  [ "$QUICK" = 1 ] && echo "Quick mode: short runs and no 1M-record zone; a smoke test, not a measurement."
  if [ -s "$OUT/notes.txt" ]; then echo; echo "Notes:"; sed 's/^/- /' "$OUT/notes.txt"; fi
} >"$TABLE"

if [ "$PASS2" = 1 ]; then
  {
    echo "Pass 2: 2 server threads, nothing pinned, dnsperf -T 2 (${RUN_S} s runs)"
    echo
    echo "| server | UDP qps | TCP qps | UDP server CPU µs/query | TCP server CPU µs/query | lost UDP / TCP |"
    echo "|---|---|---|---|---|---|"
    for s in $SERVERS; do
      printf '| %s | %s | %s | %s | %s | %s / %s |\n' "$(name_of "$s")" "$(fmt_qps "$(g "$s.p2.udp.qps")")" "$(fmt_qps "$(g "$s.p2.tcp.qps")")" \
        "$(fmt_num "$(g "$s.p2.udp.cpuq")" 2)" "$(fmt_num "$(g "$s.p2.tcp.cpuq")" 2)" "$(g "$s.p2.udp.lost")" "$(g "$s.p2.tcp.lost")"
    done
  } >"$OUT/table-pass2.md"
fi

DETAILS=$OUT/details.md
{
  echo "# Details"
  echo
  sed 's/^/    /' "$OUT/env.txt"
  echo
  echo "| run | qps | sent | lost | avg ms | max ms | server CPU s | CPU µs/query | avg response B | response codes |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  for s in $SERVERS; do
    for k in p1.udp p1.tcp p1.fixed p2.udp p2.tcp; do
      [ -n "$(g "$s.$k.qps")" ] || continue
      printf '| %s %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$s" "$k" "$(fmt_num "$(g "$s.$k.qps")" 0)" "$(g "$s.$k.sent")" \
        "$(g "$s.$k.lost")" "$(fmt_num "$(g "$s.$k.avg")" 3)" "$(fmt_num "$(g "$s.$k.max")" 2)" "$(g "$s.$k.cpu_s")" \
        "$(g "$s.$k.cpuq")" "$(g "$s.$k.resp")" "$(g "$s.$k.rcodes")"
    done
  done
  echo
  echo "| server | processes | RSS 10k (MiB) | PSS 10k | RSS 10k after runs | PSS after runs | start to first answer, 10k (s) | RSS 1M (MiB) | PSS 1M | 1M load to answer (s) | 1M check | thread CPUs (pinned pass) | answers check |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  for s in $SERVERS; do
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$s" "$(g "$s.p1.nproc")" \
      "$(fmt_mib "$(g "$s.p1.rss")")" "$(fmt_mib "$(g "$s.p1.pss")")" "$(fmt_mib "$(g "$s.p1.rss_after")")" "$(fmt_mib "$(g "$s.p1.pss_after")")" \
      "$(awk -v v="$(g "$s.p1.load_ms")" 'BEGIN { if (v == "") print "–"; else printf "%.1f", v / 1000 }')" \
      "$(fmt_mib "$(g "$s.big.rss")")" "$(fmt_mib "$(g "$s.big.pss")")" \
      "$(awk -v v="$(g "$s.big.load_ms")" 'BEGIN { if (v == "") print "–"; else printf "%.1f", v / 1000 }')" \
      "$(g "$s.big.check")" "$(g "$s.affinity") → $(g "$s.affinity_after")" "$(g "$s.check")"
  done
  if [ "$PASS2" = 1 ]; then
    echo
    cat "$OUT/table-pass2.md"
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
[ "$PASS2" = 1 ] && { echo; cat "$OUT/table-pass2.md"; }
echo
echo "results: $OUT (table.md, details.md, checks.txt, raw/, logs/)"
