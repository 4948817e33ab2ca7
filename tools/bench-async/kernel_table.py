#!/usr/bin/env python3
"""Prints the kernel executor's figures (bench.executor, kernel/ktest/executor_bench.cc) as one
table, a column per hart count, and draws it.

Usage: kernel_table.py [--svg OUT.svg] LOG...   (the console output of QEMU boots with
test=bench.executor, any --smp each; the "bench: executor.WORKLOAD harts=H ..." lines are read)
"""
import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
import chart  # noqa: E402  (tools/bench/chart.py)

WORKLOADS = [
    ("spawn_complete", "spawn+complete (from a task)"),
    ("yield", "yield round trip"),
    ("cross_hart_wake", "cross-hart wake (to a sleeping hart)"),
]
LINE = re.compile(r"^bench: executor\.(\w+) harts=(\d+) (.*)$")


def load(paths):
    figures = {}  # (workload, harts) -> {field: value}
    for path in paths:
        with open(path, errors="replace") as f:
            for line in f:
                match = LINE.match(line.strip())
                if not match:
                    continue
                fields = dict(item.split("=", 1) for item in match.group(3).split() if "=" in item)
                if "skipped:" in match.group(3):
                    fields = {"skipped": match.group(3).split("skipped:", 1)[1].strip()}
                figures[(match.group(1), int(match.group(2)))] = fields
    return figures


def cell(fields, fastest=False):
    if fields is None:
        return "-"
    if "skipped" in fields:
        return "n/a"
    text = f"{int(fields['median_ns']):,}"
    if fastest and "p10_ns" in fields:
        text += f" (p10 {int(fields['p10_ns']):,})"
    if fields.get("lost", "0") != "0":
        text += f" ({fields['lost']} lost)"
    return text


def main():
    args = sys.argv[1:]
    svg = None
    if args[:1] == ["--svg"]:
        svg, args = args[1], args[2:]
    figures = load(args)
    harts = sorted({h for _, h in figures})
    if not harts:
        print("x bench: no bench: executor lines in the kernel's output")
        return 1
    header = ["workload (kernel, QEMU)", "N"] + [f"{h} hart{'s' if h > 1 else ''} ns/op"
                                                 for h in harts]
    table = [header]
    for workload, label in WORKLOADS:
        row = [figures.get((workload, h)) for h in harts]
        n = next((f["n"] for f in row if f and "n" in f), "-")
        n = f"{int(n):,}" if n != "-" else n
        if workload == "cross_hart_wake":
            n = next((f"{f['samples']} wakes" for f in row if f and "samples" in f), "-")
        table.append([label, n] + [cell(f, workload == "cross_hart_wake") for f in row])
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    line = lambda row: "  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i])
                                 for i, c in enumerate(row))
    print("Kernel executor (bench.executor under QEMU TCG): median ns per operation, guest time")
    print(line(table[0]))
    print("  ".join("-" * w for w in widths))
    for row in table[1:]:
        print(line(row))
    print("Guest time: QEMU emulates each hart with a host thread; with more busy harts than host "
          f"cores ({os.cpu_count()} here) guest time stretches. Compare runs on one machine only.")
    print("The cross-hart wake waits for the host to run the woken hart's thread: on a loaded host "
          "that dominates it (p10: the fastest tenth of the samples).")
    if svg:
        labels = [label.split(" (")[0] for _, label in WORKLOADS]
        series = []
        for h in harts:
            values = []
            for workload, _ in WORKLOADS:
                f = figures.get((workload, h))
                values.append(float(f["median_ns"]) if f and "median_ns" in f else None)
            series.append((f"{h} hart{'s' if h > 1 else ''}", values))
        chart.bar_chart(svg, "Kernel executor under QEMU (guest time)",
                        "ns per operation, median (lower is better)", labels, series, log=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
