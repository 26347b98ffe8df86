#!/usr/bin/env python3
"""Sums over the launches of ncu reports of one forward configuration each (l2_fabric_probe.sh's files,
<gpu>/<kernel>_B<b>_H<h>_N<n>_d<d>.csv) the bytes the L2 partitions forwarded to each other
(lts__t_sectors_srcunit_ltcfabric.sum x 32) and the bytes the SMs received from the L2
(l1tex__m_xbar2l1tex_read_bytes.sum), and prints one CSV row per report:

    fabric_sums.py REPORT ...   ->   gpu,kernel,batch,heads,N,d,launches,fabric_bytes,sm_l2_read_bytes

gpu is the report's folder name (h100, h200). The GPU model's test of its fabric bytes reads the committed
output (analysis/measurements/l2_fabric_probe_2026-11-21/fabric_bytes.csv). Exits 1 naming the report when
a file name does not follow the pattern or a metric is missing.
"""
import os
import re
import sys

from ncu_raw import launches

NAME = re.compile(r"^([a-z0-9]+)_B(\d+)_H(\d+)_N(\d+)_d(\d+)\.csv$")


def main(reports):
    names = []
    for path in reports:  # every name checked before anything is printed
        m = NAME.match(os.path.basename(path))
        if not m:
            raise SystemExit(f"{path}: not <kernel>_B<b>_H<h>_N<n>_d<d>.csv")
        names.append(m)
    print("gpu,kernel,batch,heads,N,d,launches,fabric_bytes,sm_l2_read_bytes")
    for path, m in zip(reports, names):
        runs = launches(path)
        sums = {}
        for metric, scale in (("lts__t_sectors_srcunit_ltcfabric.sum", 32), ("l1tex__m_xbar2l1tex_read_bytes.sum", 1)):
            if any(metric not in r["metrics"] for r in runs):
                raise SystemExit(f"{path}: metric {metric} missing from the report")
            sums[metric] = round(sum(r["metrics"][metric] for r in runs) * scale)
        gpu = os.path.basename(os.path.dirname(os.path.abspath(path)))
        print(f"{gpu},{m[1]},{m[2]},{m[3]},{m[4]},{m[5]},{len(runs)},"
              f"{sums['lts__t_sectors_srcunit_ltcfabric.sum']},{sums['l1tex__m_xbar2l1tex_read_bytes.sum']}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit("usage: fabric_sums.py REPORT ...")
    main(sys.argv[1:])
