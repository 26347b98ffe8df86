#!/usr/bin/python3
"""Compare L2 model variants against the committed measurements.

Runs `iolab compare --json` (once per GPU's measurements) and `iolab probe --json` once per variant (the GPU model's own L2 first; every
variant but the second paces CTAs by age, the model's default; each row changes one thing of the GPU's model
unless its name says otherwise) and
prints a Markdown table: per GPU, the attention configurations whose DRAM bytes (read + written) miss the
issue-4 target (10 % flash, 15 % standard) per kernel with the kernel's DRAM MAPE in brackets, the DRAM
misses in all, the SRAM<->L2 and runtime misses (which the L2 model can move only through the DRAM time),
and how far the variant is from the L2 capacity probe: the mean over its private, rotate and write launches
of |predicted - measured| DRAM bytes read plus written, in units of the buffer size W.

With --table placement: the set-index and per-set dirty-limit variants (tried on 2026-11-22 after the
adoption), with one more column, the mean error over the probe's mixed series (private rows beside a stream,
analysis::probe_mixed_scores; reads per use plus writes, in W).

usage: l2_variants.py IOLAB [--out FILE] [--threads N] [--table main|placement]
"""
import argparse
import csv
import glob
import json
import os
import subprocess
import sys

# Every row changes the GPU's own L2 model (gpu_spec.cpp: two partitions of half the L2, SMs by parity, near
# copies of every far block kept on writes, 32-way hashed sets, LRU, dirty limit 0.424 with a random line
# cleaned; adopted 2026-11-22) in the way its name says. The table of the variants of the model before it (one
# fully associative SRRIP cache of half the L2), with flags relative to that model, is kept in the H200's
# COMPARISON.md ("The L2 capacity probe").
VARIANTS = [
    ("GPU model (2 partitions of half the L2, SM parity, near copies always and kept on writes, 32-way, LRU, "
     "dirty limit 0.424, random line cleaned)", []),
    ("the same, CTAs in lockstep", ["--cta-pacing", "lockstep"]),
    ("near copies dropped on writes (the model of the variant table before)", ["--l2-write-copies", "drop"]),
    ("16-way sets", ["--l2-ways", "16"]),
    ("64-way sets", ["--l2-ways", "64"]),
    ("fully associative", ["--l2-ways", "0"]),
    ("SRRIP instead of LRU", ["--l2-replacement", "srrip"]),
    ("SMs by halves instead of parity", ["--l2-sides", "halves"]),
    ("the oldest dirty line cleaned", ["--l2-dirty-clean", "oldest"]),
    ("the model before 2026-11-22: one fully associative cache of half the L2, SRRIP, no dirty limit",
     ["--l2-partitions", "1", "--l2-ways", "0", "--l2-capacity", "0.5", "--l2-replacement", "srrip",
      "--l2-dirty-limit", "0"]),
]
# Where blocks go and when dirty lines are written back: the variants of COMPARISON.md, "Balanced set indices
# and a dirty limit per set".
PLACEMENT_VARIANTS = [
    ("GPU model (32-way hashed sets, one dirty limit of 0.424 with a random line cleaned)", []),
    ("balanced set index", ["--l2-set-index", "balanced"]),
    ("the dirty limit per set, a random dirty line of the set cleaned", ["--l2-dirty-clean", "per-set-random"]),
    ("balanced set index and the dirty limit per set",
     ["--l2-set-index", "balanced", "--l2-dirty-clean", "per-set-random"]),
    ("balanced set index, the dirty limit per set, SRRIP",
     ["--l2-set-index", "balanced", "--l2-dirty-clean", "per-set-random", "--l2-replacement", "srrip"]),
]
KERNELS = ["flash1", "flash2", "flash2_hopper", "standard"]


REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def measured_files():
    """The committed attention measurements, one measured_traffic.csv per GPU."""
    files = sorted(glob.glob(os.path.join(REPO, "analysis", "measurements", "*", "measured_traffic.csv")))
    if not files:
        sys.exit("l2_variants: no analysis/measurements/*/measured_traffic.csv")
    return files


def compare_summary(iolab, flags, threads="0"):
    """{gpu: {"dram": {kernel: (missed, n, mape)}, "other": missed}} for the variant `flags`, from `iolab compare
    --json` run on each GPU's measurements (its targets, misses and MAPE: analysis/src/comparison.cpp)."""
    out = {}
    for path in measured_files():
        with open(path, newline="") as f:
            gpu = next(csv.DictReader(f))["gpu"]
        r = subprocess.run([iolab, "compare", "--json", "--measured", path, "--threads", threads, *flags],
                           capture_output=True, text=True)
        if r.returncode not in (0, 3):
            sys.exit(f"l2_variants: iolab compare {' '.join(flags)}: {r.stderr.strip()}")
        g = out.setdefault(gpu, {"dram": {}, "other": 0})
        for st in json.loads(r.stdout):
            if st["metric"] == "dram_bytes":
                g["dram"][st["kernel"]] = (st["misses"], st["n"], st["mape"])
            elif st["metric"] in ("sram_bytes", "runtime"):
                g["other"] += st["misses"]
    return out


def probe_errors(iolab, flags, threads="0", measured=None):
    """({gpu: probe score}, {gpu: mixed-series score}) of `iolab probe --json` for the variant `flags`
    (analysis::probe_scores: the mean over the private, rotate and write launches of |read error| / uses +
    |write error|, in W; analysis::probe_mixed_scores: the same over the mixed series)."""
    cmd = [iolab, "probe", "--json", "--threads", threads, *flags]
    if measured:
        cmd += ["--measured", measured]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"l2_variants: iolab probe {' '.join(flags)}: {r.stderr.strip()}")
    j = json.loads(r.stdout)
    return ({g["gpu"]: g["mean_error_w"] for g in j["score"]},
            {g["gpu"]: g["mean_error_w"] for g in j.get("mixed_score", [])})


def probe_error(iolab, flags, threads="0", measured=None):
    """{gpu: the probe score} (probe_errors' first part)."""
    return probe_errors(iolab, flags, threads, measured)[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("iolab")
    ap.add_argument("--out")
    ap.add_argument("--threads", default="0")
    ap.add_argument("--table", choices=["main", "placement"], default="main")
    a = ap.parse_args()
    placement = a.table == "placement"
    lines = ["| L2 model | GPU | " + " | ".join(f"DRAM missed: {k}" for k in KERNELS) +
             " | DRAM missed, all | SRAM/runtime missed | probe error (W) |" +
             (" mixed series error (W) |" if placement else ""),
             "|---" * (len(KERNELS) + 5 + placement) + "|"]
    for name, flags in PLACEMENT_VARIANTS if placement else VARIANTS:
        probe, mixed = probe_errors(a.iolab, flags, a.threads)
        for gpu, g in sorted(compare_summary(a.iolab, flags, a.threads).items()):
            cells = []
            for k in KERNELS:
                missed, n, mape = g["dram"].get(k, (0, 0, 0.0))
                cells.append(f"{missed}/{n} ({100 * mape:.1f}%)" if n else "-")
            total = sum(v[0] for v in g["dram"].values())
            flag = " ".join(flags) or "(none)"
            lines.append(f"| {name}<br>`{flag}` | {gpu} | " + " | ".join(cells) +
                         f" | {total} | {g['other']} | {probe.get(gpu, float('nan')):.3f} |" +
                         (f" {mixed.get(gpu, float('nan')):.3f} |" if placement else ""))
    text = "\n".join(lines) + "\n"
    if a.out:
        tmp_out = a.out + ".tmp"
        with open(tmp_out, "w") as f:
            f.write(text)
        os.replace(tmp_out, a.out)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
