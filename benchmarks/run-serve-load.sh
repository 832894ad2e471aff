#!/usr/bin/env bash
# `sharpformer serve` under load on loopback: 1, 8 and 64 concurrent clients posting single sentences for 30 s each,
# alternating with offline batch translation of the same sentences in the benchmark's process (docs/20). Without a model
# directory it first trains the `small` preset on bible-en-es for 600 steps (about 3 minutes on 2 cores).
# Usage: benchmarks/run-serve-load.sh [MODEL_DIR] [bench serve options: --clients 1,8,64 --seconds 30 --sentences 256 …]
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build src/Sharpformer.Cli -c Release --nologo -v quiet >&2
cli=src/Sharpformer.Cli/bin/Release/net10.0/sharpformer
model=${1:-}
[ $# -gt 0 ] && shift
if [ -z "$model" ]; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    model=$work/bible-small
    "$cli" train --task bible-en-es --preset small --steps 600 --eval-every 0 --save-every 0 --out "$model" >&2
fi
"$cli" bench serve --model "$model" --json "$@" > benchmarks/results/serve-load.json
python3 - benchmarks/results/serve-load.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"offline batch translation: {r['offlineSentencesPerSecond']:.1f} sentences/s (max batch {r['maxBatch']}, {r['threads']} threads)")
print(f"{'clients':>7} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} {'batch':>6} {'share':>6}")
for c in r['cases']:
    print(f"{c['clients']:>7} {c['requestsPerSecond']:>7.1f} {c['p50Ms']:>8.1f} {c['p99Ms']:>8.1f} {c['errors']:>6} "
          f"{c['meanBatchLines']:>6.1f} {c['shareOfOffline']:>6.0%}")
PY
echo "written: benchmarks/results/serve-load.json" >&2
