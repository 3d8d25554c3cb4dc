#!/usr/bin/env bash
# Where the CPU time of one call goes, by thread, at a given station count.
#
#   bench/profile.sh b2b-5000 [seconds]
#
# Runs one scenario of bench/run.js against ours, and during its measured window
# records `perf` (cpu-clock: virtual machines often have no hardware counters)
# on Node-RED and on the load generator, and counts TCP segments with `nstat`.
# Prints microseconds of CPU per answered call for each thread, split into user
# space and kernel, and the segments per call. Needs perf (linux-perf) and
# nstat (iproute2), and permission to profile (root, or perf_event_paranoid <= 1).
set -euo pipefail
scenario=${1:?usage: bench/profile.sh <scenario, e.g. b2b-5000> [seconds]}
secs=${2:-8}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d /tmp/ocpp-profile.XXXXXX)

node "$here/run.js" --only ours --scenarios "$scenario" --duration $((secs + 12)) --quiet-wait 0 --repeat 1 \
  --out "$out/result.json" >"$out/run.log" 2>&1 &
bench=$!
for _ in $(seq 1 600); do grep -q "window" "$out/run.log" 2>/dev/null && break; sleep 0.5; done
sleep 2
red=$(pgrep -f "ocpp-bench-ours" | head -1)
gen=$(pgrep -f "target/release/ocpp-loadgen" | head -1)
nstat -az >"$out/nstat.1"
perf record -F 999 -e cpu-clock -o "$out/red.data" -p "$red" -- sleep "$secs" 2>/dev/null &
perf record -F 999 -e cpu-clock -o "$out/gen.data" -p "$gen" -- sleep "$secs" 2>/dev/null &
wait %2 %3
nstat -az >"$out/nstat.2"
wait $bench
grep "^| $scenario" "$out/run.log" | head -1

calls=$(node -e "const r=require('$out/result.json').results[0]; console.log(Math.round(r.calls_per_s))")
segs=$(join <(sort "$out/nstat.1") <(sort "$out/nstat.2") | awk '$1=="TcpOutSegs"{print ($4-$2)}')
# Samples per thread name and ring (user ".", kernel "k"); 999 samples = 1 s of CPU.
for f in red gen; do
  perf report -i "$out/$f.data" --no-children --sort comm,sym -g none -n --stdio 2>/dev/null |
    awk '/%/ && $3 != "" { ring = ($4 == "[k]") ? "kernel" : "user"; n[$3 " " ring] += $2 }
         END { for (k in n) print k, n[k] }'
done | awk -v c="$calls" -v s="$secs" -v segs="$segs" '
  { us = $3 / 999 / (c * s) * 1e6; t[$1] += us; if ($2 == "kernel") k[$1] += us; total += us }
  END {
    printf "calls/s during the window: %d; TCP segments per call (both directions): %.2f\n", c, segs / s / c
    printf "%-18s %10s %10s %10s\n", "thread", "us/call", "user", "kernel"
    for (x in t) printf "%-18s %10.2f %10.2f %10.2f\n", x, t[x], t[x] - k[x], k[x]
    printf "%-18s %10.2f\n", "all", total
  }'
echo "raw data: $out"
