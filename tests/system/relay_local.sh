#!/usr/bin/env bash
# System test of cdns-relay with the local backend: the API, every refusal (right status, clear
# message, nothing started, the Bearer challenge), jobs as the mapped Unix user with output,
# cancel of a whole process group (also one that ignores SIGTERM), time limits, waiters reaped,
# a kill -9 of the relay that loses no job, SIGHUP reloads, TLS with a plain stats listener, and
# pruning of ended jobs.
# usage: relay_local.sh CDNS_RELAY
CDNS_RELAY=$1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/relay_lib.sh"
id cdnsjob >/dev/null 2>&1 || useradd --system --create-home cdnsjob 2>/dev/null || true
id cdnsjob >/dev/null 2>&1 || { echo "SKIP: cannot create the user cdnsjob"; exit 0; }
chmod 755 "$TMP"
"$CDNS_RELAY" keygen >"$TMP/relay.key"
cat >"$TMP/relay.json" <<JSON
{"listen": "127.0.0.1:0", "key_file": "relay.key", "state_dir": "state",
 "users": {"alice": "cdnsjob", "bob": "cdnsjob"},
 "limits": {"cpus": 2, "gpus": 0, "memory": "2G", "time_limit": 600, "jobs_per_user": 10}}
JSON
start_relay "$TMP/relay.json"
A=$(token alice); B=$(token bob)

# Every refusal: status, message, and nothing started.
expect "no token" "$(api GET /v1/jobs "")" 401 "missing bearer token"
expect "bad token" "$(api GET /v1/jobs "x.y")" 401 "bad token signature"
expect "expired token" "$(api GET /v1/jobs "$("$CDNS_RELAY" token --key-file "$TMP/relay.key" --user alice --ttl 0)")" 401 "token expired"
other_key=$(mktemp "$TMP/key.XXXX"); "$CDNS_RELAY" keygen >"$other_key"
expect "forged token" "$(api GET /v1/jobs "$("$CDNS_RELAY" token --key-file "$other_key" --user alice)")" 401 "bad token signature"
expect "unmapped user" "$(api POST /v1/jobs "$(token mallory)" '{"command":["true"]}')" 403 'user \"mallory\" has no account'
expect "malformed JSON" "$(api POST /v1/jobs "$A" '{"command": [')" 400 "not JSON"
expect "unknown field" "$(api POST /v1/jobs "$A" '{"comand":["true"]}')" 400 'unknown field \"comand\"'
expect "no command" "$(api POST /v1/jobs "$A" '{"name":"x"}')" 400 "exactly one of"
expect "too many cpus" "$(api POST /v1/jobs "$A" '{"command":["true"],"resources":{"cpus":64}}')" 422 "cpus 64 exceeds this center's 2"
expect "gpus" "$(api POST /v1/jobs "$A" '{"command":["true"],"resources":{"gpus":1}}')" 422 "gpus 1 exceeds"
expect "memory" "$(api POST /v1/jobs "$A" '{"command":["true"],"resources":{"memory":"64G"}}')" 422 "memory"
expect "time" "$(api POST /v1/jobs "$A" '{"command":["true"],"resources":{"time_limit":99999}}')" 422 "time_limit 99999 s exceeds"
expect "bad file name" "$(api POST /v1/jobs "$A" '{"command":["true"],"files":{"../x":"y"}}')" 400 'bad file name'
expect "bad variable name" "$(api POST /v1/jobs "$A" '{"command":["true"],"environment":{"A=B":"y"}}')" 400 'is not a variable name'
# RFC 6750 §3: a 401 carries the Bearer challenge; invalid_token when a token was sent.
hdr=$(curl -s -D - -o /dev/null "$RELAY_URL/v1/jobs" | tr -d '\r')
grep -qx 'WWW-Authenticate: Bearer realm="cdns-relay"' <<<"$hdr" || fail "401 without its challenge: $hdr"
hdr=$(curl -s -D - -o /dev/null -H "Authorization: Bearer x.y" "$RELAY_URL/v1/jobs" | tr -d '\r')
grep -qx 'WWW-Authenticate: Bearer realm="cdns-relay", error="invalid_token", error_description="bad token signature"' <<<"$hdr" ||
  fail "401 for a bad token without invalid_token: $hdr"
expect "nothing started" "$(api GET /v1/jobs "$A")" 200 '"jobs":[]'
[ -z "$(ls "$TMP/state/jobs")" ] || fail "a refused request left a working directory"

# A job as the mapped user, with its output, its files and its exit code.
r=$(api POST /v1/jobs "$A" '{"name":"hello","command":["sh","-c","cat greeting; id -un; echo to-stderr >&2; exit 3"],"files":{"greeting":"hello from a file\n"}}')
expect "submit" "$r" 201 '"state":"running"'
J1=$(echo "${r#* }" | json_field id)
wait_state "$J1" "$A" failed
expect "status" "$(api GET "/v1/jobs/$J1" "$A")" 200 '"exit_code":3'
expect "stdout" "$(api GET "/v1/jobs/$J1/output?stream=stdout" "$A")" 200 "hello from a file
cdnsjob"
expect "stdout from an offset" "$(api GET "/v1/jobs/$J1/output?stream=stdout&offset=6" "$A")" 200 "from a file"
expect "stderr" "$(api GET "/v1/jobs/$J1/output?stream=stderr" "$A")" 200 "to-stderr"
# Another user can neither see nor cancel it.
expect "other user: get" "$(api GET "/v1/jobs/$J1" "$B")" 404 "no job $J1"
expect "other user: output" "$(api GET "/v1/jobs/$J1/output" "$B")" 404 "no job"
expect "other user: cancel" "$(api DELETE "/v1/jobs/$J1" "$B")" 404 "no job"
expect "other user: list" "$(api GET /v1/jobs "$B")" 200 '"jobs":[]'
expect "cancel a finished job" "$(api DELETE "/v1/jobs/$J1" "$A")" 409 "already ended"
reaped "$J1"

# Cancel kills the whole process group.
MARK=$(( 4000 + RANDOM % 4000 ))  # durations nobody else on the machine is sleeping
r=$(api POST /v1/jobs "$A" "{\"command\":[\"sh\",\"-c\",\"sleep $MARK & sleep $((MARK + 1)); wait\"]}")
J2=$(echo "${r#* }" | json_field id)
sleep 0.5
pgrep -f "sleep $MARK" >/dev/null || fail "the job's processes did not start"
expect "cancel" "$(api DELETE "/v1/jobs/$J2" "$A")" 202 '"state":"cancelled"'
sleep 0.3
if pgrep -f "sleep $MARK" >/dev/null || pgrep -f "sleep $((MARK + 1))" >/dev/null; then
  fail "cancel left processes of the job running"
fi

# A job that ignores SIGTERM: cancel answers at once, SIGKILL follows a second later.
r=$(api POST /v1/jobs "$A" "{\"command\":[\"sh\",\"-c\",\"trap '' TERM; sleep $((MARK + 2)); true\"]}")
J6=$(echo "${r#* }" | json_field id)
sleep 0.5
expect "cancel (TERM ignored)" "$(api DELETE "/v1/jobs/$J6" "$A")" 202 '"state":"cancelled"'
wait_for sh -c "! pgrep -f '^sleep $((MARK + 2))\$'" || fail "cancel did not kill a job that ignores SIGTERM"
reaped "$J6"

# A time limit ends the job as "timeout"; its waiter is reaped.
r=$(api POST /v1/jobs "$A" '{"command":["sleep","60"],"resources":{"time_limit":1}}')
J3=$(echo "${r#* }" | json_field id)
wait_state "$J3" "$A" timeout 10
reaped "$J3"

# kill -9 of the relay: every accepted job is known after the restart, with its real final state.
r=$(api POST /v1/jobs "$A" '{"command":["sh","-c","sleep 2; echo done late; exit 7"]}')
J4=$(echo "${r#* }" | json_field id)
r=$(api POST /v1/jobs "$A" '{"command":["sleep","120"]}')
J5=$(echo "${r#* }" | json_field id)
kill -9 "$RELAY_PID"
# A job recorded by a relay that died before it could start it (no pid): found lost.
echo '{"id":"jdead00000001","user":"alice","account":"cdnsjob","state":"pending","backend":"local","submitted":1,"resources":{"cpus":1,"time_limit":60},"command":["true"]}' >>"$TMP/state/jobs.log"
sleep 2.5  # J4 ends while the relay is down
start_relay "$TMP/relay.json"
expect "J1 after restart" "$(api GET "/v1/jobs/$J1" "$A")" 200 '"state":"failed"'
expect "J2 after restart" "$(api GET "/v1/jobs/$J2" "$A")" 200 '"state":"cancelled"'
expect "J3 after restart" "$(api GET "/v1/jobs/$J3" "$A")" 200 '"state":"timeout"'
wait_state "$J4" "$A" failed 5
expect "J4 finished while the relay was down" "$(api GET "/v1/jobs/$J4" "$A")" 200 '"exit_code":7'
expect "J4 output" "$(api GET "/v1/jobs/$J4/output" "$A")" 200 "done late"
expect "J5 still running" "$(api GET "/v1/jobs/$J5" "$A")" 200 '"state":"running"'
expect "stats" "$(api GET /v1/stats "")" 200 '"running":1'
expect "cancel after restart" "$(api DELETE "/v1/jobs/$J5" "$A")" 202 '"state":"cancelled"'
expect "metrics" "$(api GET /metrics "")" 200 'cdns_relay_jobs{state="cancelled"} 3'
wait_state jdead00000001 "$A" failed 20
expect "a job lost before it started" "$(api GET /v1/jobs/jdead00000001 "$A")" 200 'lost: the relay stopped before it started the job'

# SIGHUP reloads users (and limits, the key); a configuration that does not load changes nothing.
cat >"$TMP/relay.json" <<JSON
{"listen": "127.0.0.1:0", "key_file": "relay.key", "state_dir": "state",
 "users": {"alice": "cdnsjob", "carol": "cdnsjob"},
 "limits": {"cpus": 2, "gpus": 0, "memory": "2G", "time_limit": 600, "jobs_per_user": 10}}
JSON
C=$(token carol)
kill -HUP "$RELAY_PID"
wait_for sh -c "curl -sf -H 'Authorization: Bearer $C' $RELAY_URL/v1/jobs" || fail "carol was not let in after SIGHUP"
expect "bob after the reload" "$(api GET /v1/jobs "$B")" 403 'user \"bob\" has no account'
echo '{"listen": ' >"$TMP/relay.json"
kill -HUP "$RELAY_PID"
wait_for grep -q "reload failed; keeping the running configuration" "$TMP/relay.log" || fail "no log line for a bad reload"
kill -0 "$RELAY_PID" || fail "a bad reload ended the relay"
expect "carol after a bad reload" "$(api GET /v1/jobs "$C")" 200 '"jobs":[]'

# A second relay: the API over TLS, /v1/stats on a plain loopback listener, ended jobs kept 1 s.
if command -v openssl >/dev/null; then
  mkdir -p "$TMP/tls"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/tls/key.pem" -out "$TMP/tls/cert.pem" -days 1 \
    -subj /CN=relay -addext "subjectAltName=IP:127.0.0.1" >/dev/null 2>&1
  cat >"$TMP/tls/relay.json" <<JSON
{"listen": "127.0.0.1:0", "tls": {"cert": "cert.pem", "key": "key.pem"}, "stats_listen": "127.0.0.1:0",
 "key_file": "../relay.key", "state_dir": "state", "users": {"alice": "cdnsjob"}, "job_retention": 1}
JSON
  CURL_CA="$TMP/tls/cert.pem"
  start_relay "$TMP/tls/relay.json"
  [[ "$RELAY_URL" == https://* ]] || fail "the TLS relay is not https: $RELAY_URL"
  r=$(api POST /v1/jobs "$A" '{"command":["true"]}')
  expect "submit over TLS" "$r" 201 '"state":"running"'
  J7=$(echo "${r#* }" | json_field id)
  wait_state "$J7" "$A" completed 10
  [ "$(curl -s "$STATS_URL/v1/stats")" = '{"backend":"local","queued":0,"running":0}' ] || fail "stats listener: $(curl -s "$STATS_URL/v1/stats")"
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$STATS_URL/v1/jobs")" = 404 ] || fail "the stats listener serves jobs"
  [ -d "$TMP/tls/state/jobs/$J7" ] || fail "no working directory for $J7"
  sleep 1.5
  kill "$RELAY_PID"; wait "$RELAY_PID" || fail "the TLS relay did not stop cleanly"
  start_relay "$TMP/tls/relay.json"  # prunes at start (and every minute)
  expect "pruned job" "$(api GET "/v1/jobs/$J7" "$A")" 404 "no job $J7"
  [ ! -e "$TMP/tls/state/jobs/$J7" ] || fail "the working directory of a pruned job is still there"
  grep -q "job table compacted" "$TMP/relay.log" || fail "no log line for the pruning"
fi
echo "relay (local): refusals, jobs as the mapped user, cancel, timeout, kill -9, SIGHUP, TLS + stats and pruning all behaved"
