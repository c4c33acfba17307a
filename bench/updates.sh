#!/usr/bin/env bash
# Benchmarks signed, durable RFC 2136 updates and NOTIFY/IXFR propagation: cdns-authority
# against Knot (knotd) on loopback, with a small load generator (bench/updload.cpp).
#
#   bench/updates.sh [--quick] [--out DIR] [--servers "cdns knot"] [--clients "1 8 32"] ...
#
# Run from the repository root. See bench/README.md for the method and how to read the table.
set -uo pipefail

usage() {
  cat <<'EOF'
usage: bench/updates.sh [options]

Measures, for cdns-authority and knotd on 127.0.0.1: durable updates per second (each update
replaces one RRset, signed with TSIG hmac-sha256, journaled and synced before the answer) with
C concurrent clients, update latency, and the propagation time from an update's answer to a
Knot secondary (fed by NOTIFY + IXFR) serving the new record. Prints a Markdown table and keeps
the raw data.

  --quick            smoke test: 50 updates per client, 1 repetition, 10 propagation probes
  --out DIR          results directory (default: a new temporary directory, printed at the end)
  --servers LIST     primaries to measure, space or comma separated (default: "cdns knot")
  --clients LIST     concurrent clients per run (default: "1 8 32")
  --count N          updates per client per run (default: 500; quick: 50)
  --seconds S        time bound of one run (default: 30; quick: 10)
  --repeat R         runs per client count, interleaved between servers (default: 3; quick: 1)
  --prop-count N     sequential updates in the propagation test (default: 50; quick: 10)
  --poll-us US       how often the secondary is polled (default: 1000)
  --tcp              send updates over TCP (default: UDP, as nsupdate/knsupdate do)
  --no-strace        skip the syscall check (strace counts each server's syncs per commit)
  --no-build         do not (re)build; use the existing build/release binaries
  -h, --help         this text

Needs: knotd, knotc, kdig (knot-dnsutils), g++, pkg-config, ldns and OpenSSL headers, cmake +
ninja for the build; curl (optional: cdns commit counts); strace (optional: the sync check).
EOF
}

# ---------------------------------------------------------------- options
QUICK=0 OUT="" SERVERS="cdns knot" CLIENTS="1 8 32" COUNT="" SECONDS_MAX="" REPEAT="" PROP_N="" POLL_US=1000
TCP=0 STRACE=1 BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --out) [ $# -ge 2 ] || { echo "--out needs a directory" >&2; exit 2; }; OUT=$2; shift ;;
    --out=*) OUT=${1#--out=} ;;
    --servers) [ $# -ge 2 ] || { echo "--servers needs a list" >&2; exit 2; }; SERVERS=${2//,/ }; shift ;;
    --clients) [ $# -ge 2 ] || { echo "--clients needs a list" >&2; exit 2; }; CLIENTS=${2//,/ }; shift ;;
    --count) [ $# -ge 2 ] || { echo "--count needs a number" >&2; exit 2; }; COUNT=$2; shift ;;
    --seconds) [ $# -ge 2 ] || { echo "--seconds needs a number" >&2; exit 2; }; SECONDS_MAX=$2; shift ;;
    --repeat) [ $# -ge 2 ] || { echo "--repeat needs a number" >&2; exit 2; }; REPEAT=$2; shift ;;
    --prop-count) [ $# -ge 2 ] || { echo "--prop-count needs a number" >&2; exit 2; }; PROP_N=$2; shift ;;
    --poll-us) [ $# -ge 2 ] || { echo "--poll-us needs a number" >&2; exit 2; }; POLL_US=$2; shift ;;
    --tcp) TCP=1 ;;
    --no-strace) STRACE=0 ;;
    --no-build) BUILD=0 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
for s in $SERVERS; do
  case "$s" in cdns|knot) ;; *) echo "--servers: unknown server $s (cdns, knot)" >&2; exit 2 ;; esac
done
isnum() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ]; }
for c in $CLIENTS; do isnum "$c" && [ "$c" -le 256 ] || { echo "--clients: $c is not 1..256" >&2; exit 2; }; done
if [ "$QUICK" = 1 ]; then
  : "${COUNT:=50}" "${SECONDS_MAX:=10}" "${REPEAT:=1}" "${PROP_N:=10}"
else
  : "${COUNT:=500}" "${SECONDS_MAX:=30}" "${REPEAT:=3}" "${PROP_N:=50}"
fi
for v in "$COUNT" "$SECONDS_MAX" "$REPEAT" "$PROP_N" "$POLL_US"; do isnum "$v" || { echo "not a positive number: $v" >&2; exit 2; }; done
[ "$COUNT" -lt 100000 ] || { echo "--count must be under 100000" >&2; exit 2; }

ZONE=bench.example.
KEY_NAME=pub.
BUILD_DIR=build/release
CDNS_BIN=$BUILD_DIR/authority/cdns-authority
LOADGEN=$BUILD_DIR/bench/updload
NCPU=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
HZ=$(getconf CLK_TCK)
TRANSPORT=$([ "$TCP" = 1 ] && echo tcp || echo udp)
SETTLE_S=2  # pause before each run

[ -f authority/main.cpp ] && [ -f bench/updload.cpp ] || { echo "run this from the repository root" >&2; exit 2; }

# shellcheck source=bench/lib.sh
. bench/lib.sh

need=(kdig getconf awk sort base64 g++ pkg-config)
case " $SERVERS " in *" knot "*) need+=(knotd knotc) ;; esac
need+=(knotd)  # the secondary of the propagation test is always Knot
require_tools "${need[@]}"
HAVE_CURL=0; command -v curl >/dev/null 2>&1 && HAVE_CURL=1
command -v strace >/dev/null 2>&1 || STRACE=0
bench_dirs cdns-upd

# ---------------------------------------------------------------- build
if [ "$BUILD" = 1 ]; then
  build_release cdns-authority cdns-rrconv cdns_tsig cdns_common
  build_updload
fi
[ -x "$CDNS_BIN" ] && [ -x "$LOADGEN" ] || die "missing $CDNS_BIN or $LOADGEN (build without --no-build)"

# ---------------------------------------------------------------- zone and key
# ~2,000 owners: 1,000 centers c0..c999 with one CAP record each (type 65281, RFC 3597 form so
# that both servers read the same file), 1,000 A records; SOA serial 1.
gen_zone() {
  awk -v origin="$ZONE" 'BEGIN {
    printf "$ORIGIN %s\n$TTL 3600\n", origin
    print "@ IN SOA ns1 hostmaster 1 3600 600 604800 300"
    print "  IN NS ns1"
    print "ns1 IN A 127.0.0.1"
    print "prop.centers IN TYPE65281 \\# 8 0007000400000000"
    for (i = 0; i < 1000; i++) printf "c%d.centers IN TYPE65281 \\# 8 00070004%08x\n", i, 0
    for (i = 0; i < 1000; i++) printf "a%d IN A 10.0.%d.%d\n", i, int(i / 256), i % 256
  }' >"$1"
}
ZONE_FILE=$WORK/bench.example.zone
gen_zone "$ZONE_FILE"
SECRET=$(head -c 32 /dev/urandom | base64)
KEYSPEC="hmac-sha256:$KEY_NAME:$SECRET"

# ---------------------------------------------------------------- helpers
soa_serial() {  # PORT: the zone's SOA serial, empty when no answer
  kdig @127.0.0.1 -p "$1" +retry=1 +timeout=1 +norec +short "${ZONE%.}" SOA 2>/dev/null | awk 'NF >= 7 {print $3; exit}'
}

wait_serial() {  # PID PORT TIMEOUT_S: wait until the zone answers
  local pid=$1 port=$2 deadline=$(( $(date +%s) + $3 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    kill -0 "$pid" 2>/dev/null || return 1
    [ -n "$(soa_serial "$port")" ] && return 0
    sleep 0.1
  done
  return 1
}

launch() {  # LOGFILE CMD...: start CMD in its own session, set SRV_PID
  local logf=$1; shift
  setsid "$@" >>"$logf" 2>&1 </dev/null &
  SRV_PID=$!
  SERVER_PIDS+=("$SRV_PID")
}

loadavg() { awk '{print $1, $2, $3}' /proc/loadavg; }

# ---------------------------------------------------------------- servers
# start_cdns TAG [NOTIFY_PORT] [REUSE]: cdns-authority with the zone dynamic (journal in its dir).
# Sets SRV_PID, SRV_PORT, SRV_METRICS. REUSE=1 restarts over the existing directory (crash check).
SRV_PID="" SRV_PORT="" SRV_METRICS=""
start_cdns() {
  local tag=$1 notify_port=${2:-} reuse=${3:-0}
  local d=$WORK/cdns-$tag notify="[]" deadline
  if [ "$reuse" != 1 ]; then
    rm -rf "$d"; mkdir -p "$d"
    cp "$ZONE_FILE" "$d/zone"
    [ -n "$notify_port" ] && notify="[\"127.0.0.1:$notify_port\"]"
    cat >"$d/config.json" <<EOF
{"keys": [{"name": "$KEY_NAME", "algorithm": "hmac-sha256", "secret": "$SECRET"}],
 "log": {"level": "warn"},
 "zones": [{"name": "$ZONE", "file": "$d/zone", "notify": $notify,
            "transfer": {"acl": ["127.0.0.0/8"]},
            "update": {"rules": [{"key": "$KEY_NAME", "name": "centers.$ZONE", "match": "subdomain",
                                  "types": ["TYPE65281"]}],
                       "journal": "$d/zone.journal", "writeback_seconds": 300}}]}
EOF
  fi
  rm -f "$d/ready"
  launch "$OUT/logs/cdns-$tag.log" "$CDNS_BIN" --config "$d/config.json" --listen 127.0.0.1:0 \
    --metrics 127.0.0.1:0 --ready-file "$d/ready"
  deadline=$(( $(date +%s) + 30 ))
  while [ ! -s "$d/ready" ] && [ "$(date +%s)" -lt "$deadline" ]; do
    kill -0 "$SRV_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  SRV_PORT=$(awk '$1 == "udp" {print $3; exit}' "$d/ready" 2>/dev/null)
  SRV_METRICS=$(awk '$1 == "metrics" {print $3; exit}' "$d/ready" 2>/dev/null)
  [ -n "$SRV_PORT" ] || return 1
  wait_serial "$SRV_PID" "$SRV_PORT" 30
}

# start_knot TAG [NOTIFY_PORT] [REUSE] [PORT]: knotd as the primary, DDNS allowed with the key,
# journal on (journal-content: changes, journal-db-mode: robust, the defaults), zone file flushed
# after 300 s like cdns' write-back.
start_knot() {
  local tag=$1 notify_port=${2:-} reuse=${3:-0}
  local d=$WORK/knot-$tag _
  local notify_remote="" notify_zone=""
  for _ in 1 2 3; do  # retry when the picked port was taken meanwhile
    if [ "$reuse" != 1 ]; then
      rm -rf "$d"; mkdir -p "$d/db"
      cp "$ZONE_FILE" "$d/zone"
      SRV_PORT=$(free_port) || return 1
      if [ -n "$notify_port" ]; then
        notify_remote=$'remote:\n  - id: secondary\n    address: 127.0.0.1@'"$notify_port"
        notify_zone="    notify: secondary"
      fi
      cat >"$d/knot.conf" <<EOF
server:
    rundir: "$d"
    listen: 127.0.0.1@$SRV_PORT
database:
    storage: "$d/db"
    journal-db-mode: robust
log:
  - target: stderr
    any: warning
key:
  - id: $KEY_NAME
    algorithm: hmac-sha256
    secret: $SECRET
$notify_remote
acl:
  - id: publisher
    address: 127.0.0.0/8
    key: $KEY_NAME
    action: update
    update-owner: name
    update-owner-match: sub
    update-owner-name: centers
    update-type: TYPE65281
  - id: transfer
    address: 127.0.0.0/8
    action: transfer
template:
  - id: default
    storage: "$d"
    zonefile-sync: 300
    zonefile-load: whole
    journal-content: changes
    semantic-checks: off
zone:
  - domain: $ZONE
    file: "$d/zone"
    acl: [publisher, transfer]
$notify_zone
EOF
      knotc -c "$d/knot.conf" conf-check >>"$OUT/logs/knot-$tag.log" 2>&1 || return 1
    else
      SRV_PORT=$(awk -F@ '/listen:/ {print $2; exit}' "$d/knot.conf")
    fi
    launch "$OUT/logs/knot-$tag.log" knotd -c "$d/knot.conf"
    wait_serial "$SRV_PID" "$SRV_PORT" 30 && return 0
    kill -0 "$SRV_PID" 2>/dev/null && return 1  # running but not answering: do not retry
    stop_server "$SRV_PID"
    [ "$reuse" = 1 ] && return 1
  done
  return 1
}

# start_secondary TAG PORT PRIMARY_PORT: knotd secondary on PORT, fed by NOTIFY + IXFR from the
# primary. No journal and no zone file sync on the secondary (nothing of its own on disk).
start_secondary() {
  local tag=$1 port=$2 primary=$3
  local d=$WORK/secondary-$tag
  rm -rf "$d"; mkdir -p "$d/db"
  cat >"$d/knot.conf" <<EOF
server:
    rundir: "$d"
    listen: 127.0.0.1@$port
database:
    storage: "$d/db"
log:
  - target: stderr
    any: info
remote:
  - id: primary
    address: 127.0.0.1@$primary
acl:
  - id: notify_from_primary
    address: 127.0.0.0/8
    action: notify
template:
  - id: default
    storage: "$d"
    journal-content: none
    zonefile-sync: -1
    semantic-checks: off
zone:
  - domain: $ZONE
    file: "$d/zone"
    master: primary
    acl: [notify_from_primary]
EOF
  launch "$OUT/logs/secondary-$tag.log" knotd -c "$d/knot.conf"
  wait_serial "$SRV_PID" "$port" 30
}

start_primary() {  # SERVER TAG [NOTIFY_PORT] [REUSE]
  local s=$1; shift
  SRV_PID="" SRV_PORT="" SRV_METRICS=""
  "start_$s" "$@"
}

cdns_metric() {  # METRICS_PORT NAME: a counter's value, empty when unknown
  [ "$HAVE_CURL" = 1 ] && [ -n "$1" ] || return 0
  curl -s --max-time 2 "http://127.0.0.1:$1/metrics" 2>/dev/null | awk -v n="$2" '$1 == n {print $2; exit}'
}

# ---------------------------------------------------------------- results
declare -A R   # R[key]: results
kv() { awk -F= -v k="$2" '$1 == k {print $2; exit}' "$1" 2>/dev/null; }

run_load() {  # SERVER PORT PID METRICS CLIENTS REP
  local s=$1 port=$2 pid=$3 metrics=$4 c=$5 rep=$6 key="$1.c$5.r$6"
  local f="$OUT/raw/load.$key.txt" state="$OUT/raw/state.$key.txt" lat="$OUT/raw/lat.$key.txt"
  local base=$(( RUN_NO * 100000 + 1 )) ser0 ser1 b0 b1 t0 t1 tcp=()
  RUN_NO=$((RUN_NO + 1))
  [ "$TCP" = 1 ] && tcp=(--tcp)
  # Start every run from an idle server: Knot plans a NOTIFY event 1 s after each DDNS commit,
  # and an update arriving shortly before that event can wait for it (seen: up to ~0.7 s).
  sleep "$SETTLE_S"
  ser0=$(soa_serial "$port")
  b0=$([ "$s" = cdns ] && cdns_metric "$metrics" cdns_authority_update_batches_total)
  {
    echo "# $s: updload load --clients $c --count $COUNT --seconds $SECONDS_MAX ($TRANSPORT) --base $base"
    echo "# loadavg before: $(cat /proc/loadavg)"
  } >"$f"
  t0=$(tree_ticks "$pid")
  timeout --foreground -k 5 $((SECONDS_MAX + 60)) "$LOADGEN" load --server "127.0.0.1:$port" --zone "$ZONE" \
    --key "$KEYSPEC" --clients "$c" --count "$COUNT" --seconds "$SECONDS_MAX" --base "$base" "${tcp[@]}" \
    --lat-file "$lat" --state-file "$state" >>"$f" 2>&1 || log "  load generator exited non-zero ($key)"
  t1=$(tree_ticks "$pid")
  echo "# loadavg after: $(cat /proc/loadavg)" >>"$f"
  ser1=$(soa_serial "$port")
  b1=$([ "$s" = cdns ] && cdns_metric "$metrics" cdns_authority_update_batches_total)
  local ok rate fails
  ok=$(kv "$f" ok) rate=$(kv "$f" updates_per_s) fails=$(kv "$f" failures)
  R[$key.rate]=$rate R[$key.ok]=$ok R[$key.fail]=$fails R[$key.rcodes]=$(kv "$f" rcodes)
  R[$key.noans]=$(kv "$f" no_answer) R[$key.badtsig]=$(kv "$f" bad_tsig) R[$key.bounded]=$(kv "$f" time_bounded)
  R[$key.mean]=$(kv "$f" lat_ms_mean) R[$key.p99]=$(kv "$f" lat_ms_p99)
  R[$key.ccpu]=$(kv "$f" client_cpu_us_per_update)
  R[$key.load]=$(loadavg)
  # commits: cdns counts them; Knot raises the serial once per commit (one changeset per batch)
  local commits=""
  if [ "$s" = cdns ] && [ -n "$b0" ] && [ -n "$b1" ]; then commits=$((b1 - b0))
  elif [ "$s" = knot ] && [ -n "$ser0" ] && [ -n "$ser1" ]; then commits=$(( (ser1 - ser0 + 4294967296) % 4294967296 ))
  fi
  R[$key.commits]=$commits R[$key.serial_delta]=$(( (${ser1:-0} - ${ser0:-0} + 4294967296) % 4294967296 ))
  if [[ "$ok" =~ ^[0-9]+$ ]] && [ "$ok" -gt 0 ]; then
    R[$key.cpu]=$(awk -v d=$((t1 - t0)) -v hz="$HZ" -v n="$ok" 'BEGIN {printf "%.1f", d / hz / n * 1e6}')
  fi
  echo "# server CPU: $((t1 - t0)) ticks at $HZ Hz; serial $ser0 -> $ser1; commits ${commits:-?}" >>"$f"
  # every acknowledged update is there: each owner serves exactly its last acknowledged value
  local vf="$OUT/raw/verify.$key.txt" spot
  if "$LOADGEN" verify --server "127.0.0.1:$port" --zone "$ZONE" --state-file "$state" >"$vf" 2>&1; then
    R[$key.verify]="ok $(kv "$vf" verify_ok)/$c"
  else
    R[$key.verify]="FAILED $(kv "$vf" verify_bad) of $c"
    log "  WARNING: $s serves a value other than the last acknowledged one (see $vf)"
  fi
  # spot-check with kdig: the first and the last client's record
  for i in 0 $((c - 1)); do
    read -r owner want < <(sed -n "$((i + 1))p" "$state")
    [ "${want:--1}" -ge 0 ] 2>/dev/null || continue
    spot=$(kdig @127.0.0.1 -p "$port" +retry=1 +timeout=2 +norec +short "$owner" TYPE65281 2>/dev/null | tr -d '\n')
    printf 'kdig %s TYPE65281: %s (want value %s = %08x)\n' "$owner" "$spot" "$want" "$want" >>"$vf"
    [[ "${spot,,}" == *"$(printf '00070004%08x' "$want")"* ]] \
      || { R[$key.verify]="FAILED (kdig $owner)"; log "  WARNING: kdig spot-check failed on $s for $owner"; }
  done
  log "  $s C=$c rep $rep: $(printf '%.0f' "${rate:-0}") updates/s, ok $ok, failures $fails, mean ${R[$key.mean]} ms, p99 ${R[$key.p99]} ms, commits ${commits:-?}, verify ${R[$key.verify]}"
}

pooled_lat() {  # SERVER CLIENTS: "mean p99" of every acknowledged update's latency over all repetitions
  cat "$OUT"/raw/lat."$1".c"$2".r*.txt 2>/dev/null | awk '$1 !~ /^#/ && $5 == 0 && $7 == 1 {print $4}' | sort -n |
    awk '{v[NR] = $1; s += $1} END { if (NR == 0) { print "– –"; exit }
      k = int(NR * 0.99); if (k < NR * 0.99) k++; if (k < 1) k = 1
      printf "%.2f %.2f\n", s / NR / 1000, v[k] / 1000 }'
}

median() { tr ' ' '\n' | awk 'NF' | sort -g | awk '{v[NR] = $1} END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# ---------------------------------------------------------------- environment
LOAD_START=$(cat /proc/loadavg)
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host: $(uname -srm), $NCPU CPUs ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "filesystem of the journals: $(df -PT "$WORK" 2>/dev/null | awk 'NR == 2 {print $2}')"
  echo "loadavg at start: $LOAD_START"
  echo "busiest processes at start: $(ps -eo pcpu=,comm= --sort=-pcpu 2>/dev/null | head -5 | awk '{printf "%s %s%%; ", $2, $1}')"
  echo "cdns: $(git describe --always --dirty 2>/dev/null || echo unknown) (release build)"
  echo "knotd: $(knotd --version 2>&1 | head -1)"
  echo "mode: $([ "$QUICK" = 1 ] && echo quick || echo full); clients: $CLIENTS; $COUNT updates per client per run, bounded to $SECONDS_MAX s; $REPEAT repetition(s); transport $TRANSPORT"
  echo "propagation: $PROP_N sequential updates, secondary polled every $POLL_US us"
  echo "threads: cdns-authority default (one worker per core, one update thread); knotd default workers"
} >"$OUT/env.txt"
: >"$OUT/notes.txt"

# ---------------------------------------------------------------- 0. bare fdatasync for reference
log "bare fdatasync loop on the journals' filesystem"
"$LOADGEN" fsync --dir "$WORK" --count 1000 --bytes 200 >"$OUT/raw/fsync.txt" 2>&1 || log "  fsync probe failed"
R[fsync.mean]=$(kv "$OUT/raw/fsync.txt" fsync_ms_mean) R[fsync.p50]=$(kv "$OUT/raw/fsync.txt" fsync_ms_p50)
R[fsync.p99]=$(kv "$OUT/raw/fsync.txt" fsync_ms_p99) R[fsync.rate]=$(kv "$OUT/raw/fsync.txt" fsync_per_s)
log "  200-byte append + fdatasync: mean ${R[fsync.mean]} ms, p50 ${R[fsync.p50]} ms, p99 ${R[fsync.p99]} ms (~$(printf '%.0f' "${R[fsync.rate]:-0}")/s)"

# ---------------------------------------------------------------- 1. durable update throughput
declare -A PID PORT METRICS
for s in $SERVERS; do
  log "starting $s (primary, journal on)"
  if ! start_primary "$s" load; then
    tail -n 5 "$OUT/logs/$s-load.log" 2>/dev/null | sed 's/^/      /' >&2
    die "$s did not start or answer (see $OUT/logs/$s-load.log)"
  fi
  PID[$s]=$SRV_PID PORT[$s]=$SRV_PORT METRICS[$s]=$SRV_METRICS
  log "  $s on port ${PORT[$s]}, pid ${PID[$s]}, serial $(soa_serial "${PORT[$s]}")"
done

RUN_NO=1
for rep in $(seq 1 "$REPEAT"); do
  for c in $CLIENTS; do
    for s in $SERVERS; do  # interleaved, so that a change of machine load hits both
      run_load "$s" "${PORT[$s]}" "${PID[$s]}" "${METRICS[$s]}" "$c" "$rep"
      kill -0 "${PID[$s]}" 2>/dev/null || die "$s died during the run (see $OUT/logs/$s-load.log)"
    done
  done
done

# ---------------------------------------------------------------- 1b. syscall check: syncs per commit
if [ "$STRACE" = 1 ]; then
  for s in $SERVERS; do
    f=$OUT/raw/strace.$s.txt
    log "$s: counting sync system calls over 200 updates (strace; not timed)"
    ser0=$(soa_serial "${PORT[$s]}")
    b0=$([ "$s" = cdns ] && cdns_metric "${METRICS[$s]}" cdns_authority_update_batches_total)
    timeout 120 strace -f -c -e trace=fsync,fdatasync,sync_file_range,msync,pwrite64,pwritev,writev,write \
      -p "${PID[$s]}" -o "$f" 2>/dev/null &
    spid=$!
    sleep 1
    "$LOADGEN" load --server "127.0.0.1:${PORT[$s]}" --zone "$ZONE" --key "$KEYSPEC" --clients 1 --count 200 \
      --owner-fmt "strace%d.centers" --seconds 60 --base $(( RUN_NO * 100000 + 1 )) >"$OUT/raw/strace-load.$s.txt" 2>&1
    RUN_NO=$((RUN_NO + 1))
    sleep 0.5
    kill -INT "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
    ser1=$(soa_serial "${PORT[$s]}")
    n=$(awk '$NF == "fdatasync" || $NF == "fsync" || $NF == "msync" || $NF == "sync_file_range" {n += $4} END {print n + 0}' "$f" 2>/dev/null)
    b1=$([ "$s" = cdns ] && cdns_metric "${METRICS[$s]}" cdns_authority_update_batches_total)
    if [ "$s" = cdns ]; then commits=$(( ${b1:-0} - ${b0:-0} )); else commits=$(( (${ser1:-0} - ${ser0:-0} + 4294967296) % 4294967296 )); fi
    R[$s.syncs]=$n R[$s.sync_commits]=$commits
    log "  $s: $n fsync/fdatasync/msync calls for $commits commits of 200 updates"
    echo "$s: $n fsync/fdatasync/msync calls for $commits commits (200 updates, 1 client), see raw/strace.$s.txt" >>"$OUT/notes.txt"
  done
fi

# ---------------------------------------------------------------- 1c. crash check: kill -9, restart, verify
for s in $SERVERS; do
  # the last run of the last repetition used the most owners; the strace run used others
  last=$OUT/raw/state.$s.c${CLIENTS##* }.r$REPEAT.txt
  [ -s "$last" ] || continue
  want_serial=$(soa_serial "${PORT[$s]}")
  log "$s: kill -9 and restart over the same data"
  stop_server "${PID[$s]}" KILL 2>/dev/null  # (quiet: no "Killed" job notice)
  if start_primary "$s" load "" 1; then
    got_serial=$(soa_serial "$SRV_PORT")
    if "$LOADGEN" verify --server "127.0.0.1:$SRV_PORT" --zone "$ZONE" --state-file "$last" >"$OUT/raw/crash-verify.$s.txt" 2>&1 \
       && [ "$got_serial" = "$want_serial" ]; then
      R[$s.crash]="ok (serial $got_serial)"
    else
      R[$s.crash]="FAILED (serial $got_serial, wanted $want_serial; see raw/crash-verify.$s.txt)"
    fi
    stop_server "$SRV_PID"
  else
    R[$s.crash]="FAILED (did not restart)"
  fi
  log "  $s after kill -9: ${R[$s.crash]}"
done

# ---------------------------------------------------------------- 2. propagation
for s in $SERVERS; do
  log "$s as primary, Knot secondary by NOTIFY + IXFR"
  spid=""
  for _ in 1 2 3; do  # a new pair when the secondary's port was taken meanwhile
    sec_port=$(free_port) || die "no free port"
    start_primary "$s" prop "$sec_port" || die "$s did not start as primary (see $OUT/logs/$s-prop.log)"
    ppid=$SRV_PID pport=$SRV_PORT
    if start_secondary "$s" "$sec_port" "$pport"; then spid=$SRV_PID; break; fi
    running=0; kill -0 "$SRV_PID" 2>/dev/null && running=1
    stop_server "$SRV_PID"; stop_server "$ppid"
    [ "$running" = 1 ] && break  # running but not loading: do not retry
  done
  if [ -z "$spid" ]; then
    log "  the secondary did not load the zone (see $OUT/logs/secondary-$s.log)"
    echo "$s: the propagation secondary did not load the zone" >>"$OUT/notes.txt"
    continue
  fi
  sleep 0.5
  f=$OUT/raw/propagation.$s.txt
  timeout --foreground -k 5 $(( PROP_N * 7 + 60 )) "$LOADGEN" propagate --server "127.0.0.1:$pport" \
    --secondary "127.0.0.1:$sec_port" --zone "$ZONE" --key "$KEYSPEC" --count "$PROP_N" --owner prop.centers \
    --base $(( RUN_NO * 100000 + 1 )) --poll-us "$POLL_US" --wait-ms 5000 --gap-ms 20 \
    --lat-file "$OUT/raw/propagation-each.$s.txt" >"$f" 2>&1 || log "  propagate exited non-zero"
  RUN_NO=$((RUN_NO + 1))
  R[$s.prop.med]=$(kv "$f" prop_ms_p50) R[$s.prop.p99]=$(kv "$f" prop_ms_p99) R[$s.prop.max]=$(kv "$f" prop_ms_max)
  R[$s.prop.mean]=$(kv "$f" prop_ms_mean) R[$s.prop.seen]=$(kv "$f" seen) R[$s.prop.missing]=$(kv "$f" missing)
  R[$s.prop.failed]=$(kv "$f" failed) R[$s.prop.ack]=$(kv "$f" ack_ms_p50)
  R[$s.prop.fast]=$(awk '$1 !~ /^#/ && $4 ~ /^[0-9]+$/ && $4 <= 10000 {n++} END {print n + 0}' "$OUT/raw/propagation-each.$s.txt" 2>/dev/null)
  R[$s.prop.serial]="$(soa_serial "$pport") / $(soa_serial "$sec_port")"
  stop_server "$spid"
  R[$s.prop.ixfr]=$(grep -c 'IXFR, incoming.*finished' "$OUT/logs/secondary-$s.log" 2>/dev/null)
  R[$s.prop.axfr]=$(grep -c 'AXFR, incoming.*finished' "$OUT/logs/secondary-$s.log" 2>/dev/null)
  stop_server "$ppid"
  log "  propagation from $s: median ${R[$s.prop.med]} ms, p99 ${R[$s.prop.p99]} ms, max ${R[$s.prop.max]} ms; seen ${R[$s.prop.seen]}/$PROP_N; IXFR ${R[$s.prop.ixfr]}, AXFR ${R[$s.prop.axfr]}"
done

for s in $SERVERS; do kill -0 "${PID[$s]}" 2>/dev/null && stop_server "${PID[$s]}"; done

# ---------------------------------------------------------------- table
name_of() { case "$1" in cdns) echo cdns-authority ;; knot) echo "knotd $(knotd --version 2>&1 | awk '{print $NF}')" ;; esac; }
g() { echo "${R[$1]:-}"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "–"; else if (a / b < 0.1) printf "%.4f", a / b; else printf "%.2f", a / b }'; }
fmt() { awk -v v="$1" -v p="$2" 'BEGIN { if (v == "") print "–"; else printf "%." p "f", v }'; }

declare -A MED
for s in $SERVERS; do
  for c in $CLIENTS; do
    rates="" fails=0 ok=0 commits=0 verify="ok" bounded=0
    for rep in $(seq 1 "$REPEAT"); do
      k=$s.c$c.r$rep
      rates+=" $(g "$k.rate")"
      fails=$((fails + ${R[$k.fail]:-0})); ok=$((ok + ${R[$k.ok]:-0})); commits=$((commits + ${R[$k.commits]:-0}))
      [[ "$(g "$k.verify")" == ok* ]] || verify="FAILED"
      [ "${R[$k.bounded]:-0}" = 1 ] && bounded=1
    done
    MED[$s.$c.rate]=$(median <<<"$rates")
    MED[$s.$c.rates]=$rates
    read -r MED[$s.$c.mean] MED[$s.$c.p99] <<<"$(pooled_lat "$s" "$c")"
    MED[$s.$c.fails]=$fails MED[$s.$c.ok]=$ok MED[$s.$c.verify]=$verify MED[$s.$c.bounded]=$bounded
    MED[$s.$c.per_commit]=$(awk -v o="$ok" -v c="$commits" 'BEGIN { if (c > 0) printf "%.1f", o / c; else print "–" }')
  done
done
has() { case " $SERVERS " in *" $1 "*) return 0 ;; esac; return 1; }

TABLE=$OUT/table.md
{
  echo "Durable signed updates ($TRANSPORT, hmac-sha256, each replaces one RRset; median of $REPEAT run(s) of $COUNT updates per client):"
  echo
  echo "| clients | cdns updates/s | knot updates/s | ratio cdns/knot | cdns latency mean / p99 (ms) | knot latency mean / p99 (ms) | updates per commit cdns / knot | failures cdns / knot | all acknowledged updates served |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for c in $CLIENTS; do
    printf '| %s | %s | %s | %s | %s / %s | %s / %s | %s / %s | %s / %s | %s / %s |\n' "$c" \
      "$(fmt "${MED[cdns.$c.rate]:-}" 0)" "$(fmt "${MED[knot.$c.rate]:-}" 0)" \
      "$(ratio "${MED[cdns.$c.rate]:-}" "${MED[knot.$c.rate]:-}")" \
      "${MED[cdns.$c.mean]:-–}" "${MED[cdns.$c.p99]:-–}" "${MED[knot.$c.mean]:-–}" "${MED[knot.$c.p99]:-–}" \
      "${MED[cdns.$c.per_commit]:-–}" "${MED[knot.$c.per_commit]:-–}" \
      "${MED[cdns.$c.fails]:-–}" "${MED[knot.$c.fails]:-–}" "${MED[cdns.$c.verify]:-–}" "${MED[knot.$c.verify]:-–}"
  done
  echo
  echo "Propagation: update answered by the primary → Knot secondary serves the new record ($PROP_N sequential updates, polled every $((POLL_US / 1000)) ms):"
  echo
  echo "| primary | median (ms) | p99 (ms) | max (ms) | seen within 10 ms | seen | update answered in, median (ms) | secondary transfers IXFR / AXFR |"
  echo "|---|---|---|---|---|---|---|---|"
  for s in $SERVERS; do
    printf '| %s | %s | %s | %s | %s | %s/%s | %s | %s / %s |\n' "$(name_of "$s")" "$(fmt "$(g "$s.prop.med")" 2)" \
      "$(fmt "$(g "$s.prop.p99")" 2)" "$(fmt "$(g "$s.prop.max")" 2)" "$(g "$s.prop.fast")" "$(g "$s.prop.seen")" "$PROP_N" \
      "$(fmt "$(g "$s.prop.ack")" 2)" "$(g "$s.prop.ixfr")" "$(g "$s.prop.axfr")"
  done
  if has cdns && has knot; then
    echo "| **ratio cdns/knot** | $(ratio "$(g cdns.prop.med)" "$(g knot.prop.med)") | $(ratio "$(g cdns.prop.p99)" "$(g knot.prop.p99)") | | | | | |"
  fi
  echo
  echo "Reference: a bare 200-byte append + fdatasync on the journals' filesystem takes $(fmt "$(g fsync.mean)" 3) ms on average (p50 $(fmt "$(g fsync.p50)" 3), p99 $(fmt "$(g fsync.p99)" 3)), about $(fmt "$(g fsync.rate)" 0) per second one after another."
  [ "$STRACE" = 1 ] && for s in $SERVERS; do echo "Syncs per commit, $s: $(g "$s.syncs") fsync/fdatasync/msync for $(g "$s.sync_commits") commits (strace, 1 client)."; done
  for s in $SERVERS; do echo "After kill -9 and restart, $s served every last acknowledged value: $(g "$s.crash")."; done
  echo "Load average at the start: $(awk '{print $1, $2, $3}' <<<"$LOAD_START"), at the end: $(loadavg) (${NCPU} CPUs; per-run figures in details.md)."
  echo "Both servers run with their default threads, unpinned; the load generator runs on the same machine (one thread per client)."
  [ "$QUICK" = 1 ] && echo "Quick mode: short runs; a smoke test, not a measurement."
  for s in $SERVERS; do
    slow=$(awk '$1 !~ /^#/ && $4 ~ /^[0-9]+$/ && $4 > 100000 {n++} END {print n + 0}' "$OUT/raw/propagation-each.$s.txt" 2>/dev/null)
    at=$(awk '$1 !~ /^#/ && $4 ~ /^[0-9]+$/ && $4 > 100000 {printf "%s%s", sep, $6; sep = ", "}' "$OUT/raw/propagation-each.$s.txt" 2>/dev/null)
    [ "${slow:-0}" -gt 0 ] && [ "$slow" -le 5 ] && at=" (answered at millisecond $at of the wall-clock second)" || at=""
    [ "${slow:-0}" -gt 0 ] && echo "Propagation from $s: $slow of $PROP_N updates took over 100 ms$at; see bench/README.md on Knot's one-second NOTIFY and refresh timing."
  done
  for s in $SERVERS; do for c in $CLIENTS; do
    [ "${MED[$s.$c.bounded]:-0}" = 1 ] && echo "Note: $s at $c clients hit the $SECONDS_MAX s bound before sending every update."
  done; done
  if [ -s "$OUT/notes.txt" ]; then echo; echo "Notes:"; sed 's/^/- /' "$OUT/notes.txt"; fi
} >"$TABLE"

DETAILS=$OUT/details.md
{
  echo "# Details"
  echo
  sed 's/^/    /' "$OUT/env.txt"
  echo
  echo "| run | updates/s | ok | failures | rcodes | no answer | bad TSIG | mean ms | p99 ms | commits | serial +| server CPU µs/update | client CPU µs/update | verify | loadavg after |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  for rep in $(seq 1 "$REPEAT"); do for c in $CLIENTS; do for s in $SERVERS; do
    k=$s.c$c.r$rep
    printf '| %s C=%s rep %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$s" "$c" "$rep" \
      "$(fmt "$(g "$k.rate")" 0)" "$(g "$k.ok")" "$(g "$k.fail")" "$(g "$k.rcodes")" "$(g "$k.noans")" "$(g "$k.badtsig")" \
      "$(g "$k.mean")" "$(g "$k.p99")" "$(g "$k.commits")" "$(g "$k.serial_delta")" "$(g "$k.cpu")" "$(g "$k.ccpu")" \
      "$(g "$k.verify")" "$(g "$k.load")"
  done; done; done
  echo
  echo "Rates of each repetition (updates/s):"
  for s in $SERVERS; do for c in $CLIENTS; do echo "- $s, $c clients:${MED[$s.$c.rates]}"; done; done
  echo
  echo "| propagation from | mean ms | median ms | p99 ms | max ms | seen | missing | update failed | primary / secondary serial at the end |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for s in $SERVERS; do
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$s" "$(g "$s.prop.mean")" "$(g "$s.prop.med")" "$(g "$s.prop.p99")" \
      "$(g "$s.prop.max")" "$(g "$s.prop.seen")" "$(g "$s.prop.missing")" "$(g "$s.prop.failed")" "$(g "$s.prop.serial")"
  done
  echo
  echo "loadavg at the end: $(cat /proc/loadavg)"
} >"$DETAILS"

echo
cat "$TABLE"
echo
echo "results: $OUT (table.md, details.md, raw/, logs/)"
