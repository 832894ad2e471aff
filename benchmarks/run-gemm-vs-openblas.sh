#!/usr/bin/env bash
# Sharpformer's GEMM against OpenBLAS (needs libopenblas0-pthread). OpenBLAS picks its kernels when the
# library loads, from OPENBLAS_CORETYPE: select the AVX-512 (SkylakeX) ones for this process only.
# Arguments go to the benchmark: --threads 1,2  --seconds S  --out FILE
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build benchmarks/Sharpformer.Benchmarks -c Release --nologo -v quiet >&2
export OPENBLAS_CORETYPE=SkylakeX
exec dotnet benchmarks/Sharpformer.Benchmarks/bin/Release/net10.0/linux-x64/Sharpformer.Benchmarks.dll "$@"
