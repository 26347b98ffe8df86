#!/usr/bin/env python3
"""Turns one `ncu --csv --page raw --print-units base` report of a single
forward configuration into rows of two CSVs (appended):

  launches: one row per kernel launch (kernel name and its metrics)
  summary:  one row per configuration (metrics summed over its launches)

Metrics (bytes unless noted): dram__bytes_read.sum, dram__bytes_write.sum,
lts__t_sectors_srcunit_tex_op_read.sum and ..._write.sum (32-byte sectors the
SMs read from / wrote to L2, converted to bytes), lts__t_bytes.sum (all L2
traffic), l1tex__m_xbar2l1tex_read_bytes.sum and l1tex__m_l1tex2xbar_write_bytes.sum
(bytes the SMs' L1TEX units received from / sent to the crossbar: the SRAM<->L2
traffic as the SMs see it), lrc__xbar2gpc_sectors_op_read.sum and
lrc__lrc2xbar_sectors_op_read.sum (read sectors the L2 request coalescer
delivered to the GPCs / forwarded to L2 after merging identical requests; in
bytes), gpu__time_duration.sum (ns). Exits non-zero, naming the problem, if
the report has no launches or lacks a metric.
"""
import csv
import os
import sys

from ncu_raw import launches

METRICS = {
    "dram_read_bytes": ("dram__bytes_read.sum", 1),
    "dram_write_bytes": ("dram__bytes_write.sum", 1),
    "l2_read_bytes_from_sm": ("lts__t_sectors_srcunit_tex_op_read.sum", 32),
    "l2_write_bytes_from_sm": ("lts__t_sectors_srcunit_tex_op_write.sum", 32),
    "lts_bytes": ("lts__t_bytes.sum", 1),
    "l1_read_bytes_from_xbar": ("l1tex__m_xbar2l1tex_read_bytes.sum", 1),
    "l1_write_bytes_to_xbar": ("l1tex__m_l1tex2xbar_write_bytes.sum", 1),
    "lrc_read_bytes_to_gpc": ("lrc__xbar2gpc_sectors_op_read.sum", 32),
    "lrc_read_bytes_to_l2": ("lrc__lrc2xbar_sectors_op_read.sum", 32),
    "ncu_duration_ns": ("gpu__time_duration.sum", 1),
}
META = ["gpu", "driver", "date", "kernel", "pass", "dtype", "d", "N", "batch", "heads", "causal"]


def parse(path):
    out = []
    for launch in launches(path):  # ncu_raw.py: the report's launches, or SystemExit naming the problem
        rec = {"launch_kernel": launch["kernel"].replace(",", ";")[:120]}
        for key, (name, scale) in METRICS.items():
            if name not in launch["metrics"]:
                raise SystemExit(f"ncu_aggregate: {path}: metric {name} missing from the report")
            rec[key] = int(round(launch["metrics"][name] * scale))
        out.append(rec)
    return out


def append(path, header, row):
    new = not os.path.exists(path) or os.path.getsize(path) == 0
    with open(path, "a", newline="") as f:
        w = csv.writer(f)
        if new:
            w.writerow(header)
        w.writerow([row.get(h, "") for h in header])


def main():
    raw, launches_csv, summary_csv, median_ms = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    meta = dict(kv.split("=", 1) for kv in sys.argv[5:])
    launches = parse(raw)
    for i, rec in enumerate(launches):
        append(launches_csv, META + ["launch", "launch_kernel"] + list(METRICS), {**meta, "launch": i, **rec})
    total = {k: sum(r[k] for r in launches) for k in METRICS}
    append(summary_csv, META + ["launches"] + list(METRICS) + ["median_ms"],
           {**meta, "launches": len(launches), **total, "median_ms": median_ms})
    print(f"{meta['kernel']:8s} d={meta['d']:>3s} N={meta['N']:>5s} B={meta['batch']:>3s} H={meta['heads']:>2s} "
          f"causal={meta['causal']:5s} launches={len(launches)} DRAM r/w {total['dram_read_bytes']/1e6:9.1f}/"
          f"{total['dram_write_bytes']/1e6:8.1f} MB  L2<-SM r/w {total['l2_read_bytes_from_sm']/1e6:10.1f}/"
          f"{total['l2_write_bytes_from_sm']/1e6:8.1f} MB  {median_ms} ms")


if __name__ == "__main__":
    main()
