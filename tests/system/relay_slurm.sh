#!/usr/bin/env bash
# System test of cdns-relay with the Slurm backend, against a real single-node Slurm started
# here: jobs go through sbatch as the mapped user, states follow squeue/scontrol faithfully
# (pending, running, completed, failed, cancelled), output comes back, and a kill -9 of the
# relay loses nothing.
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
"$CDNS_RELAY" keygen >"$TMP/relay.key"
cat >"$TMP/relay.json" <<JSON
{"listen": "127.0.0.1:0", "key_file": "relay.key", "state_dir": "state", "backend": "slurm",
 "slurm": {"partition": "debug"}, "users": {"alice": "cdnsjob"},
 "limits": {"cpus": 2, "memory": "1G", "time_limit": 600}}
JSON
start_relay "$TMP/relay.json"
A=$(token alice)

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

# Two jobs that each take both CPUs: one runs, one waits; cancel both.
r=$(api POST /v1/jobs "$A" '{"command":["sleep","120"],"resources":{"cpus":2,"memory":"128M"}}')
J3=$(echo "${r#* }" | json_field id)
r=$(api POST /v1/jobs "$A" '{"command":["sleep","120"],"resources":{"cpus":2,"memory":"128M"}}')
J4=$(echo "${r#* }" | json_field id)
wait_state "$J3" "$A" running 20
wait_state "$J4" "$A" pending 5
expect "stats" "$(api GET /v1/stats "")" 200 '"queued":1,"running":1'
# kill -9 the relay; Slurm keeps the jobs; the restarted relay finds them.
kill -9 "$RELAY_PID"
start_relay "$TMP/relay.json"
expect "J1 after restart" "$(api GET "/v1/jobs/$J1" "$A")" 200 '"state":"completed"'
expect "J3 after restart" "$(api GET "/v1/jobs/$J3" "$A")" 200 '"state":"running"'
expect "cancel running" "$(api DELETE "/v1/jobs/$J3" "$A")" 202 "$J3"
expect "cancel pending" "$(api DELETE "/v1/jobs/$J4" "$A")" 202 "$J4"
wait_state "$J3" "$A" cancelled 20
wait_state "$J4" "$A" cancelled 20
echo "relay (slurm): submit, states, output, cancel and a kill -9 behaved on a real Slurm"
