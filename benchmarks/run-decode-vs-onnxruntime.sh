#!/usr/bin/env bash
# Greedy decoding of one model two ways, alternating round by round: Sharpformer's key/value-cached decoder and the
# exported graphs (encoder.onnx, decoder_with_past.onnx) in ONNX Runtime, float32 and int8, batch 1 and 8, 1 and 2
# threads; medians and ratios (Sharpformer / ONNX Runtime). Arguments are passed on:
# --config small|big --rounds N --tokens N --threads 1,2 --batch 1,8 --out FILE
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build benchmarks/Sharpformer.Benchmarks -c Release --nologo -v quiet >&2
dotnet benchmarks/Sharpformer.Benchmarks/bin/Release/net10.0/linux-x64/Sharpformer.Benchmarks.dll onnx "$@"
