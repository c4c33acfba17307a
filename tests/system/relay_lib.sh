# Helpers for the relay's system tests: start cdns-relay, mint tokens, call the API with curl.
# Sets RELAY_URL (and STATS_URL); api METHOD PATH TOKEN [BODY] prints "STATUS BODY" (CURL_CA: the CA
# file for an https relay).
start_relay() {  # start_relay CONFIG
  local ready="$TMP/relay.$RANDOM.ready"
  "$CDNS_RELAY" --config "$1" --ready-file "$ready" >>"$TMP/relay.log" 2>&1 &
  RELAY_PID=$!
  PIDS+=("$RELAY_PID")
  for _ in $(seq 100); do [ -s "$ready" ] && break; sleep 0.1; done
  [ -s "$ready" ] || fail "cdns-relay did not start"
  RELAY_URL=$(awk '$1=="http" || $1=="https" {print $1 "://127.0.0.1:" $3}' "$ready")
  STATS_URL=$(awk '$1=="stats" {print "http://127.0.0.1:" $3}' "$ready")
}
# start_slurm_relay: a relay with the Slurm backend (partition debug, alice runs as cdnsjob) in
# $TMP, its configuration given by a relative path as an operator may give it (the shell stays in
# $TMP); sets A, a token for alice. Needs start_slurm first.
start_slurm_relay() {
  "$CDNS_RELAY" keygen >"$TMP/relay.key"
  cat >"$TMP/relay.json" <<JSON
{"listen": "127.0.0.1:0", "key_file": "relay.key", "state_dir": "state", "backend": "slurm",
 "slurm": {"partition": "debug"}, "users": {"alice": "cdnsjob"},
 "limits": {"cpus": 2, "memory": "1G", "time_limit": 600}}
JSON
  cd "$TMP"
  start_relay relay.json
  A=$(token alice)
}
token() { "$CDNS_RELAY" token --key-file "$TMP/relay.key" --user "$1" ${2:+--ttl "$2"}; }
api() {
  local method=$1 path=$2 tok=$3 body=${4:-}
  local args=(-s -o "$TMP/body" -w '%{http_code}' -X "$method")
  [ -n "${CURL_CA:-}" ] && args+=(--cacert "$CURL_CA")
  [ -n "$tok" ] && args+=(-H "Authorization: Bearer $tok")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data "$body")
  local code; code=$(curl "${args[@]}" "$RELAY_URL$path")
  echo "$code $(cat "$TMP/body")"
}
json_field() { sed -n "s/.*\"$1\":\"\\{0,1\\}\\([^\",}]*\\).*/\\1/p" | head -1; }
expect() {  # expect "WHAT" ACTUAL_STATUS_AND_BODY WANT_STATUS WANT_SUBSTRING
  local code=${2%% *} body=${2#* }
  [ "$code" = "$3" ] || fail "$1: status $code, want $3: $body"
  [[ "$body" == *"$4"* ]] || fail "$1: body lacks '$4': $body"
}
wait_state() {  # wait_state ID TOKEN STATE [seconds]
  for _ in $(seq $(( ${4:-15} * 10 ))); do
    [ "$(api GET "/v1/jobs/$1" "$2" | sed 's/^[0-9]* //' | json_field state)" = "$3" ] && return 0
    sleep 0.1
  done
  fail "job $1 never reached $3: $(api GET "/v1/jobs/$1" "$2")"
}
reaped() {  # reaped JOB_ID: the local backend's waiter of the job is not left a zombie
  local pid st; pid=$(awk '{print $1}' "$TMP/state/jobs/$1.pid")
  for _ in $(seq 50); do
    st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)
    [ "$st" != Z ] && return 0
    sleep 0.1
  done
  fail "the waiter of job $1 (pid $pid) is a zombie"
}
