#!/usr/bin/env bash
# The "1,000,000 secrets" measurement: one run, a small and a large data directory side by side.
#
#   bench/million.sh                                   # from the repository root
#   KEEP=1 SCRATCH=/tmp/million bench/million.sh       # keep the seeded directories, reuse them
#   NO_BUILD=1 COUNT=100000 DURATION=10 bench/million.sh
#   MILLION=1 bench/run.sh                             # the same, after run.sh's own table
#
# For each of two data directories, seeded offline by `coffer-seed` (bench/src/bin/coffer-seed.rs)
# with SMALL (1,000) and COUNT (1,000,000) secrets named `svc-GGGG/secret-IIIIIIIIII` (group =
# index mod 1000, so `svc-0421/` selects 1/1000 of either set; 1 KiB SecretStrings), it measures
# the embedded (SQLite) store as `coffer serve --data-dir` runs it:
#   - start-up: exec of `coffer serve --data-dir D --listen 127.0.0.1:PORT` to the first
#     `GET /health` answered 200, then the RSS once started;
#   - GetSecretValue at CONNECTIONS (64) connections: wrk replays READS (1,000) pre-signed
#     requests round-robin, for READS distinct secrets spread over the whole set, after a pass
#     that reads each of them once (the first read of a day records LastAccessedDate, a write)
#     and WARMUP seconds of the same load; req/s, p50, p99, server CPU per 1,000 requests;
#   - ListSecrets, first page, default sort, with the `name` filter `svc-0421/` and with no
#     filter: LIST_SAMPLES (200) requests one after another on one connection, p50 and p99,
#     cut short after LIST_SECONDS (60) so that a slow listing is sampled less, not waited for
#     (one request that takes longer than LIST_TIMEOUT, 120 s, counts as failed and ends it);
#   - the server's peak RSS (VmHWM) after GetSecretValue and after everything, and its RSS at
#     the end split into anonymous memory and file pages (SQLite's memory map); a server whose
#     RSS passes RSS_LIMIT_MIB (8192) is stopped and its remaining figures left empty.
# It prints a table with both rows side by side, the ratio of the GetSecretValue rates and the
# targets (performance issue: GetSecretValue within 10% of the 1,000-secret rate, name-filter
# page p50 <= 20 ms, start-up <= 2 s, RSS <= 512 MiB); the raw output, million.tsv and table.md
# go to OUT (default target/bench-runs/million-<UTC time>).
#
# Env: COUNT=1000000 SMALL=1000 (secrets), DURATION=15 WARMUP=3 CONNECTIONS=64 READS=1000
#      (GetSecretValue load), LIST_SAMPLES=200 LIST_SECONDS=60 LIST_TIMEOUT=120, SEED_CONCURRENCY=512,
#      SCRATCH=dir for the seeded data directories (default OUT/scratch), KEEP=1 keeps them and
#      reuses one that already holds its count (its `coffer-seed.count` says so; without KEEP
#      they are seeded afresh and removed at the end), NO_BUILD=1 skips the release builds,
#      PORT=8410 (and PORT+1), RSS_LIMIT_MIB=8192, OUT=dir.
# The audit trail of each server goes to OUT and is removed after its row (KEEP_AUDIT=1 keeps
# it), so a kept data directory stays as seeded apart from LastAccessedDate. Every server
# listens on 127.0.0.1; every load is bounded in time; only processes this script started are
# stopped, by PID. Needs wrk (Debian package `wrk`) and python3.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
COUNT=${COUNT:-1000000}; SMALL=${SMALL:-1000}
DURATION=${DURATION:-15}; WARMUP=${WARMUP:-3}; CONNECTIONS=${CONNECTIONS:-64}; READS=${READS:-1000}
LIST_SAMPLES=${LIST_SAMPLES:-200}; LIST_SECONDS=${LIST_SECONDS:-60}; LIST_TIMEOUT=${LIST_TIMEOUT:-120}
SEED_CONCURRENCY=${SEED_CONCURRENCY:-512}; KEEP=${KEEP:-0}; NO_BUILD=${NO_BUILD:-0}
PORT=${PORT:-8410}; RSS_LIMIT_MIB=${RSS_LIMIT_MIB:-8192}; KEEP_AUDIT=${KEEP_AUDIT:-0}
OUT=${OUT:-$ROOT/target/bench-runs/million-$(date -u +%Y%m%dT%H%M%SZ)}
SCRATCH=${SCRATCH:-$OUT/scratch}
mkdir -p "$OUT" "$SCRATCH"
TICK=$(getconf CLK_TCK)

if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq wrk >/dev/null; else echo "install wrk" >&2; exit 1; fi
fi
if [ "$NO_BUILD" != 1 ]; then
  echo "building (release)…" >&2
  cargo build --release --locked -p coffer-server >&2
  CARGO_TARGET_DIR=$ROOT/target/bench cargo build --release --locked --manifest-path bench/Cargo.toml >&2
fi
COFFER=$ROOT/target/release/coffer
SEED=$ROOT/target/bench/release/coffer-seed
LOAD=$ROOT/target/bench/release/coffer-load

PIDS=()
cleanup() { local p; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12+$13}'; }
hwm_mib() { awk '/VmHWM/{printf "%.0f", $2/1024}' "/proc/$1/status" 2>/dev/null || true; }
rss_mib() { awk '/VmRSS/{printf "%.0f", $2/1024}' "/proc/$1/status" 2>/dev/null || true; }
# rss_split PID: "<anonymous MiB>/<file MiB>" of the current RSS.
rss_split() { awk '/RssAnon/{a=$2} /RssFile/{f=$2} END{if (a != "") printf "%.0f/%.0f", a/1024, f/1024}' "/proc/$1/status" 2>/dev/null || true; }
# stop PID: SIGTERM, then wait (at most 30 s) until it is gone. The server is not this shell's
# child (the start-up measure started it), so `wait` cannot be used.
stop() {
  kill "$1" 2>/dev/null || return 0
  local i
  for i in $(seq 300); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  echo "server $1 did not stop in 30 s; killing it" >&2; kill -9 "$1" 2>/dev/null || true
}
# wrk_json: reads wrk --latency output, prints {"rps", "p50_ms", "p99_ms", "errors"}.
wrk_json() { python3 "$ROOT/bench/wrk_json.py"; }
# field JSON NAME: one member of a JSON object ("" when missing or null).
field() { python3 -c 'import json, sys; v = json.loads(sys.argv[1]).get(sys.argv[2]); print("" if v is None else (f"{v:.2f}" if isinstance(v, float) else v))' "$1" "$2"; }

# seed_dir N DIR LABEL: DIR holds N seeded secrets afterwards; prints the seed rate (or "reused").
seed_dir() {
  local n=$1 dir=$2 label=$3
  if [ "$KEEP" = 1 ] && [ "$(cat "$dir/coffer-seed.count" 2>/dev/null)" = "$n" ]; then
    echo "reusing $dir ($n secrets)" >&2; echo reused; return
  fi
  # Only the directory this script names is removed, never SCRATCH itself.
  rm -rf "$dir"; mkdir -p "$dir"
  echo "seeding $dir with $n secrets…" >&2
  "$SEED" --data-dir "$dir" --count "$n" --concurrency "$SEED_CONCURRENCY" >"$OUT/seed-$label.json" 2> >(tee "$OUT/seed-$label.log" >&2)
  field "$(tail -1 "$OUT/seed-$label.json")" created_per_second
}

# start_server DIR PORT LABEL: prints "<start-up ms> <pid>". Python starts the server and times
# exec to the first 200 from /health; the server keeps running after Python exits.
start_server() {
  COFFER_AUDIT_FILE="$OUT/audit-$3.jsonl" python3 - "$COFFER" "$1" "$2" "$OUT/coffer-$3.log" <<'PY'
import socket, subprocess, sys, time
coffer, data, port, log = sys.argv[1:]
t0 = time.monotonic()
p = subprocess.Popen([coffer, "serve", "--data-dir", data, "--listen", f"127.0.0.1:{port}"],
                     stdin=subprocess.DEVNULL, stdout=open(log, "w"), stderr=subprocess.STDOUT,
                     start_new_session=True)
deadline = t0 + 120
while True:
    if p.poll() is not None:
        sys.exit(f"coffer exited with {p.returncode} during start-up; see {log}")
    if time.monotonic() > deadline:
        p.kill(); sys.exit("coffer did not answer /health in 120 s")
    try:
        s = socket.create_connection(("127.0.0.1", int(port)), timeout=0.5)
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        if s.recv(64).startswith(b"HTTP/1.1 200"):
            break
    except OSError:
        time.sleep(0.001)
print(f"{(time.monotonic() - t0) * 1000:.1f} {p.pid}")
PY
}

# guard PID: stops the server when its RSS passes RSS_LIMIT_MIB (runs in the background).
guard() {
  while kill -0 "$1" 2>/dev/null; do
    local rss; rss=$(rss_mib "$1")
    if [ -n "$rss" ] && [ "$rss" -gt "$RSS_LIMIT_MIB" ]; then
      echo "server RSS ${rss} MiB passed RSS_LIMIT_MIB=$RSS_LIMIT_MIB; stopping it" >&2
      echo "$rss" >"$OUT/guard-$1"; kill "$1"; return
    fi
    sleep 0.5
  done
}

TSV=$OUT/million.tsv
printf 'secrets\tseed_per_s\tstartup_ms\trss_start_mib\tget_rps\tget_p50_ms\tget_p99_ms\tget_errors\tget_cpu_s_per_1000\tget_peak_rss_mib\tlist_name_p50_ms\tlist_name_p99_ms\tlist_name_n\tlist_name_entries\tlist_name_errors\tlist_name_failed_after_ms\tlist_all_p50_ms\tlist_all_p99_ms\tlist_all_n\tlist_all_entries\tlist_all_errors\tlist_all_failed_after_ms\tpeak_rss_mib\trss_end_anon_file_mib\tdb_mib\n' >"$TSV"

# row N LABEL PORT: seeds (or reuses) a directory of N secrets and measures it.
row() {
  local n=$1 label=$2 port=$3
  local dir=$SCRATCH/secrets-$n
  local rate; rate=$(seed_dir "$n" "$dir" "$label")
  local db_mib; db_mib=$(du -sm "$dir" | awk '{print $1}')
  local started pid startup
  started=$(start_server "$dir" "$port" "$label")
  startup=${started% *}; pid=${started#* }; PIDS+=("$pid")
  echo "  $label: start-up $startup ms (pid $pid)" >&2
  sleep 1
  local rss_start; rss_start=$(rss_mib "$pid")
  local ak sk
  ak=$(awk -F' = ' '/aws_access_key_id/{print $2}' "$dir/credentials")
  sk=$(awk -F' = ' '/aws_secret_access_key/{print $2}' "$dir/credentials")
  local common=(--target "127.0.0.1:$port" --access-key-id "$ak" --secret-access-key "$sk" --seeded "$n" --reads "$READS")
  "$LOAD" --mode warm "${common[@]}"
  local script=$OUT/get-$label.lua
  "$LOAD" --mode lua --lua-of get "${common[@]}" >"$script"
  wrk -t2 -c"$CONNECTIONS" -d"${WARMUP}s" -s "$script" "http://127.0.0.1:$port/" >/dev/null
  local t0 t1 get
  t0=$(ticks "$pid")
  wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$script" "http://127.0.0.1:$port/" >"$OUT/wrk-get-$label.txt"
  t1=$(ticks "$pid")
  get=$(wrk_json <"$OUT/wrk-get-$label.txt")
  local cpu; cpu=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); n=r["rps"]*int(sys.argv[3]); print(f"{int(sys.argv[2])/int(sys.argv[4])/n*1000:.3f}" if n else "")' "$get" "$((t1 - t0))" "$DURATION" "$TICK")
  local get_hwm; get_hwm=$(hwm_mib "$pid")
  echo "  $label GetSecretValue: $get" >&2
  guard "$pid" & local gpid=$!
  local by_name="" all=""
  by_name=$("$LOAD" --mode list "${common[@]}" --filter-name "$(printf 'svc-%04d/' 421)" --samples "$LIST_SAMPLES" --max-seconds "$LIST_SECONDS" --request-timeout "$LIST_TIMEOUT") || true
  echo "  $label ListSecrets name=svc-0421/: $by_name" >&2
  local peak; peak=$(hwm_mib "$pid")
  if kill -0 "$pid" 2>/dev/null; then
    all=$("$LOAD" --mode list "${common[@]}" --samples "$LIST_SAMPLES" --max-seconds "$LIST_SECONDS" --request-timeout "$LIST_TIMEOUT") || true
    echo "  $label ListSecrets, no filter: $all" >&2
    peak=$(hwm_mib "$pid")
  fi
  local split; split=$(rss_split "$pid")
  [ -f "$OUT/guard-$pid" ] && peak=">$(cat "$OUT/guard-$pid")"
  kill "$gpid" 2>/dev/null || true; wait "$gpid" 2>/dev/null || true
  stop "$pid"
  [ "$KEEP_AUDIT" = 1 ] || rm -f "$OUT/audit-$label.jsonl"*
  local f=() j
  for j in "$by_name" "$all"; do
    if [ -n "$j" ]; then
      f+=("$(field "$j" p50_ms)" "$(field "$j" p99_ms)" "$(field "$j" requests)" "$(field "$j" entries)" "$(field "$j" errors)" "$(field "$j" failed_after_ms)")
    else f+=("" "" "" "" "" ""); fi
  done
  printf '%s\t' "$n" "$rate" "$startup" "$rss_start" "$(field "$get" rps)" "$(field "$get" p50_ms)" "$(field "$get" p99_ms)" \
    "$(field "$get" errors)" "$cpu" "$get_hwm" "${f[@]}" "$peak" "$split" >>"$TSV"
  printf '%s\n' "$db_mib" >>"$TSV"
}

row "$SMALL" small "$PORT"
row "$COUNT" large "$((PORT + 1))"
if [ "$KEEP" != 1 ]; then rm -rf "$SCRATCH/secrets-$SMALL" "$SCRATCH/secrets-$COUNT"; fi

python3 - "$TSV" "$DURATION" "$WARMUP" "$CONNECTIONS" "$READS" "$LIST_SAMPLES" "$LIST_SECONDS" <<'PY' | tee "$OUT/table.md"
import csv, os, sys
small, large = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
duration, warmup, connections, reads, samples, seconds = sys.argv[2:]
def num(v):
    try:
        return float(v)
    except ValueError:
        return None
def fmt(v, digits=0):
    x = num(v)
    return v if x is None else f"{x:,.{digits}f}"
rows = [
    ("secrets", "secrets", 0, ""),
    ("seed rate (created/s)", "seed_per_s", 0, "≥ 5,000"),
    ("data directory MiB", "db_mib", 0, ""),
    ("start-up: exec to first /health 200 (ms)", "startup_ms", 1, "≤ 2,000"),
    ("RSS after start (MiB)", "rss_start_mib", 0, ""),
    (f"GetSecretValue req/s ({connections} conn, {reads} secrets)", "get_rps", 0, "within 10% of the small row"),
    ("GetSecretValue p50 (ms)", "get_p50_ms", 2, ""),
    ("GetSecretValue p99 (ms)", "get_p99_ms", 2, ""),
    ("GetSecretValue errors", "get_errors", 0, ""),
    ("GetSecretValue server CPU s / 1,000 req", "get_cpu_s_per_1000", 3, ""),
    ("peak RSS after GetSecretValue (MiB)", "get_peak_rss_mib", 0, ""),
    ("ListSecrets name=svc-0421/ p50 (ms)", "list_name_p50_ms", 2, "≤ 20"),
    ("ListSecrets name=svc-0421/ p99 (ms)", "list_name_p99_ms", 2, ""),
    ("ListSecrets name=svc-0421/ requests timed", "list_name_n", 0, ""),
    ("ListSecrets name=svc-0421/ entries on the page", "list_name_entries", 0, ""),
    ("ListSecrets name=svc-0421/ failed requests", "list_name_errors", 0, ""),
    ("ListSecrets name=svc-0421/ first failure after (ms)", "list_name_failed_after_ms", 0, ""),
    ("ListSecrets no filter p50 (ms)", "list_all_p50_ms", 2, ""),
    ("ListSecrets no filter p99 (ms)", "list_all_p99_ms", 2, ""),
    ("ListSecrets no filter requests timed", "list_all_n", 0, ""),
    ("ListSecrets no filter failed requests", "list_all_errors", 0, ""),
    ("peak RSS, whole run (MiB)", "peak_rss_mib", 0, "≤ 512"),
    ("RSS at the end, anonymous/file pages (MiB)", "rss_end_anon_file_mib", 0, ""),
]
print(f"One run, {os.cpu_count()} CPUs, loopback, SQLite. GetSecretValue: {warmup} s warm-up + {duration} s measured; "
      f"ListSecrets: first page, default sort, {samples} sequential requests at most, at most {seconds} s.\n")
print(f"| figure | {fmt(small['secrets'])} secrets | {fmt(large['secrets'])} secrets | target |")
print("|---|---:|---:|---|")
for label, key, digits, target in rows[1:]:
    print(f"| {label} | {fmt(small[key], digits)} | {fmt(large[key], digits)} | {target} |")
a, b = num(small["get_rps"]), num(large["get_rps"])
if a and b:
    print(f"\nGetSecretValue rate, {fmt(large['secrets'])} / {fmt(small['secrets'])} secrets = {b / a:.3f} (target ≥ 0.90)")
PY
echo "raw output in $OUT" >&2
