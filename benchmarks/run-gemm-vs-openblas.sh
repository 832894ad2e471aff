#!/usr/bin/env bash
# Sharpformer's GEMM against OpenBLAS (needs libopenblas0-pthread) on every product of a `big` training step.
# OpenBLAS picks its kernels when the library loads, from OPENBLAS_CORETYPE: on an AVX-512 CPU select the AVX-512
# (SkylakeX) ones for this process only; with AVX2 OpenBLAS's own choice (Haswell or Zen) is already the widest.
# Arguments go to the benchmark: --threads 1,2  --seconds S  --shape MxKxN[:AB]  --batch B  --out FILE
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build benchmarks/Sharpformer.Benchmarks -c Release --nologo -v quiet >&2
if grep -q -w avx512f /proc/cpuinfo; then
    export OPENBLAS_CORETYPE=SkylakeX
fi
exec dotnet benchmarks/Sharpformer.Benchmarks/bin/Release/net10.0/linux-x64/Sharpformer.Benchmarks.dll "$@"
