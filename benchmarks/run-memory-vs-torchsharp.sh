#!/usr/bin/env bash
# Peak working set of training on a reference configuration: Sharpformer and TorchSharp, each alone in a
# process of its own (the same harness, so both processes load libtorch and hold both models' weights).
# Arguments: --config big|small (default big) --threads N (default 1) --steps K (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
config=big threads=1 steps=20
while [[ $# -gt 0 ]]; do
  case "$1" in
    --config) config="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    *) echo "usage: $0 [--config big|small] [--threads N] [--steps K]" >&2; exit 2 ;;
  esac
done
dotnet build benchmarks/Sharpformer.Benchmarks -c Release --nologo -v quiet >&2
bench=benchmarks/Sharpformer.Benchmarks/bin/Release/net10.0/linux-x64/Sharpformer.Benchmarks.dll
for side in sharpformer torchsharp; do
  dotnet "$bench" torch --only "$side" --config "$config" --threads "$threads" --rounds 1 --steps "$steps"
done
