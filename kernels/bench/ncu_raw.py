#!/usr/bin/env python3
"""Reads the launches of one `ncu --csv --page raw --print-units base` report (its log file: any lines before
the CSV header, such as the profiled program's own output, are skipped; the units row too).

As a module: launches(path) -> [{"kernel": name, "metrics": {metric: float}}], one per profiled launch;
SystemExit naming the file when there is no header or no launch.

As a program, for the GPU scripts that profile one launch at a time:
    ncu_raw.py REPORT METRIC[*SCALE][?] ...
prints the launch's values as integers, comma-separated, in the order given (a metric times SCALE, e.g.
lts__t_sectors_srcunit_ltcfabric.sum*32 for bytes; a trailing ? prints -1 when the report lacks it). Exits
1 with a one-line error when the report does not hold exactly one launch or lacks a metric.
"""
import csv
import io
import sys


def launches(path):
    lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith('"ID"')), None)
    if start is None:
        raise SystemExit(f"{path}: no ncu CSV header (profiling failed?)")
    rows = list(csv.reader(io.StringIO("\n".join(lines[start:]))))
    header = rows[0]
    name_col = header.index("Kernel Name")
    out = []
    for r in rows[1:]:
        if not r or not r[0].strip().isdigit():
            continue  # the units row
        metrics = {}
        for h, x in zip(header, r):
            if "__" in h:
                try:
                    metrics[h] = float(x.replace(",", ""))
                except ValueError:
                    pass  # a text attribute
        out.append({"kernel": r[name_col], "metrics": metrics})
    if not out:
        raise SystemExit(f"{path}: no kernel launches in the report")
    return out


def main(argv):
    if len(argv) < 3:
        raise SystemExit("usage: ncu_raw.py REPORT METRIC[*SCALE][?] ...")
    found = launches(argv[1])
    if len(found) != 1:
        raise SystemExit(f"{argv[1]}: expected one launch, found {len(found)}")
    m = found[0]["metrics"]
    values = []
    for spec in argv[2:]:
        optional = spec.endswith("?")
        name, _, scale = spec.rstrip("?").partition("*")
        if name not in m:
            if optional:
                values.append("-1")
                continue
            raise SystemExit(f"{argv[1]}: metric {name} missing from the report")
        values.append("%d" % round(m[name] * float(scale or 1)))
    print(",".join(values))


if __name__ == "__main__":
    main(sys.argv)
