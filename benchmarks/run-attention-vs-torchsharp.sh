#!/usr/bin/env bash
# Sharpformer's tiled attention against TorchSharp's scaled_dot_product_attention (libtorch's CPU flash kernel),
# forward + backward at batch 4, 8 heads of 64, alternating call by call; medians and ratios (TorchSharp / Sharpformer).
# Arguments are passed on: --seq 1024,2048,4096 --threads 1,2 --causal yes|no|both --rounds N --out FILE
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build benchmarks/Sharpformer.Benchmarks -c Release --nologo -v quiet >&2
dotnet benchmarks/Sharpformer.Benchmarks/bin/Release/net10.0/linux-x64/Sharpformer.Benchmarks.dll attention "$@"
