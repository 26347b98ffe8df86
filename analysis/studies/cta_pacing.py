#!/usr/bin/python3
"""How flash2's and flash2_hopper's thread blocks pace each other, from the committed per-block timelines.

Reads analysis/measurements/cta_trace_*/<gpu>/trace_[flash2_hopper_]d<d>_N<N>_H<heads>_c<causal>.csv
(attention_measure --trace) and prints, per non-causal trace, Markdown tables of:
  * the first wave: blocks per SM (k) and their durations sorted, over the shortest (median over SMs; the
    GPU model's rates are fitted to these by analysis::fit_age_rates, gpu_spec.cpp);
  * lineages: on each SM, the blocks that follow each other in one resident slot (a block starts where one
    ended), their durations per generation relative to the fastest first-wave block (median over SMs), next
    to the same durations from a one-SM replay of identical blocks whose rates by age rank are the GPU
    model's (GpuSpec::cta_age_rates, gpu_spec.cpp);
  * the spread of each generation's start times over an SM's slots (median over SMs), in microseconds and
    as a fraction of the median block duration.

Rates and the replay are the GPU model's own, through the iolab Python module (iolab.cta_age_rates,
iolab.age_paced_lineages; analysis/cta_trace.hpp), built into <build>/simulator/python.

usage: cta_pacing.py [TRACE_DIR]   (default: the newest analysis/measurements/cta_trace_*)
       IOLAB_PYTHONPATH=<build>/simulator/python (default: build/simulator/python of the repository)
"""
import collections
import csv
import glob
import os
import statistics
import sys

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.environ.get("IOLAB_PYTHONPATH") or os.path.join(REPO, "build", "simulator", "python"))
try:
    import iolab
except ImportError as e:
    sys.exit(f"cta_pacing.py: cannot import the iolab module ({e}); build it and set IOLAB_PYTHONPATH")


def load(path):
    with open(path, newline="") as f:
        return [{k: int(v) for k, v in r.items()} for r in csv.DictReader(f)]


def by_sm(rows):
    out = collections.defaultdict(list)
    for r in rows:
        out[r["sm"]].append(r)
    for blocks in out.values():
        blocks.sort(key=lambda r: (r["start_ns"], r["block"]))
    return out


def first_wave(sms, window_ns=5000):
    t0 = min(b["start_ns"] for blocks in sms.values() for b in blocks)
    return {sm: [b for b in blocks if b["start_ns"] - t0 <= window_ns] for sm, blocks in sms.items()}


def first_wave_ratios(wave):
    k = len(next(iter(wave.values())))
    acc = collections.defaultdict(list)
    for blocks in wave.values():
        d = sorted(b["end_ns"] - b["start_ns"] for b in blocks)
        for r in range(1, k):
            acc[r].append(d[r] / d[0])
    return k, [statistics.median(acc[r]) for r in range(1, k)]


def lineages(sms, wave):
    """Per SM, per slot: its blocks in order (a block continues the slot whose last block ended nearest
    before it started)."""
    out = {}
    for sm, blocks in sms.items():
        slots = [[b] for b in wave[sm]]
        for b in blocks[len(slots):]:
            min(slots, key=lambda s: abs(s[-1]["end_ns"] - b["start_ns"])).append(b)
        slots.sort(key=lambda s: s[0]["end_ns"])  # the fastest first-wave block's slot first
        out[sm] = slots
    return out


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "measurements")
    trace_dir = sys.argv[1] if len(sys.argv) > 1 else sorted(glob.glob(os.path.join(root, "cta_trace_*")))[-1]
    files = sorted(glob.glob(os.path.join(trace_dir, "*", "trace_d*_c0.csv")) +
                   glob.glob(os.path.join(trace_dir, "*", "trace_flash2_hopper_d*_c0.csv")))  # not flash1's
    if not files:
        sys.exit(f"cta_pacing.py: no trace_*_c0.csv under {trace_dir}")
    print("| GPU | trace | k | first wave: durations over the shortest | lineage durations (median over SMs) "
          "measured / replayed with the model's rates | start spread per generation, us (fraction of a block) |")
    print("|---|---|---|---|---|---|")
    for path in files:
        rows = load(path)
        sms = by_sm(rows)
        wave = first_wave(sms)
        k, ratios = first_wave_ratios(wave)
        lines = lineages(sms, wave)
        gens = min(len(s) for slots in lines.values() for s in slots)
        shown = min(gens, 3)
        fastest = statistics.median(slots[0][0]["end_ns"] - slots[0][0]["start_ns"] for slots in lines.values())
        launch = "flash2_hopper_fwd" if "flash2_hopper" in os.path.basename(path) else "flash2_fwd"
        gpu = os.path.basename(os.path.dirname(path))
        replay = iolab.age_paced_lineages(iolab.cta_age_rates(gpu, launch, k) or [1.0] * k, shown)
        cells = []
        for i in range(k):
            meas = [statistics.median((slots[i][g]["end_ns"] - slots[i][g]["start_ns"]) / fastest
                                      for slots in lines.values()) for g in range(shown)]
            rep = [replay[i][g] / replay[0][0] for g in range(shown)]
            cells.append("slot %d: %s / %s" % (i, " ".join("%.3f" % x for x in meas), " ".join("%.3f" % x for x in rep)))
        dur = statistics.median(b["end_ns"] - b["start_ns"] for b in rows)
        spread = [statistics.median(max(s[g]["start_ns"] for s in slots) - min(s[g]["start_ns"] for s in slots)
                                    for slots in lines.values()) for g in range(gens)]
        sp = " ".join("%.0f" % (x / 1e3) for x in spread) + " (last %.2f)" % (spread[-1] / dur)
        name = os.path.basename(path)[len("trace_"):-len(".csv")]
        print(f"| {gpu} | {name} | {k} | {' '.join('%.3f' % r for r in ratios) or '-'} | {'<br>'.join(cells)} | {sp} |")


if __name__ == "__main__":
    main()
