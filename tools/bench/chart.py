#!/usr/bin/env python3
"""Draws a benchmark's table as an SVG bar chart (Debian python3-matplotlib), for ./x bench.

As a program: chart.py OUT.svg TITLE YLABEL [--log] < TABLE.tsv
  TABLE.tsv: a header line "label<TAB>series1<TAB>series2...", then one line per group of bars
  (its label, then one number per series, or "-" for none). Prints where the chart went.
As a module: bar_chart(path, title, ylabel, labels, series, log=False) with series a list of
  (name, [value or None per label]); returns False when matplotlib is absent.
Without matplotlib it prints one line saying the chart was skipped and why, and succeeds.
"""
import os
import sys

SKIPPED = ("x bench: chart skipped: python3-matplotlib is not installed "
           "(apt-get install python3-matplotlib)")


def bar_chart(path, title, ylabel, labels, series, log=False):
    try:
        import matplotlib
        matplotlib.use("agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(SKIPPED)
        return False
    count = max(len(series), 1)
    width = 0.8 / count
    figure, axes = plt.subplots(figsize=(max(6.0, 0.9 * len(labels) * max(1, count / 2)), 4.8))
    for i, (name, values) in enumerate(series):
        xs = [x + (i - (count - 1) / 2) * width for x in range(len(labels))]
        heights = [v if v is not None else 0.0 for v in values]
        bars = axes.bar(xs, heights, width, label=name)
        for bar, value in zip(bars, values):
            if value is not None:
                axes.annotate(f"{value:,.0f}" if value >= 100 else f"{value:.3g}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                              ha="center", va="bottom", fontsize=6, rotation=90,
                              xytext=(0, 2), textcoords="offset points")
    axes.set_xticks(range(len(labels)))
    axes.set_xticklabels(labels, rotation=30, ha="right", fontsize=8)
    axes.set_ylabel(ylabel)
    axes.set_title(title, fontsize=10)
    top = max((v for _, values in series for v in values if v is not None), default=1.0)
    if log:
        axes.set_yscale("log")
        axes.set_ylim(top=top * 3)  # room for the labels above the bars
    else:
        axes.set_ylim(top=top * 1.2)
    axes.legend(fontsize=8)
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    # A fixed hash salt and no date: the same figures give the same file.
    plt.rcParams["svg.hashsalt"] = "warden"
    if path.endswith(".svg"):
        figure.savefig(path, format="svg", metadata={"Date": None})
    else:  # another format by its extension (a .png to look at)
        figure.savefig(path, dpi=110)
    plt.close(figure)
    print(f"chart: {path}")
    return True


def number(cell):
    return None if cell.strip() in ("", "-") else float(cell)


def main():
    if len(sys.argv) < 4:
        sys.exit("usage: chart.py OUT.svg TITLE YLABEL [--log] < TABLE.tsv")
    path, title, ylabel = sys.argv[1:4]
    rows = [line.rstrip("\n").split("\t") for line in sys.stdin if line.strip()]
    if len(rows) < 2:
        sys.exit("chart.py: no rows")
    names = rows[0][1:]
    labels = [row[0] for row in rows[1:]]
    series = [(name, [number(row[i + 1]) if i + 1 < len(row) else None for row in rows[1:]])
              for i, name in enumerate(names)]
    bar_chart(path, title, ylabel, labels, series, log="--log" in sys.argv[4:])


if __name__ == "__main__":
    main()
