#!/usr/bin/env python3
"""./x bench net: HTTP requests per second and latency percentiles (Apache's ab -k) for a small and a
1 MiB response from httpd in Warden in QEMU (1 and 4 harts) and from the same httpd.wasm on the
hosted runner (`./x wasm --tcplisten`), in the same run; and the TCP throughput of bulk transfers
out of Warden (1 MiB responses fetched one after another). Talks only to 127.0.0.1.

usage: net.py --kernel ELF --initrd CPIO --www DIR --runner WASM_RUNNER --httpd HTTPD_WASM
              [--requests N] [--out DIR]
Prints a table and writes build/bench/net.svg (tools/bench/chart.py).
"""
import argparse
import os
import re
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "boot"))
sys.path.insert(0, HERE)
import http_test as net_test  # noqa: E402
import chart  # noqa: E402


def ab(port, path, requests, concurrency):
    r = subprocess.run(["ab", "-q", "-k", "-n", str(requests), "-c", str(concurrency), "-s", "60",
                        f"http://127.0.0.1:{port}{path}"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900)
    rate = re.search(r"^Requests per second:\s+([\d.]+)", r.stdout, re.M)
    failed = re.search(r"^Failed requests:\s+(\d+)", r.stdout, re.M)
    pct = dict(re.findall(r"^\s+(\d+)%\s+(\d+)", r.stdout, re.M))
    if r.returncode != 0 or rate is None:
        raise RuntimeError(f"ab failed:\n{r.stdout[-800:]}")
    return {"rps": float(rate.group(1)), "failed": int(failed.group(1)) if failed else -1,
            "p50": int(pct.get("50", -1)), "p99": int(pct.get("99", -1))}


def bulk(port, path, count):
    """MiB/s of `count` sequential fetches of `path`."""
    total = 0
    start = time.monotonic()
    for _ in range(count):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=120) as r:
            total += len(r.read())
    return total / (time.monotonic() - start) / (1 << 20)


def measure(port, requests):
    small = ab(port, "/index.html", requests, 32)
    large = ab(port, "/big.bin", max(requests // 20, 50), 8)
    return small, large, bulk(port, "/big.bin", 8)


def warden(args, smp):
    args.smp = smp
    with net_test.Guest(args, "init=/bin/sh.wasm") as g:
        g.expect(net_test.PROMPT, 60, "the shell's prompt")
        net_test.start_httpd(g)
        # Through the test's relay: QEMU's forward takes one new connection at a time.
        pacer = net_test.Pacer(g.port)
        try:
            return measure(pacer.local_port, args.requests)
        finally:
            pacer.close()


def hosted(args):
    port = net_test.qemu.free_port()
    proc = subprocess.Popen([args.runner, args.httpd, "--dir", f"{args.www}::/www",
                             "--tcplisten", f"127.0.0.1:{port}", "--", "-q", "/www"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=5).read()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the hosted httpd did not answer")
                time.sleep(0.2)
        return measure(port, args.requests)
    finally:
        proc.kill()
        proc.wait()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kernel", required=True)
    p.add_argument("--initrd", required=True)
    p.add_argument("--www", required=True)
    p.add_argument("--runner", required=True)
    p.add_argument("--httpd", required=True)
    p.add_argument("--requests", type=int, default=5000)
    p.add_argument("--out", default="build/bench")
    args = p.parse_args()
    rows = []
    for name, fn in (("Warden, 1 hart", lambda: warden(args, 1)),
                     ("Warden, 4 harts", lambda: warden(args, 4)),
                     ("hosted runner (Linux)", lambda: hosted(args))):
        small, large, mib_s = fn()
        rows.append((name, small, large, mib_s))
    print(f"{'':24} {'small req/s':>12} {'p50 ms':>7} {'p99 ms':>7} {'1 MiB req/s':>12} "
          f"{'p50 ms':>7} {'p99 ms':>7} {'bulk MiB/s':>11}")
    for name, s, l, m in rows:
        print(f"{name:24} {s['rps']:12.0f} {s['p50']:7} {s['p99']:7} {l['rps']:12.1f} "
              f"{l['p50']:7} {l['p99']:7} {m:11.1f}")
    os.makedirs(args.out, exist_ok=True)
    labels = ["small req/s", "1 MiB req/s", "bulk MiB/s"]
    series = [(name, [s["rps"], l["rps"], m]) for name, s, l, m in rows]
    path = os.path.join(args.out, "net.svg")
    if chart.bar_chart(path, "httpd: Warden in QEMU vs the hosted runner", "per second", labels,
                       series, log=True):
        print(f"chart: {path}")


if __name__ == "__main__":
    main()
