"""Reads `wrk --latency` output on stdin; prints {"rps", "p50_ms", "p99_ms", "errors"} as JSON.
Used by bench/run.sh and bench/million.sh."""
import json
import re
import sys

text = sys.stdin.read()


def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s)", v)
    if m is None:
        sys.exit("cannot read a latency in wrk output:\n" + text)
    n, unit = m.groups()
    return float(n) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
# Anchored: the Req/Sec line of a thread can end in "...50.00%" too.
p50 = ms(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1))
p99 = ms(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))
m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
print(json.dumps({"rps": rps, "p50_ms": p50, "p99_ms": p99, "errors": int(m.group(1)) if m else 0}))
