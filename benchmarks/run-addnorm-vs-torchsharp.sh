#!/usr/bin/env bash
# A post-norm layer's LayerNorm(x + dropout(s)), forward + backward, three ways alternating call by call: Sharpformer's
# fused op, Sharpformer's three ops apart, and TorchSharp's (libtorch's) three ops; medians and ratios over the fused op.
# Arguments are passed on: --threads 1,2 --calls N --out FILE
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build benchmarks/Sharpformer.Benchmarks -c Release --nologo -v quiet >&2
dotnet benchmarks/Sharpformer.Benchmarks/bin/Release/net10.0/linux-x64/Sharpformer.Benchmarks.dll addnorm "$@"
