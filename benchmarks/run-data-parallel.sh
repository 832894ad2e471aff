#!/usr/bin/env bash
# Data- and tensor-parallel training against one process: `bench train --config big` as 1 process × 1 thread, 1 process
# × 2 threads, mpirun -np 2 × 1 thread (each rank a share of the batch) and mpirun -np 2 × 1 thread --tensor-parallel 2
# (each rank a share of the model), one of each per round (so the machine's drift hits all alike); medians and ratios.
# A fifth run, two unrelated 1-thread processes at once, each a whole step, measures the machine's own ceiling: how much
# one core's step slows while the other core works (shared cache, memory bandwidth, a virtual machine's neighbours);
# two ranks can go at most 2 × (solo step / paired step) as fast as one, whatever the all-reduce costs.
# The ranks are not bound to cores: on a virtual machine a process pinned to one core ran 1.6× slower (docs/18).
# Usage: benchmarks/run-data-parallel.sh [ROUNDS (3)] [STEPS per run (10)]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; steps=${2:-10}
command -v mpirun > /dev/null || { echo "mpirun not found: install openmpi-bin and libopenmpi-dev" >&2; exit 1; }
dotnet build src/Sharpformer.Cli -c Release --nologo -v quiet >&2
cli=src/Sharpformer.Cli/bin/Release/net10.0/Sharpformer.Cli.dll
[ "$(id -u)" -eq 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for round in $(seq "$rounds"); do
    echo "round $round of $rounds" >&2
    dotnet "$cli" bench train --config big --threads 1 --steps "$steps" --json 2> /dev/null >> "$out/1x1"
    dotnet "$cli" bench train --config big --threads 2 --steps "$steps" --json 2> /dev/null >> "$out/1x2"
    mpirun --bind-to none -np 2 dotnet "$cli" bench train --config big --threads 1 --steps "$steps" --json 2> /dev/null >> "$out/2x1"
    mpirun --bind-to none -np 2 dotnet "$cli" bench train --config big --threads 1 --steps "$steps" --tensor-parallel 2 --json \
        2> /dev/null >> "$out/tp"
    dotnet "$cli" bench train --config big --threads 1 --steps "$steps" --json 2> /dev/null >> "$out/pair" &   # one line each
    dotnet "$cli" bench train --config big --threads 1 --steps "$steps" --json 2> /dev/null >> "$out/pair"
    wait
done
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
field() { grep -o "\"$2\":[0-9.eE+-]*" "$out/$1" | cut -d: -f2 | median; }
one=$(field 1x1 median_step_ms); two=$(field 1x2 median_step_ms); ranks=$(field 2x1 median_step_ms)
reduce=$(field 2x1 median_allreduce_ms); wait=$(field 2x1 median_wait_ms)
paired=$(field pair median_step_ms)
split=$(field tp median_step_ms); splitReduce=$(field tp median_allreduce_ms)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
percent() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", 100 * a / b }'; }
echo "bench train --config big: median step over $rounds alternating rounds of $steps steps"
printf '%-26s %10s %14s\n' "" "step ms" "vs 1 × 1"
printf '%-26s %10.1f %14s\n' "1 process × 1 thread" "$one" "1.00×"
printf '%-26s %10.1f %13s×\n' "1 process × 2 threads" "$two" "$(ratio "$one" "$two")"
printf '%-26s %10.1f %13s×\n' "2 ranks × 1 thread (MPI)" "$ranks" "$(ratio "$one" "$ranks")"
printf '%-26s %10.1f %13s×\n' "2 ranks, model split" "$split" "$(ratio "$one" "$split")"
printf 'all-reduce: %.1f ms a step (%s%% of the 2-rank step), waiting for the other rank %.1f ms; ' \
    "$reduce" "$(percent "$reduce" "$ranks")" "$wait"
printf '2 ranks against 1 process × 2 threads: %s×\n' "$(ratio "$two" "$ranks")"
ceiling=$(awk -v a="$one" -v b="$paired" 'BEGIN { printf "%.2f", 2 * a / b }')
printf "the machine's ceiling: a 1-thread step takes %.1f ms beside another (%s× its time alone), so 2 ranks can reach " \
    "$paired" "$(ratio "$paired" "$one")"
printf 'at most %s× one process × 1 thread; they reach %s%% of that\n' "$ceiling" "$(percent "$(ratio "$one" "$ranks")" "$ceiling")"
printf 'model split over 2 ranks: all-reduce %.1f ms a step (%s%% of its step); against 1 process × 2 threads: %s×\n' \
    "$splitReduce" "$(percent "$splitReduce" "$split")" "$(ratio "$two" "$split")"
