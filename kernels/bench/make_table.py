#!/usr/bin/env python3
"""Merges the kernel and PyTorch CSVs into one CSV and prints a Markdown table
of forward TFLOP/s with ratios to PyTorch's flash backend.

  python3 make_table.py --out-csv ALL.csv --out-md TABLE.md --command "..." IN1.csv IN2.csv ...
"""
import argparse
import csv
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("inputs", nargs="+")
    ap.add_argument("--out-csv", required=True)
    ap.add_argument("--out-md", required=True)
    ap.add_argument("--command", default="")
    args = ap.parse_args()
    rows = []
    for path in args.inputs:
        with open(path) as f:
            rows.extend(csv.DictReader(f))
    if not rows:
        print("no rows", file=sys.stderr)
        return 1
    fields = list(rows[0].keys())
    with open(args.out_csv, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)

    tf = {}
    for r in rows:
        if r["status"] != "ok":
            continue
        key = (r["dtype"], int(r["d"]), int(r["N"]), r["causal"])
        tf.setdefault(key, {})[r["kernel"]] = float(r["tflops"])
    kernels = ["standard", "flash1", "flash2", "torch_flash", "torch_cudnn"]
    lines = []
    first = rows[0]
    lines.append(f"# Attention forward throughput ({first['gpu']})\n")
    lines.append(f"- GPU: {first['gpu']}; driver: {first['driver']}; date: {first['date']}")
    if args.command:
        lines.append(f"- command: `{args.command}`")
    lines.append("- shapes: H = 16, B = 16384/N, [B, H, N, d] layout; FLOPs = 4*B*H*N^2*d (halved when causal); "
                 "median of CUDA-event-timed launches after warm-up")
    lines.append("")
    lines.append("| dtype | d | N | causal | " + " | ".join(kernels) +
                 " | flash2 / torch_flash | flash2 / standard | flash1 / standard |")
    lines.append("|" + "---|" * (4 + len(kernels) + 3))
    worst = {}
    below = []
    vs_std = {"flash1": [], "flash2": []}
    for key in sorted(tf, key=lambda k: (k[0], k[1], k[3], k[2])):
        t = tf[key]
        cells = [f"{t[k]:.1f}" if k in t else "–" for k in kernels]

        def ratio(a, b):
            return t[a] / t[b] if a in t and b in t and t[b] > 0 else None

        r_tf = ratio("flash2", "torch_flash")
        r_s2 = ratio("flash2", "standard")
        r_s1 = ratio("flash1", "standard")
        fmt = lambda x: f"{x:.2f}" if x is not None else "–"
        lines.append(f"| {key[0]} | {key[1]} | {key[2]} | {key[3]} | " + " | ".join(cells) +
                     f" | {fmt(r_tf)} | {fmt(r_s2)} | {fmt(r_s1)} |")
        if r_tf is not None:
            worst[key[0]] = min(worst.get(key[0], r_tf), r_tf)
            if r_tf < 0.7:
                below.append(key)
        if key[2] >= 1024:
            for kname, r in (("flash2", r_s2), ("flash1", r_s1)):
                if r is not None:
                    vs_std[kname].append(r)
    lines.append("")
    for dt, w in sorted(worst.items()):
        lines.append(f"- {dt}: flash2 / torch_flash worst ratio {w:.2f} (target >= 0.70: "
                     f"{'met on every shape' if w >= 0.7 else 'missed'})")
    if below:
        lines.append("- shapes below 0.70: " + ", ".join(f"{k[0]} d={k[1]} N={k[2]} causal={k[3]}" for k in below))
    for kname, rs in vs_std.items():
        if rs:
            faster = sum(1 for r in rs if r > 1.0)
            lines.append(f"- {kname} faster than standard for N >= 1024: {faster} of {len(rs)} shapes "
                         f"(ratio {min(rs):.2f} to {max(rs):.2f})")
    md = "\n".join(lines) + "\n"
    with open(args.out_md, "w") as f:
        f.write(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
