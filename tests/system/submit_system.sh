#!/usr/bin/env bash
# System test of cdns-submit end to end on loopback: cdns-authority serves the compute zone with
# two relays published by SRV (sz1 over HTTPS, gz1 over plain HTTP), cdns-resolver chooses, real
# cdns-relay processes (local backend) run the jobs as the Unix user cdnsjob. Checks the chosen
# relay, the job's output and exit status, state lines, --explain, --detach with status, logs and
# cancel, a job file, time limits, Ctrl-C, and the exit status and message of every refusal.
# usage: submit_system.sh CDNS_AUTHORITY CDNS_RESOLVER CDNS_RELAY CDNS_SUBMIT ZONEFILE
CDNS_AUTHORITY=$1 CDNS_RESOLVER=$2 CDNS_RELAY=$3 SUBMIT=$4 ZONE=$5
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/relay_lib.sh"
. "$(dirname "$0")/clients_lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: the local backend needs root to run jobs as cdnsjob"; exit 0; }
id cdnsjob >/dev/null 2>&1 || useradd --system --create-home cdnsjob 2>/dev/null || true
id cdnsjob >/dev/null 2>&1 || { echo "SKIP: cannot create the user cdnsjob"; exit 0; }
command -v openssl >/dev/null || { echo "SKIP: no openssl to make the relay's certificate"; exit 0; }

"$CDNS_RELAY" keygen >"$TMP/relay.key"
start_relay_at sz1 tls
start_relay_at gz1
start_compute "$ZONE" "train.sz1.centers A 127.0.0.1
train.gz1.centers A 127.0.0.1
train.hk1.centers A 127.0.0.1
train.svc PTR train.sz1.centers
train.svc PTR train.gz1.centers
train.svc PTR train.hk1.centers
_relay._tcp.sz1.centers SRV 0 0 $sz1_PORT relay.sz1.centers
relay.sz1.centers A 127.0.0.1
_relay._tcp.gz1.centers SRV 0 0 $gz1_PORT relay.gz1.centers
relay.gz1.centers A 127.0.0.1"
A=$(token alice)
export CDNS_RESOLVER=127.0.0.1:$RES_PORT CDNS_ZONE=gba.example CDNS_TOKEN=$A

# The default chain (fits, load) picks sz1: its relay over HTTPS (our CA), the job's output on
# stdout and stderr, its exit status as ours.
sub --service train --ca "$TMP/sz1/cert.pem" -- sh -c 'echo hello from $(id -un); echo to-stderr >&2; exit 3'
want "default chain" 3 "train -> sz1"
[ "$OUT" = "hello from cdnsjob" ] || fail "job output: $OUT"
[[ "$ERR" == *to-stderr* ]] || fail "job stderr not passed on: $ERR"
[[ "$ERR" == *"submitted to https://relay.sz1.centers.gba.example:$sz1_PORT"* ]] || fail "not sent to sz1's relay over https: $ERR"
[[ "$ERR" == *"failed, exit status 3"* ]] || fail "no final state line: $ERR"
[ "$(curl -s --cacert "$TMP/sz1/cert.pem" --resolve "relay.sz1.centers.gba.example:$sz1_PORT:127.0.0.1" \
     -H "Authorization: Bearer $A" "https://relay.sz1.centers.gba.example:$sz1_PORT/v1/jobs" | grep -o '"id"' | wc -l)" = 1 ] ||
  fail "sz1's relay does not have exactly the one job"

# --policy price picks gz1 (cheapest); its relay speaks plain HTTP on loopback.
sub --service train --policy price --cpus 2 --mem 1G -- sh -c 'echo cpus=$CDNS_CPUS'
want "price chain" 0 "train -> gz1"
[[ "$ERR" == *"submitted to http://relay.gz1.centers.gba.example:$gz1_PORT"* ]] || fail "not sent to gz1's relay over http: $ERR"
[[ "$ERR" == *"completed"* ]] || fail "no completed line: $ERR"
[ "$(curl -s -H "Authorization: Bearer $A" "$gz1_URL/v1/jobs" | grep -o '"cpus":2' | wc -l)" = 1 ] || fail "gz1's relay did not get cpus=2"

# --explain: the resolver's reasons as a table, before the job runs.
sub --service train --policy price --explain --quiet -- true
want "explain" 0 "OUTCOME"
[[ "$ERR" == *"policy price (fits -> price"* ]] || fail "explain header: $ERR"
grep -E '^gz1 .*chosen$' "$TMP/err" >/dev/null || fail "explain: gz1 not chosen: $ERR"
grep -E '^sz1 .*lost: score' "$TMP/err" >/dev/null || fail "explain: sz1 does not say why it lost: $ERR"
[[ "$ERR" != *"cdns-submit:"* ]] || fail "--quiet still prints state lines: $ERR"

# --detach, then status, logs and cancel by CENTER/JOBID.
sub --service train --ca "$TMP/sz1/cert.pem" --detach -- sh -c 'echo started; sleep 120'
want "detach" 0 "submitted"
[[ "$OUT" =~ ^sz1/j[0-9a-f]+$ ]] || fail "--detach printed '$OUT', want sz1/<id>"
JOB=$OUT
wait_for sh -c "'$SUBMIT' logs --ca '$TMP/sz1/cert.pem' $JOB | grep -q started" || fail "logs never showed the output"
sub status --ca "$TMP/sz1/cert.pem" "$JOB"
want "status" 0 ""
[[ "$OUT" == *"state      running"* ]] || fail "status: $OUT"
sub status --ca "$TMP/sz1/cert.pem" --json "$JOB"
[[ "$OUT" == *'"state": "running"'* ]] || fail "status --json: $OUT"
sub cancel --ca "$TMP/sz1/cert.pem" "$JOB"
want "cancel" 0 ""
[ "$OUT" = "job $JOB cancelled" ] || fail "cancel: $OUT"
sub cancel --ca "$TMP/sz1/cert.pem" "$JOB"
want "cancel twice" 77 "already ended"
sub status --ca "$TMP/sz1/cert.pem" sz1/j000000000000
want "unknown job" 68 "no job j000000000000"

# A job file: a script with a file and an environment variable; its requirements pick gz1.
cat >"$TMP/job.json" <<'JSON'
{"service": "train", "requirements": {"policy": "price"}, "name": "from-file",
 "script": "echo lr=$LR; cat params.txt\n", "environment": {"LR": "0.01"}, "files": {"params.txt": "epochs=3\n"}}
JSON
sub "$TMP/job.json"
want "job file" 0 "train -> gz1"
[ "$OUT" = "lr=0.01
epochs=3" ] || fail "job file output: $OUT"

# The job's own ends: its time limit (124), a cancel by Ctrl-C (130).
sub --service train --policy price --time 1 -- sleep 30
want "time limit" 124 "timeout"
timeout 60 "$SUBMIT" --service train --policy price -- sleep 60 >"$TMP/int.out" 2>"$TMP/int.err" &
SPID=$!
wait_for grep -q running "$TMP/int.err" || fail "the interrupted job never ran: $(cat "$TMP/int.err")"
kill -INT "$SPID"
RC=0; wait "$SPID" || RC=$?
ERR=$(cat "$TMP/int.err")
want "Ctrl-C" 130 "cancelled"

# Refusals, each with its exit status and a message that names it.
sub --service train --gpus 100 -- true
want "nothing fits" 68 "no center left after fits (asked: gpu=100)"
sub --service render -- true
want "unknown service" 68 "NXDOMAIN"
sub --service train --policy pick --center hk1 -- true
want "no relay" 68 "center hk1 publishes no relay"
sub --service train --center hk1 -- true
want "center without manual policy" 68 "asked for center hk1 but the resolver chose"
sub --service train --token "$("$CDNS_RELAY" token --key-file "$TMP/relay.key" --user mallory)" --ca "$TMP/sz1/cert.pem" -- true
want "unmapped user" 77 'user "mallory" has no account'
sub --service train --token x.y --ca "$TMP/sz1/cert.pem" -- true
want "bad token" 77 "bad token signature"
sub --service train --cpus 64 --ca "$TMP/sz1/cert.pem" -- true
want "over the limits" 77 "cpus 64 exceeds"
sub --service train -- true
want "unknown CA" 69 "certificate did not verify"
sub --service train --relay-scheme http -- true
want "http to an https relay" 69 "relay"
sub --service train --resolver "127.0.0.1:$(free_port)" --timeout 1 -- true
want "no resolver" 69 "resolver 127.0.0.1:"
CDNS_TOKEN= sub --service train -- true
want "no token" 64 "no token"
sub --service train
want "no command" 64 "nothing to run"
sub --service train --gpus many -- true
want "bad count" 64 '--gpus "many"'
sub --bogus
want "unknown option" 64 "unknown option --bogus"
sub --help
[ "$RC" = 0 ] && [[ "$OUT" == *"usage: cdns-submit"* ]] || fail "--help: $RC $OUT"
# --relay skips DNS altogether.
sub --service train --relay "$gz1_URL" -- echo direct
want "--relay" 0 "submitted to http://127.0.0.1:$gz1_PORT"
[[ "$ERR" =~ "job j"[0-9a-f]+" completed" ]] || fail "--relay: the job is not named by its bare id: $ERR"
[ "$OUT" = direct ] || fail "--relay output: $OUT"
echo "cdns-submit: chosen relays, output and exit statuses, explain, detach/status/logs/cancel, job file, limits, Ctrl-C and every refusal behaved"
