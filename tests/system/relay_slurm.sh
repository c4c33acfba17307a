#!/usr/bin/env bash
# System test of cdns-relay with the Slurm backend, against a real single-node Slurm started
# here: jobs go through sbatch as the mapped user (configuration by a relative path), states
# follow scontrol faithfully (pending, running, completed, failed, cancelled, with Slurm's start
# times and exit signals), a job's environment is its own and its #SBATCH lines are not read,
# output comes back, a controller outage ends no job and stalls no answer, and a kill -9 of the
# relay loses nothing, also between recording a job and recording sbatch's answer.
# usage: relay_slurm.sh CDNS_RELAY
CDNS_RELAY=$1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/slurm_lib.sh"
. "$(dirname "$0")/relay_lib.sh"
for tool in munged slurmctld slurmd sbatch; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed (scripts/setup.sh installs Slurm)"; exit 0; }
done
id cdnsjob >/dev/null 2>&1 || useradd --system --create-home cdnsjob 2>/dev/null || true
start_slurm
# The configuration by a relative path, as an operator may give it: Slurm must still be handed
# absolute working directories. A variable of the relay's own must not reach any job.
RELAY_SECRET=leaked start_slurm_relay

r=$(api POST /v1/jobs "$A" '{"name":"hello","command":["sh","-c","echo hello from $(id -un) on slurm; exit 0"],"resources":{"cpus":1,"memory":"128M","time_limit":60}}')
expect "submit" "$r" 201 '"backend":"slurm"'
J1=$(echo "${r#* }" | json_field id)
wait_state "$J1" "$A" completed 20
expect "where it ran" "$(api GET "/v1/jobs/$J1" "$A")" 200 '"where":"slurm:'
expect "output" "$(api GET "/v1/jobs/$J1/output" "$A")" 200 "hello from cdnsjob on slurm"

r=$(api POST /v1/jobs "$A" '{"command":["sh","-c","exit 4"],"resources":{"cpus":1}}')
J2=$(echo "${r#* }" | json_field id)
wait_state "$J2" "$A" failed 20
expect "exit code" "$(api GET "/v1/jobs/$J2" "$A")" 200 '"exit_code":4'
# Start and end come from Slurm, also for a job that starts and ends between two polls.
for j in "$J1" "$J2"; do
  started=$(api GET "/v1/jobs/$j" "$A" | sed 's/^[0-9]* //' | json_field started)
  [ "$started" -gt 0 ] || fail "job $j has no start time: $(api GET "/v1/jobs/$j" "$A")"
done

# The environment is exactly the job's (commas, quotes and newlines intact), nothing of the
# relay's; #SBATCH lines in a script are not read by sbatch (this one would ask for 900 GB).
r=$(api POST /v1/jobs "$A" '{"script":"#!/bin/sh\n#SBATCH --mem=900G\n#SBATCH --job-name=sneaky\necho \"A=$A|Q=$Q|secret=${RELAY_SECRET:-none}|home=$HOME|id=$CDNS_JOB_ID\"\n","environment":{"A":"x,y=z","Q":"it'"'"'s \"q\""},"resources":{"cpus":1}}')
expect "script with #SBATCH lines" "$r" 201 '"state":"pending"'
J5=$(echo "${r#* }" | json_field id)
wait_state "$J5" "$A" completed 20
expect "clean environment" "$(api GET "/v1/jobs/$J5/output" "$A")" 200 "A=x,y=z|Q=it's \"q\"|secret=none|home=$(getent passwd cdnsjob | cut -d: -f6)|id=$J5"

# Two jobs that each take both CPUs: one runs, one waits; cancel both.
r=$(api POST /v1/jobs "$A" '{"command":["sleep","120"],"resources":{"cpus":2,"memory":"128M"}}')
J3=$(echo "${r#* }" | json_field id)
r=$(api POST /v1/jobs "$A" '{"command":["sleep","120"],"resources":{"cpus":2,"memory":"128M"}}')
J4=$(echo "${r#* }" | json_field id)
wait_state "$J3" "$A" running 20
wait_state "$J4" "$A" pending 5
expect "stats" "$(api GET /v1/stats "")" 200 '"queued":1,"running":1'
# slurmctld goes away: the jobs are not ended for that, and the API keeps answering while a
# submission waits for the controller.
stop_slurmctld
# scontrol retries its connection to the controller before it fails (about 20 s a call here,
# one call per open job), so this waits up to 90 s.
for _ in $(seq 90); do curl -s "$RELAY_URL/v1/health" | grep -q scheduler_error && break; sleep 1; done
curl -s "$RELAY_URL/v1/health" | grep -q scheduler_error || fail "health does not tell the scheduler is unreachable"
curl -s -m 120 -o /dev/null -H "Authorization: Bearer $A" "$RELAY_URL/v1/jobs" -d '{"command":["true"]}' &
PIDS+=($!)
sleep 1
code=$(curl -s -m 5 -o "$TMP/health" -w '%{http_code}' "$RELAY_URL/v1/health" || true)
expect "health while sbatch waits" "$code $(cat "$TMP/health")" 200 '"status":"ok"'
expect "J3 while slurmctld is down" "$(api GET "/v1/jobs/$J3" "$A")" 200 '"state":"running"'
expect "J4 while slurmctld is down" "$(api GET "/v1/jobs/$J4" "$A")" 200 '"state":"pending"'
start_slurmctld
for _ in $(seq 90); do curl -s "$RELAY_URL/v1/health" | grep -q scheduler_error || break; sleep 1; done
curl -s "$RELAY_URL/v1/health" | grep -q scheduler_error && fail "the relay did not see slurmctld back"

# kill -9 the relay; Slurm keeps the jobs; the restarted relay finds them. Two jobs recorded by a
# relay that died before it recorded sbatch's answer: one that Slurm took (found by its name),
# one it never got (lost).
kill -9 "$RELAY_PID"
now=$(date +%s)
for id in jcafe00000001 jcafe00000002; do
  echo "{\"id\":\"$id\",\"user\":\"alice\",\"account\":\"cdnsjob\",\"state\":\"pending\",\"backend\":\"slurm\",\"submitted\":$now,\"resources\":{\"cpus\":1,\"time_limit\":60},\"command\":[\"true\"]}" >>"$TMP/state/jobs.log"
done
mkdir -p "$TMP/state/jobs/jcafe00000001" && chown cdnsjob "$TMP/state/jobs/jcafe00000001"
sbatch --parsable --job-name cdns-jcafe00000001 --uid cdnsjob --chdir "$TMP/state/jobs/jcafe00000001" \
  --output "$TMP/state/jobs/jcafe00000001/stdout" --wrap 'echo adopted' >/dev/null
start_relay relay.json
expect "J1 after restart" "$(api GET "/v1/jobs/$J1" "$A")" 200 '"state":"completed"'
expect "J3 after restart" "$(api GET "/v1/jobs/$J3" "$A")" 200 '"state":"running"'
expect "cancel running" "$(api DELETE "/v1/jobs/$J3" "$A")" 202 "$J3"
expect "cancel pending" "$(api DELETE "/v1/jobs/$J4" "$A")" 202 "$J4"
wait_state "$J3" "$A" cancelled 20
wait_state "$J4" "$A" cancelled 20
expect "signal half of ExitCode" "$(api GET "/v1/jobs/$J3" "$A")" 200 '"exit_code":143'
wait_state jcafe00000001 "$A" completed 20
expect "found by its name" "$(api GET /v1/jobs/jcafe00000001 "$A")" 200 '"where":"slurm:'
expect "its output" "$(api GET /v1/jobs/jcafe00000001/output "$A")" 200 "adopted"
wait_state jcafe00000002 "$A" failed 20
expect "never reached Slurm" "$(api GET /v1/jobs/jcafe00000002 "$A")" 200 'lost: the relay stopped before Slurm took the job'
echo "relay (slurm): submit, states, output, cancel and a kill -9 behaved on a real Slurm"
