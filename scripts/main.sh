#!/usr/bin/env bash
# README command 1: set up, build, and run the default study (sweep of the SRAM
# size M for standard attention and FlashAttention at N=4096, d=64). Writes
# CSVs and PNG plots to out/study/ (or the folder given as first argument).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
./build/analysis/cli/iolab study --out "${1:-out/study}"
