#!/usr/bin/python3
"""The L2 partition capacity the capacity probe alone selects, and what it gives on the attention kernels.

For two L2 partitions with a near copy of every line (--l2-partitions 2 --l2-copies always), 16-way hashed
sets and the probe's dirty limit (0.424 of the L2, random line cleaned), prints per total capacity c (a
fraction of the physical L2) and replacement policy the probe error of l2_variants.py (mean over the
committed probe's private, rotate and write launches, in W) for each GPU; with --compare also the DRAM targets
the attention kernels miss at each c (iolab compare, about 2 minutes per capacity on two cores).
Figures quoted in analysis/measurements/h200_2026-11-21/COMPARISON.md ("A partition capacity fitted to the
probe") come from `partition_capacity.py build/analysis/cli/iolab --compare`.

usage: partition_capacity.py IOLAB [--capacities 0.80,0.85,0.90,0.95,1.0] [--policies srrip,lru] [--compare]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from l2_variants import compare_summary, probe_error  # noqa: E402

# Spelled out in full (SM halves, copies dropped on writes), so that the figures quoted from this study stay
# reproducible now that the GPU's own L2 model has two partitions of its own (gpu_spec.cpp).
BASE = ["--l2-partitions", "2", "--l2-copies", "always", "--l2-sides", "halves", "--l2-write-copies", "drop",
        "--l2-ways", "16", "--l2-dirty-limit", "0.424", "--l2-dirty-clean", "random"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("iolab")
    ap.add_argument("--capacities", default="0.80,0.85,0.90,0.95,1.0")
    ap.add_argument("--policies", default="srrip,lru")
    ap.add_argument("--compare", action="store_true")
    a = ap.parse_args()
    print("| policy | capacity | probe error H100 (W) | probe error H200 (W) |" + (" DRAM missed (of 232) |" if a.compare else ""))
    print("|---|---|---|---|" + ("---|" if a.compare else ""))
    for policy in a.policies.split(","):
        for cap in a.capacities.split(","):
            flags = BASE + ["--l2-capacity", cap, "--l2-replacement", policy]
            err = {g[:12]: v for g, v in probe_error(a.iolab, flags).items()}
            row = f"| {policy} | {cap} | {err.get('NVIDIA H100 ', float('nan')):.3f} | {err.get('NVIDIA H200', float('nan')):.3f} |"
            if a.compare:
                missed = sum(m for g in compare_summary(a.iolab, flags).values() for m, _, _ in g["dram"].values())
                row += f" {missed} |"
            print(row, flush=True)


if __name__ == "__main__":
    main()
