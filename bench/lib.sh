# shellcheck shell=bash
# Helpers shared by the benchmark scripts (sourced, not run). The caller sets BUILD_DIR and
# starts each server in its own session, appending its PID to SERVER_PIDS.

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

require_tools() {  # TOOL...: die naming the first one missing; sets HAVE_SS
  local t
  for t in "$@"; do command -v "$t" >/dev/null 2>&1 || die "$t is not installed"; done
  HAVE_SS=0; command -v ss >/dev/null 2>&1 && HAVE_SS=1
  return 0
}

bench_dirs() {  # PREFIX: make WORK (removed on exit) and OUT (kept; made when --out was not given)
  WORK=$(mktemp -d -t "$1.XXXXXX") || die "mktemp failed"
  if [ -z "$OUT" ]; then
    OUT=$(mktemp -d -t "$1-results.XXXXXX") || die "mktemp failed"
  fi
  mkdir -p "$OUT/raw" "$OUT/logs" || die "cannot create $OUT"
  OUT=$(cd "$OUT" && pwd)
}

SERVER_PIDS=()  # every server started (each leads its own process group)

stop_server() {  # PID [KILL]: SIGTERM (or SIGKILL) the server's process group, wait up to 10 s
  local pid=$1 sig=${2:-TERM} _
  [ -n "$pid" ] || return 0
  kill "-$sig" -- "-$pid" 2>/dev/null || kill "-$sig" "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  { wait "$pid"; } 2>/dev/null || true
  local keep=() p
  for p in "${SERVER_PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
  SERVER_PIDS=("${keep[@]}")
}

cleanup() {
  local rc=$? p
  trap - EXIT INT TERM HUP
  for p in "${SERVER_PIDS[@]}"; do stop_server "$p"; done
  rm -rf "$WORK"
  [ $rc -ne 0 ] && log "stopped (status $rc); partial results in $OUT"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

build_release() {  # TARGET...: configure BUILD_DIR once (Release, no tests) and build the targets
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    log "configuring $BUILD_DIR"
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCDNS_TESTS=OFF >"$OUT/logs/build.log" 2>&1 \
      || die "cmake configure failed (see $OUT/logs/build.log)"
  fi
  log "building $* (release)"
  cmake --build "$BUILD_DIR" -j2 --target "$@" >>"$OUT/logs/build.log" 2>&1 \
    || die "build failed (see $OUT/logs/build.log)"
}

build_updload() {  # the load generator bench/updload*.cpp, when missing or older than its sources
  local libs=("$BUILD_DIR/common/libcdns_tsig.a" "$BUILD_DIR/common/libcdns_common.a") stale=0 f ldns_libs
  [ -x "$LOADGEN" ] || stale=1
  for f in bench/updload.cpp bench/updload_answer.cpp bench/updload.h common/tsig.h common/dns.h common/wire.h "${libs[@]}"; do [ "$f" -nt "$LOADGEN" ] && stale=1; done
  [ "$stale" = 1 ] || return 0
  log "building the load generator (bench/updload*.cpp)"
  mkdir -p "$(dirname "$LOADGEN")"
  ldns_libs=$(pkg-config --libs ldns 2>/dev/null || echo -lldns)
  # shellcheck disable=SC2086
  g++ -std=c++20 -O2 -Wall -Wextra -I. bench/updload.cpp bench/updload_answer.cpp "${libs[@]}" $ldns_libs -lcrypto -pthread -o "$LOADGEN" \
    >>"$OUT/logs/build.log" 2>&1 || die "building the load generator failed (see $OUT/logs/build.log)"
}

# dnsperf's summary and the figures of the tables
perf_field() {  # FILE FIELD: qps | sent | completed | lost | avg_ms | max_ms | rcodes | resp_size
  awk -v f="$2" '
    /Queries sent:/ { sent = $3 }
    /Queries completed:/ { comp = $3 }
    /Queries lost:/ { lost = $3 }
    /Queries per second:/ { qps = $4 }
    /Average packet size:/ { rs = $NF }
    /Response codes:/ { sub(/^.*Response codes: */, ""); rc = $0 }
    /Average Latency \(s\):/ { avg = $4 * 1000; m = $0; sub(/.*max /, "", m); sub(/\).*/, "", m); mx = m * 1000 }
    END {
      v = (f == "qps") ? qps : (f == "sent") ? sent : (f == "completed") ? comp : (f == "lost") ? lost : \
          (f == "avg_ms") ? avg : (f == "max_ms") ? mx : (f == "rcodes") ? rc : (f == "resp_size") ? rs : ""
      print (v == "") ? "n/a" : v
    }' "$1" 2>/dev/null
}

fmt_qps() { awk -v v="$1" 'BEGIN { if (v == "" || v == "n/a") print "–"; else printf "%.1fk", v / 1000 }'; }
fmt_num() { awk -v v="$1" -v p="$2" 'BEGIN { if (v == "" || v == "n/a") print "–"; else printf "%." p "f", v }'; }
fmt_mib() { awk -v v="$1" 'BEGIN { if (v == "" || v == "n/a") print "–"; else printf "%.1f", v / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a == "n/a" || b == "n/a" || b + 0 == 0) print "–"; else printf "%.2f", a / b }'; }

tree_pids() {  # PID: the PID and its descendants
  ps -e -o pid=,ppid= | awk -v root="$1" '
    { par[$1] = $2; ids[NR] = $1 }
    END {
      inn[root] = 1; print root
      for (round = 0; round < 8; round++) {
        grew = 0
        for (k in ids) { p = ids[k]; if (!(p in inn) && (par[p] in inn)) { inn[p] = 1; print p; grew = 1 } }
        if (!grew) break
      }
    }'
}

tree_ticks() {  # PID: user+system CPU clock ticks of the process tree (all threads)
  local t=0 p s stat
  for p in $(tree_pids "$1"); do
    s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    read -r -a stat <<<"${s##*) }"  # fields from 3 (state) on: utime is 14, stime 15
    t=$((t + stat[11] + stat[12]))
  done
  echo "$t"
}

port_in_use() {
  if [ "$HAVE_SS" = 1 ]; then
    ss -Htuln 2>/dev/null | awk -v p=":$1" 'substr($5, length($5) - length(p) + 1) == p { f = 1 } END { exit !f }'
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

free_port() {
  local _ p
  for _ in $(seq 1 100); do
    p=$((10000 + RANDOM % 22000))  # below the kernel's ephemeral range (32768+), where port-0 binds land
    port_in_use "$p" || { echo "$p"; return 0; }
  done
  return 1
}
