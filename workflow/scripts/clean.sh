#!/usr/bin/env bash
# `make clean`: remove what the DAG generates in the default folders, never a tracked file
# (the READMEs of data/processed and results). data/raw is left alone: it may hold the
# licensed ASIF files; worlds/ (the Monte Carlo draws' synthetic worlds) goes whole. In a git
# checkout git decides what is generated (untracked or ignored); in an unpacked archive
# without git, everything but README files goes.
set -euo pipefail
cd "$(dirname "$0")/../.."
GENERATED_DIRS=(data/processed results)
rm -rf logs .snakemake paper/build paper/paper.pdf worlds
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git clean -fdxq -- "${GENERATED_DIRS[@]}"
else
    for d in "${GENERATED_DIRS[@]}"; do
        [ -d "$d" ] || continue
        find "$d" -mindepth 1 -type f ! -name README.md -delete
        find "$d" -mindepth 1 -type d -empty -delete
    done
fi
