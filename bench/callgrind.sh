#!/usr/bin/env bash
# Instructions per request, counted by callgrind: a figure that does not depend on what else the
# machine is doing, for comparing two builds of the server (docs/performance.md).
#
#   bench/callgrind.sh [get|put] [BINARY]     # default: get, target/release/coffer
#
# Starts BINARY under `valgrind --tool=callgrind` on a fresh data directory (127.0.0.1:8430),
# seeds it, warms it up, zeroes the counters, sends DURATION seconds (default 10) of load (get: wrk
# replaying one signed GetSecretValue over 8 connections; put: coffer-load, 16 writers over 16
# secrets), dumps, and prints requests, instructions and instructions per request. The server's
# every thread is counted; the kernel is not. SHA-256 runs on valgrind's emulated CPU without
# the SHA extensions, so it weighs more here than on the real machine. Needs valgrind, wrk and
# the bench package built (bench/run.sh builds it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
MODE=${1:-get}; BIN=${2:-$ROOT/target/release/coffer}; DURATION=${DURATION:-10}
LOAD=$ROOT/target/bench/release/coffer-load
PORT=8430
OUT=$(mktemp -d "${TMPDIR:-/tmp}/coffer-callgrind.XXXX")
valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out" \
  "$BIN" serve --listen 127.0.0.1:$PORT --data-dir "$OUT/data" >"$OUT/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 600); do
  [ -s "$OUT/data/credentials" ] && (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break
  sleep 0.1
done
ak=$(awk -F' = ' '/aws_access_key_id/{print $2}' "$OUT/data/credentials")
sk=$(awk -F' = ' '/aws_secret_access_key/{print $2}' "$OUT/data/credentials")
creds=(--target 127.0.0.1:$PORT --access-key-id "$ak" --secret-access-key "$sk")
case "$MODE" in
  get)
    "$LOAD" --mode seed --secrets 8 "${creds[@]}"
    "$LOAD" --mode lua --lua-of get "${creds[@]}" >"$OUT/get.lua"
    wrk -t1 -c8 -d3s -s "$OUT/get.lua" "http://127.0.0.1:$PORT/" >/dev/null
    callgrind_control -z $PID >/dev/null
    requests=$(wrk -t1 -c8 -d"${DURATION}s" -s "$OUT/get.lua" "http://127.0.0.1:$PORT/" | awk '/requests in/{print $1}')
    ;;
  put)
    "$LOAD" --mode seed --secrets 16 "${creds[@]}"
    "$LOAD" --mode put --secrets 16 --connections 16 --duration 3 --warmup 0 "${creds[@]}" >/dev/null
    callgrind_control -z $PID >/dev/null
    requests=$("$LOAD" --mode put --secrets 16 --connections 16 --duration "$DURATION" --warmup 0 "${creds[@]}" |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["requests"])')
    ;;
  *) echo "usage: $0 [get|put] [BINARY]" >&2; exit 2 ;;
esac
callgrind_control -d $PID >/dev/null
kill $PID; wait $PID 2>/dev/null || true
dump=$(ls -t "$OUT"/callgrind.out.* | head -1)
total=$(callgrind_annotate "$dump" 2>/dev/null | awk '/PROGRAM TOTALS/{gsub(",", "", $1); print $1}')
echo "$MODE: $requests requests, $total instructions, $((total / requests)) instructions per request ($dump)"
