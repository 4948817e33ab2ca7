#!/usr/bin/env python3
"""Prints the executor benchmark's table (Warden beside Boost.Asio and tokio) and draws it.

Usage: executor_table.py [--svg OUT.svg] RESULTS.json...
  RESULTS: Google Benchmark JSON (bench_async --benchmark_out_format=json, Warden and Asio) and
  the same format from the tokio reference (tools/bench-async/tokio). Each figure is the median
  of every repetition found for it in all the files (./x bench executor runs the programs in
  turn, several rounds: interleaved repetitions). --svg also draws the table (tools/bench/chart.py).
"""
import json
import os
import re
import statistics
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
import chart  # noqa: E402  (tools/bench/chart.py)

WORKLOADS = [
    ("spawn_complete", "spawn+complete (from outside)"),
    ("spawn_complete_inside", "spawn+complete (from a task)"),
    ("chained_spawn", "chained spawn"),
    ("yield", "yield round trip"),
    ("ping_pong", "ping-pong round trip"),
]
SIDES = [("warden", "Warden"), ("asio", "Asio"), ("tokio", "tokio")]
GOAL_ASIO = 2.0  # issues 5 and 17: at least 2x Asio's throughput on spawn+complete
NOISY = 0.15  # a figure whose repetitions vary more than this (coefficient of variation) gets a *
NAME = re.compile(r"^(warden|asio|tokio)_(\w+)/workers:(\d+)/n:(\d+)")


def load(paths):
    """The context (references' names) and, per (side, workload, workers), the samples."""
    context, samples = {}, {}
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        context.update(data.get("context", {}))
        for run in data["benchmarks"]:
            match = NAME.match(run.get("run_name", run["name"]))
            if not match or "items_per_second" not in run or run.get("run_type") == "aggregate":
                continue
            key = (match.group(1), match.group(2), int(match.group(3)))
            samples.setdefault(key, []).append((1e9 / run["items_per_second"], int(match.group(4))))
    return context, samples


def figures(samples):
    """Per key: (median ns per op, n, coefficient of variation, repetitions)."""
    result = {}
    for key, runs in samples.items():
        ns = [t for t, _ in runs]
        cv = statistics.pstdev(ns) / statistics.mean(ns) if len(ns) > 1 else 0.0
        result[key] = (statistics.median(ns), runs[0][1], cv, len(ns))
    return result


def ratio(figure, warden):
    """Warden's throughput over the reference's: the reference's ns/op over Warden's."""
    return figure[0] / warden[0] if figure and warden else None


def rows_of(table):
    rows = []
    for workload, label in WORKLOADS:
        for workers in (1, 2):
            warden = table.get(("warden", workload, workers))
            if warden is None:
                continue
            asio = table.get(("asio", workload, workers))
            tokio = table.get(("tokio", workload, workers))
            rows.append((label, workers, warden, asio, tokio, ratio(asio, warden),
                         ratio(tokio, warden)))
    return rows


def print_table(rows):
    cell = lambda f: f"{f[0]:,.1f}{'*' if f[2] > NOISY else ' '}" if f else "- "
    times = lambda r: f"{r:.2f}x" if r is not None else "-"
    header = ("workload", "workers", "N", "Warden ns/op", "Asio ns/op", "tokio ns/op",
              "Warden/Asio", "Warden/tokio")
    table = [header] + [(label, str(workers), f"{warden[1]:,}", cell(warden), cell(asio),
                         cell(tokio), times(vs_asio), times(vs_tokio))
                        for label, workers, warden, asio, tokio, vs_asio, vs_tokio in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    line = lambda row: "  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i])
                                 for i, c in enumerate(row))
    print(line(table[0]))
    print("  ".join("-" * w for w in widths))
    for row in table[1:]:
        print(line(row))


def print_goals(rows, have_asio, have_tokio):
    if have_asio:
        for label, workers, warden, _, _, vs_asio, _ in rows:
            if label.startswith("spawn+complete") and vs_asio is not None:
                verdict = "met" if vs_asio >= GOAL_ASIO else "NOT met"
                print(f"Goal (issue 17), {label}, {warden[1]:,} tasks, {workers} worker(s): "
                      f"{vs_asio:.2f}x Asio's throughput, goal {GOAL_ASIO:.0f}x: {verdict}")
    if have_tokio:
        behind = [f"{label} ({workers})" for label, workers, _, _, _, _, vs_tokio in rows
                  if vs_tokio is not None and vs_tokio < 1.0]
        compared = sum(1 for row in rows if row[6] is not None)
        print(f"Goal (issue 17), no workload slower than tokio: "
              f"{compared - len(behind)} of {compared} figures met"
              + (f"; slower on: {', '.join(behind)}" if behind else ""))


def draw(path, rows, references):
    labels = [f"{label.replace(' round trip', '')}, {workers}w" for label, workers, *_ in rows]
    series = [("Warden", [row[2][0] for row in rows])]
    for index, name in ((3, "Boost.Asio"), (4, "tokio")):
        if any(row[index] for row in rows):
            series.append((name, [row[index][0] if row[index] else None for row in rows]))
    chart.bar_chart(path, f"Executor benchmark (host): Warden vs {references}",
                    "ns per operation, median (lower is better)", labels, series, log=True)


def main():
    args = sys.argv[1:]
    svg = None
    if args[:1] == ["--svg"]:
        svg, args = args[1], args[2:]
    context, samples = load(args)
    table = figures(samples)
    rows = rows_of(table)
    have = lambda side: any(key[0] == side for key in table)
    asio = context.get("asio_reference", "not installed")
    tokio = context.get("tokio_reference", "not run")
    repetitions = max((f[3] for f in table.values()), default=0)
    print(f"Executor benchmark: median of {repetitions} interleaved repetitions, ns per "
          f"operation, real time (references: {asio}; {tokio})")
    print_table(rows)
    print("Warden/Asio, Warden/tokio: Warden's throughput over the reference's (the reference's "
          "ns/op over Warden's): above 1 means Warden is faster.")
    if any(f[2] > NOISY for f in table.values()):
        print(f"* the repetitions of this figure vary by more than {NOISY:.0%} (coefficient of "
              f"variation): read it as a rough figure.")
    if not have("asio"):
        print("Boost.Asio not installed: reference skipped (apt-get install libboost-dev)")
    print_goals(rows, have("asio"), have("tokio"))
    if svg and rows:
        references = " and ".join(name for side, name in (("asio", "Boost.Asio"), ("tokio", "tokio"))
                                  if have(side)) or "no reference"
        draw(svg, rows, references)


if __name__ == "__main__":
    main()
