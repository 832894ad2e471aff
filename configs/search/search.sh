#!/usr/bin/env bash
# The recipe search of issue 19 (configs/README.md has the results): one recipe trained on bible-en-es for a time
# budget at 2 threads, validated with greedy BLEU as it goes, then its best, averaged and moving-average models scored
# on the validation split.
#
#   configs/search/search.sh RECIPE MINUTES [ROOT]      # writes ROOT/RECIPE-MINUTES (default ROOT: runs/search)
#
# Set SHARPFORMER to the command to run (default: the Release build through dotnet run).
set -euo pipefail
recipe=$1 minutes=$2 root=${3:-runs/search}
[[ $minutes =~ ^[1-9][0-9]*$ ]] || { echo "MINUTES must be a whole number of minutes, not '$minutes'" >&2; exit 2; }
read -r -a sf <<< "${SHARPFORMER:-dotnet run --project src/Sharpformer.Cli -c Release --no-build --}"
out="$root/$recipe-$minutes"
here=$(dirname "$0")

# Every recipe: a time budget, BLEU at each evaluation, the best model kept, the last five checkpoints kept for
# averaging, and a moving average of the weights.
common=(--task bible-en-es --max-minutes "$minutes" --threads 2 --seed 1 --eval-bleu --keep-best --average-last 5 --ema 0.999)
case $recipe in
  # The 13-minute recipe (configs/bible-en-es-8k.json, the first quick recipe): d 128, 2 + 2 layers, BPE 8k, 2.0M parameters.
  small)        args=(--config "$here/../bible-en-es-8k.json" --batch-tokens 4096 --lr 1e-3 --warmup 300 --every 400) ;;
  # Four times the compute per token: d 256, 3 + 3 layers (the `big` preset, pre-norm, tied), 6.5M parameters.
  big)          args=(--config "$here/big.json" --batch-tokens 4096 --lr 7e-4 --warmup 150 --every 100) ;;
  big-drop3)    args=(--config "$here/big.json" --dropout 0.3 --batch-tokens 4096 --lr 7e-4 --warmup 150 --every 100) ;;
  big-post)     args=(--config "$here/big-post.json" --batch-tokens 4096 --lr 5e-4 --warmup 300 --every 100) ;;
  medium)       args=(--config "$here/medium.json" --batch-tokens 4096 --lr 8e-4 --warmup 250 --every 200) ;;
  deep)         args=(--config "$here/deep.json" --batch-tokens 4096 --lr 1e-3 --warmup 300 --every 250) ;;
  small-vocab4k) args=(--config "$here/../bible-en-es-8k.json" --vocab-size 4000 --batch-tokens 4096 --lr 1e-3 --warmup 300
                       --every 400) ;;
  small-batch8k) args=(--config "$here/../bible-en-es-8k.json" --batch-tokens 8192 --lr 1.4e-3 --warmup 150 --every 200) ;;
  small-vocab2k) args=(--config "$here/../bible-en-es-8k.json" --vocab-size 2000 --batch-tokens 4096 --lr 1e-3 --warmup 300
                       --every 400) ;;
  # Round 2 and later: variations of the leader, configs/bible-en-es.json (the quick model with BPE 4k).
  small-v4k-lr2) args=(--config "$here/../bible-en-es.json" --batch-tokens 4096 --lr 2e-3 --warmup 300 --every 400) ;;
  # Round 4: the winner (small-v4k-lr2) with one more change.
  small-v4k-drop2) args=(--config "$here/../bible-en-es.json" --dropout 0.2 --batch-tokens 4096 --lr 2e-3 --warmup 300 --every 400) ;;
  small-v4k-ls0) args=(--config "$here/../bible-en-es.json" --label-smoothing 0 --batch-tokens 4096 --lr 2e-3 --warmup 300
                       --every 400) ;;
  small-post)   args=(--config "$here/small-post.json" --batch-tokens 4096 --lr 7e-4 --warmup 600 --every 400) ;;
  medium-vocab4k) args=(--config "$here/medium.json" --vocab-size 4000 --batch-tokens 4096 --lr 8e-4 --warmup 250 --every 200) ;;
  small-ls2)    args=(--config "$here/../bible-en-es-8k.json" --label-smoothing 0.2 --dropout 0.2 --batch-tokens 4096
                      --lr 1e-3 --warmup 300 --every 400) ;;
  base-half)    args=(--config "$here/base-half.json" --dropout 0.2 --batch-tokens 4096 --lr 5e-4 --warmup 150 --every 40) ;;
  *) echo "unknown recipe '$recipe'" >&2; exit 2 ;;
esac
# --every N in a recipe: evaluate every N updates of a 15-minute run (four to six times), scaled to the budget; checkpoint
# eight times as often, so that the five checkpoints averaged span the last tenth or so of the run.
every=$(( ${args[-1]} * minutes / 15 ))
args=("${args[@]:0:${#args[@]}-2}" --eval-every "$every" --save-every "$(( every / 8 ))")

"${sf[@]}" train "${common[@]}" "${args[@]}" --out "$out"
kept=$(find "$out/checkpoints" -name 'step-*.safetensors' | wc -l)
"${sf[@]}" average --model "$out" --last "$(( kept < 5 ? kept : 5 ))" --out "$out/average"
for model in "$out" "$out/best" "$out/average" "$out/ema"; do
  printf '%s\t' "$model"
  "${sf[@]}" eval --model "$model" --task bible-en-es --split valid --json --threads 2
done | tee "$out/valid-scores.tsv"
