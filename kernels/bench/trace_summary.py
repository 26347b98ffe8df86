#!/usr/bin/env python3
"""One line per thread-block timeline (attention_measure --trace): how many blocks ran on how many SMs, the
launch's length (the latest block end; times are relative to the launch) and the blocks' durations
(median, min, max). cta_trace.sh prints it after each timeline it writes; analysis/studies/cta_pacing.py
reads the same files for the pacing tables.

usage: trace_summary.py TRACE.csv ...   (exit 1 with a one-line error on a missing, empty or malformed file)
"""
import csv
import sys

COLUMNS = ("sm", "start_ns", "end_ns")


def summary(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise ValueError("no thread blocks")
    missing = [c for c in COLUMNS if c not in rows[0]]
    if missing:
        raise ValueError(f"missing column {missing[0]}")
    try:
        spans = [(int(r["sm"]), int(r["start_ns"]), int(r["end_ns"])) for r in rows]
    except (TypeError, ValueError):
        raise ValueError("a row whose sm, start_ns or end_ns is not an integer") from None
    if any(e < s for _, s, e in spans):
        raise ValueError("a block that ends before it starts")
    dur = sorted(e - s for _, s, e in spans)
    end = max(e for _, _, e in spans)
    return (f"{len(rows)} blocks on {len({sm for sm, _, _ in spans})} SMs, launch {end / 1e6:.3f} ms, "
            f"block duration median {dur[len(dur) // 2] / 1e3:.1f} us, min {dur[0] / 1e3:.1f}, max {dur[-1] / 1e3:.1f}")


def main(paths):
    if not paths:
        sys.exit(__doc__.strip().splitlines()[-1])
    for p in paths:
        try:
            print("   " + summary(p))
        except (OSError, ValueError) as e:
            sys.exit(f"trace_summary.py: {p}: {e}")


if __name__ == "__main__":
    main(sys.argv[1:])
