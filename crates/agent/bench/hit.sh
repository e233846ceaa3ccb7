#!/usr/bin/env bash
# coffer-agent's cache-hit path under load, beside the bare axum baseline, in one run on loopback.
#   crates/agent/bench/hit.sh            (from the repository root)
# Starts `coffer serve --dev` (port AGENT_BENCH_COFFER_PORT, default 8410), creates one secret with
# curl's SigV4 signing, starts coffer-agent in front of it (port AGENT_BENCH_PORT, default 8411),
# primes the cache, then runs the same wrk load against the baseline (when shared/bench/setup.sh
# has built it) and against the agent. Prints req/s, p50 and p99 for both and the ratio.
# Load: THREADS=2 CONNS=64 WARMUP=3 DURATION=15 (s). Stops only the processes it started.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
THREADS=${THREADS:-2}; CONNS=${CONNS:-64}; WARMUP=${WARMUP:-3}; DURATION=${DURATION:-15}
COFFER_PORT=${AGENT_BENCH_COFFER_PORT:-8410}; AGENT_PORT=${AGENT_BENCH_PORT:-8411}
BASELINE_PORT=${BASELINE_PORT:-8300}
BASELINE_BIN=${BASELINE_BIN:-${TMPDIR:-/tmp}/coffer-bench/baseline-target/release/baseline-axum}
WORK=$(mktemp -d)
PIDS=()
cleanup() { local p; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

cargo build --release --quiet -p coffer-server -p coffer-agent
wait_port() { local i; for i in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 never opened" >&2; return 1; }

target/release/coffer serve --dev --listen "127.0.0.1:$COFFER_PORT" >"$WORK/coffer.log" 2>&1 &
PIDS+=($!); wait_port "$COFFER_PORT"
curl -sf --aws-sigv4 "aws:amz:us-east-1:secretsmanager" --user "AKIDBENCH:bench" \
  -H 'X-Amz-Target: secretsmanager.CreateSecret' -H 'Content-Type: application/x-amz-json-1.1' \
  -d '{"Name":"bench/db","ClientRequestToken":"'"$(cat /proc/sys/kernel/random/uuid)"'","SecretString":"{\"user\":\"app\",\"password\":\"correct horse battery staple\"}"}' \
  "http://127.0.0.1:$COFFER_PORT/" >/dev/null

printf 'http_port = %s\nttl_seconds = 3600\nlog_level = "WARN"\nlog_to_file = false\nregion = "us-east-1"\n' "$AGENT_PORT" >"$WORK/agent.toml"
env AWS_TOKEN=bench-token AWS_ACCESS_KEY_ID=AKIDBENCH AWS_SECRET_ACCESS_KEY=bench \
  AWS_ENDPOINT_URL="http://127.0.0.1:$COFFER_PORT" AWS_EC2_METADATA_DISABLED=true \
  target/release/coffer-agent --config "$WORK/agent.toml" >"$WORK/agent.log" 2>&1 &
PIDS+=($!); wait_port "$AGENT_PORT"
URL="http://127.0.0.1:$AGENT_PORT/secretsmanager/get?secretId=bench/db"
curl -sf -H 'X-Aws-Parameters-Secrets-Token: bench-token' "$URL" | grep -q SecretString

# The baseline answers a fixed body to a POST, as in shared/bench/compare.sh.
cat >"$WORK/baseline.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"SecretId":"bench/db"}'
wrk.headers["Content-Type"] = "application/x-amz-json-1.1"
wrk.headers["X-Amz-Target"] = "secretsmanager.GetSecretValue"
LUA

run() { # NAME URL [wrk options]
  local name=$1 url=$2 hdr=("${@:3}")
  timeout $((WARMUP + 30)) wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP}s" "${hdr[@]}" "$url" >/dev/null
  timeout $((DURATION + 30)) wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "${hdr[@]}" "$url" >"$WORK/$name.txt"
  local rps p50 p99 non2xx
  rps=$(awk '/^Requests\/sec/{print $2}' "$WORK/$name.txt")
  p50=$(awk '$1=="50%"{print $2}' "$WORK/$name.txt"); p99=$(awk '$1=="99%"{print $2}' "$WORK/$name.txt")
  non2xx=$(awk '/Non-2xx/{print $NF}' "$WORK/$name.txt"); non2xx=${non2xx:-0}
  printf '%-9s req/s %10s   p50 %8s   p99 %8s   non-2xx %s\n' "$name" "$rps" "$p50" "$p99" "$non2xx"
  echo "$rps" >"$WORK/$name.rps"
}

echo "wrk -t$THREADS -c$CONNS, ${WARMUP} s warm-up + ${DURATION} s, $(nproc) CPUs, loopback"
if [ -x "$BASELINE_BIN" ]; then
  env "BIND=127.0.0.1:$BASELINE_PORT" "$BASELINE_BIN" >"$WORK/baseline.log" 2>&1 &
  PIDS+=($!); wait_port "$BASELINE_PORT"
  run baseline "http://127.0.0.1:$BASELINE_PORT/" -s "$WORK/baseline.lua"
else
  echo "baseline  skipped (run ../shared/bench/setup.sh to build $BASELINE_BIN)"
fi
run agent "$URL" -H 'X-Aws-Parameters-Secrets-Token: bench-token'
if [ -f "$WORK/baseline.rps" ]; then
  awk -v a="$(cat "$WORK/agent.rps")" -v b="$(cat "$WORK/baseline.rps")" \
    'BEGIN{printf "agent / baseline req/s: %.1f %%\n", 100*a/b}'
fi
