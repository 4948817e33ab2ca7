#!/usr/bin/env python3
"""Prints the executor benchmark's table (Warden beside Boost.Asio) from bench_async's JSON.

Usage: executor_table.py RESULTS.json   (bench_async --benchmark_out_format=json output, run with
--benchmark_repetitions; the median of the repetitions is used when present).
"""
import json
import re
import sys

WORKLOADS = [
    ("spawn_complete", "spawn+complete (from outside)"),
    ("spawn_complete_inside", "spawn+complete (from a task)"),
    ("chained_spawn", "chained spawn"),
    ("yield", "yield round trip"),
    ("ping_pong", "ping-pong round trip"),
]
GOAL = 2.0  # issue 5: at least 2x the reference's throughput on spawn+complete
NOISY = 0.15  # a figure whose repetitions vary more than this (coefficient of variation) gets a *
NAME = re.compile(r"^(warden|asio)_(\w+)/workers:(\d+)/n:(\d+)")


def load(path):
    with open(path) as f:
        data = json.load(f)
    figures = {}  # (side, workload, workers) -> (ns per op, n)
    spread = {}  # (side, workload, workers) -> coefficient of variation of the repetitions
    repetitions = {}
    for run in data["benchmarks"]:
        match = NAME.match(run.get("run_name", run["name"]))
        if not match or "items_per_second" not in run:
            continue
        side, workload, workers, n = match.group(1), match.group(2), int(match.group(3)), int(match.group(4))
        key = (side, workload, workers)
        if run.get("run_type") == "aggregate":
            if run.get("aggregate_name") == "median":
                figures[key] = (1e9 / run["items_per_second"], n)
            elif run.get("aggregate_name") == "cv":
                spread[key] = run["real_time"]
            continue
        else:
            repetitions.setdefault(key, []).append((1e9 / run["items_per_second"], n))
    for key, runs in repetitions.items():  # no aggregates (one repetition): take the median
        if key not in figures:
            runs.sort()
            figures[key] = runs[len(runs) // 2]
    return data.get("context", {}), figures, spread


def main():
    context, figures, spread = load(sys.argv[1])
    noisy = lambda key: spread.get(key, 0.0) > NOISY
    mark = lambda key: "*" if noisy(key) else " "
    reference = context.get("asio_reference", "not installed")
    have_asio = any(side == "asio" for side, _, _ in figures)
    rows = []
    for workload, label in WORKLOADS:
        for workers in (1, 2):
            warden = figures.get(("warden", workload, workers))
            if warden is None:
                continue
            asio = figures.get(("asio", workload, workers))
            ratio = asio[0] / warden[0] if asio else None
            rows.append((label, workers, warden[1], warden[0], asio[0] if asio else None, ratio,
                         mark(("warden", workload, workers)), mark(("asio", workload, workers))))

    header = ("workload", "workers", "N", "Warden ns/op", "Asio ns/op", "Asio/Warden")
    table = [header]
    for label, workers, n, warden, asio, ratio, warden_mark, asio_mark in rows:
        table.append((label, str(workers), f"{n:,}", f"{warden:.1f}{warden_mark}",
                      f"{asio:.1f}{asio_mark}" if asio is not None else "- ",
                      f"{ratio:.2f}x" if ratio is not None else "-"))
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    line = lambda row: "  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                                 for i, cell in enumerate(row))
    print(f"Executor benchmark: median of the repetitions, ns per operation, real time "
          f"(reference: {reference})")
    print(line(table[0]))
    print("  ".join("-" * w for w in widths))
    for row in table[1:]:
        print(line(row))
    print("Asio/Warden = Asio ns/op / Warden ns/op: above 1 means Warden is faster.")
    if any(noisy(key) for key in figures):
        print(f"* the repetitions of this figure vary by more than {NOISY:.0%} (coefficient of "
              f"variation): read it as a rough figure.")
    if not have_asio:
        print("Boost.Asio not installed: reference skipped (apt-get install libboost-dev)")
        return
    for label, workers, n, warden, asio, ratio, _, _ in rows:
        if label.startswith("spawn+complete (from outside)") and ratio is not None:
            verdict = "met" if ratio >= GOAL else "NOT met"
            print(f"Goal (issue 5), spawn+complete of {n:,} tasks, {workers} worker(s): "
                  f"{ratio:.2f}x the reference's throughput, goal {GOAL:.0f}x: {verdict}")


if __name__ == "__main__":
    main()
