#!/usr/bin/env bash
# Issue 15's adaptation, each method trained to its best: the 7.6M Old Testament base (configs/bible-ot-lora-base.json),
# then full fine-tuning and LoRA r 8 (emb,q,v) on the New Testament's training chapters, each for the same 2,000
# updates (cosine to zero), evaluated on the validation chapters every 100 updates (greedy BLEU) and keeping its best
# model; then both best models and the base scored on the test and validation chapters, greedy and beam 4. No patience:
# the adapters' high learning rate holds their BLEU on a plateau until it decays, where an early stop would end them.
# Every stage resumes where a killed run left it (run it again), and a finished stage is skipped.
# About 4–5 hours on 2 threads of a quiet first-generation EPYC; the base alone 40–100 minutes.
# Usage: configs/run-lora-at-best.sh [RUNS directory (the repository's runs/)]
set -euo pipefail
runs=$(realpath -m "${1:-$(dirname "$0")/../runs}")   # a relative RUNS is the caller's, read before the cd
cd "$(dirname "$0")/.."
mkdir -p "$runs"
dotnet build src/Sharpformer.Cli -c Release --nologo -v quiet >&2
sharpformer() { dotnet src/Sharpformer.Cli/bin/Release/net10.0/Sharpformer.Cli.dll "$@"; }

# A stage runs until its command succeeds once; its marker then skips it.
stage() {
    local name=$1; shift
    if [ -e "$runs/.done-$name" ]; then echo "$name: done before" >&2; return; fi
    echo "$name: $*" >&2
    sharpformer "$@"
    touch "$runs/.done-$name"
}

stage ot-base train --task bible-ot-en-es --out "$runs/ot-base" --config configs/bible-ot-lora-base.json --steps 1600 \
    --batch-tokens 4096 --lr 1e-3 --warmup 300 --save-every 400 --eval-every 0 --threads 2 --seed 1 --resume
to_best=(--steps 2000 --batch-tokens 4096 --warmup 30 --eval-every 100 --eval-bleu --keep-best --save-every 100
      --threads 2 --seed 2 --resume)
stage nt-full-best train --task bible-nt-en-es --init-from "$runs/ot-base" --out "$runs/nt-full-best" --lr 5e-4 "${to_best[@]}"
stage nt-lora-best train --task bible-nt-en-es --init-from "$runs/ot-base" --out "$runs/nt-lora-best" --lora-rank 8 \
    --lora-alpha 16 --lora-targets emb,q,v --lr 1e-2 "${to_best[@]}"

for model in "$runs/ot-base" "$runs/nt-full-best/best" "$runs/nt-lora-best/best"; do
    for split in test valid; do
        for decoding in --greedy "--beam 4"; do
            # shellcheck disable=SC2086  # "--beam 4" is two words
            scores=$(sharpformer eval --model "$model" --task bible-nt-en-es --split "$split" $decoding --threads 2 --json)
            echo "$model $split $decoding: $scores"
        done
    done
done
for run in nt-full-best nt-lora-best; do
    best=$(cat "$runs/$run/best/best.json")
    echo "$run: best $best"
done
