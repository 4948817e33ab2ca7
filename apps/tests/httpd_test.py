#!/usr/bin/env python3
"""Host test of apps/src/httpd.c on the hosted runner: `wasm-run --tcplisten 127.0.0.1:0` serves a
scratch folder, and curl and raw sockets (127.0.0.1 only) check what it answers: files byte-exact
(a 1 MiB one by hash), 404, 400, 403, 405, 414, 431, HEAD, keep-alive (two requests on one
connection), HTTP/1.0 closing, 50 clients at once, a client that disconnects mid-response while
others go on, a 503 beyond 64 connections, and that it still answers after all that. Every wait is bounded. Run by `./x test`
(tier 40_apps, tools/x.d/apps.sh).

usage: httpd_test.py WASM_RUN BIN_DIR      (BIN_DIR: build/apps/bin)
"""
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

TIMEOUT = 20  # seconds, for any one client

checks = 0
failures = 0


def check(what, ok, detail=""):
    global checks, failures
    checks += 1
    if not ok:
        failures += 1
        print(f"FAIL {what}" + (f": {detail}" if detail else ""))


def start(run, binary, www, log):
    err = open(log + ".err", "w+")
    proc = subprocess.Popen(
        [run, binary, "--dir", f"{www}::/www", "--tcplisten", "127.0.0.1:0", "--", "/www"],
        stdout=open(log, "w"), stderr=err)
    deadline = time.time() + 10
    while time.time() < deadline:
        err.seek(0)
        m = re.search(r"listening on 127\.0\.0\.1:(\d+)", err.read())
        if m:
            return proc, int(m.group(1))
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    err.seek(0)
    raise SystemExit(f"httpd did not start: {err.read()}")


def raw(port, data, read_all=True):
    """Sends `data` on a new connection; returns what comes back until the server closes (or the
    first response's worth when read_all is False and the server keeps the connection)."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s:
        s.sendall(data)
        got = b""
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            got += chunk
            if not read_all and b"\r\n\r\n" in got:
                head, _, body = got.partition(b"\r\n\r\n")
                m = re.search(rb"Content-Length: (\d+)", head)
                if m and len(body) >= int(m.group(1)):
                    break
        return got


def curl(*args):
    r = subprocess.run(["curl", "-s", "--max-time", str(TIMEOUT), *args],
                       capture_output=True, timeout=TIMEOUT + 5)
    return r


def status_of(response):
    m = re.match(rb"HTTP/1\.1 (\d{3}) ", response)
    return int(m.group(1)) if m else None


def main():
    run, bindir = sys.argv[1], sys.argv[2]
    if shutil.which("curl") is None:
        print("SKIPPED: curl not installed (./x setup installs it)")
        return 0
    scratch = tempfile.mkdtemp(prefix="warden-httpd-")
    www = os.path.join(scratch, "www")
    os.makedirs(os.path.join(www, "sub"))
    small = b"<h1>hello from httpd</h1>\n"
    big = os.urandom(1 << 20)
    for name, data in [("index.html", small), ("small.txt", b"small file\n"), ("big.bin", big),
                       ("sub/index.html", b"sub index\n")]:
        with open(os.path.join(www, name), "wb") as f:
            f.write(data)
    with open(os.path.join(scratch, "secret"), "wb") as f:
        f.write(b"outside\n")
    log = os.path.join(scratch, "log")
    proc, port = start(run, os.path.join(bindir, "httpd.wasm"), www, log)
    base = f"http://127.0.0.1:{port}"
    try:
        run_checks(port, base, small, big, proc)
    finally:
        proc.kill()
        proc.wait(timeout=10)
    with open(log) as f:
        lines = f.read().splitlines()
    check("log: one line per request", "GET /small.txt 200 11" in lines and
          "GET /nope.html 404 14" in lines and "HEAD /big.bin 200 0" in lines,
          repr(lines[:8]))
    shutil.rmtree(scratch)
    print(f"httpd: {checks} checks, {failures} failed")
    return 1 if failures else 0


def run_checks(port, base, small, big, proc):
    r = curl(base + "/")
    check("GET / is index.html", r.stdout == small, repr(r.stdout[:80]))
    r = curl(base + "/small.txt")
    check("GET a small file", r.stdout == b"small file\n", repr(r.stdout[:80]))
    r = curl(base + "/big.bin")
    check("GET a 1 MiB file byte-exact",
          hashlib.sha256(r.stdout).digest() == hashlib.sha256(big).digest(),
          f"{len(r.stdout)} bytes")
    r = curl("-o", "/dev/null", "-w", "%{http_code}", base + "/nope.html")
    check("a missing file is 404", r.stdout == b"404", r.stdout)
    r = curl(base + "/sub/")
    check("a folder's index.html", r.stdout == b"sub index\n", repr(r.stdout))
    r = curl("-I", base + "/big.bin")
    check("HEAD: headers, no body", b"200 OK" in r.stdout and
          b"Content-Length: 1048576" in r.stdout, repr(r.stdout))
    r = curl("-o", "/dev/null", "-w", "%{http_code}", "-X", "DELETE", base + "/small.txt")
    check("other methods are 405", r.stdout == b"405", r.stdout)
    # Two requests on one connection.
    r = curl("-v", base + "/small.txt", base + "/index.html")
    check("keep-alive: the second request reuses the connection",
          r.stdout == b"small file\n" + small and b"Re-using existing connection" in r.stderr,
          r.stderr.decode(errors="replace")[-300:])
    # Raw requests: malformed, climbing out, too long, HTTP/1.0.
    got = raw(port, b"GARBAGE\r\n\r\n")
    check("a malformed request is 400 and closes", status_of(got) == 400, repr(got[:60]))
    got = raw(port, b"GET /small.txt HTTP/1.1\r\n\r\n")
    check("HTTP/1.1 without Host is 400", status_of(got) == 400, repr(got[:60]))
    got = raw(port, b"GET /../secret HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    check("a path with .. is 403", status_of(got) == 403 and b"outside" not in got, repr(got[:60]))
    got = raw(port, b"GET /sub/%2e%2e/%2e%2e/secret HTTP/1.1\r\nHost: x\r\n"
              b"Connection: close\r\n\r\n")
    check("an escaped .. is 403", status_of(got) == 403 and b"outside" not in got, repr(got[:60]))
    got = raw(port, b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    check("a request line over 4 KiB is 414", status_of(got) == 414, repr(got[:60]))
    got = raw(port, b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Long: " + b"b" * 9000 + b"\r\n\r\n")
    check("a head over 8 KiB is 431", status_of(got) == 431, repr(got[:60]))
    got = raw(port, b"GET /small.txt HTTP/1.0\r\n\r\n")
    check("HTTP/1.0 gets its file and the connection closes",
          status_of(got) == 200 and got.endswith(b"\r\n\r\nsmall file\n"), repr(got[-60:]))
    got = raw(port, b"GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /index.html HTTP/1.1\r\n"
              b"Host: x\r\nConnection: close\r\n\r\n")
    check("pipelined requests are answered in order",
          got.count(b"HTTP/1.1 200 OK") == 2 and got.endswith(small), repr(got[-60:]))
    concurrent_clients(base, big)
    disconnect_mid_response(port, base, big)
    over_the_limit(port)
    r = curl(base + "/small.txt")
    check("it still answers afterwards", r.stdout == b"small file\n" and proc.poll() is None,
          repr(r.stdout))


def concurrent_clients(base, big):
    results = [None] * 50

    def client(i):
        url = base + ("/big.bin" if i % 10 == 0 else "/small.txt")
        r = curl(url)
        results[i] = r.stdout

    threads = [threading.Thread(target=client, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT + 10)
    good = sum(1 for i, out in enumerate(results)
               if out == (big if i % 10 == 0 else b"small file\n"))
    check("50 clients at once all get their file", good == 50, f"{good} of 50")


def disconnect_mid_response(port, base, big):
    result = {}

    def other():
        result["body"] = curl(base + "/big.bin").stdout

    t = threading.Thread(target=other)
    t.start()
    for _ in range(5):
        s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        s.recv(1000)
        # Reset, not just close: the server finds out mid-send.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()
    t.join(TIMEOUT + 10)
    check("a client that disconnects mid-response does not disturb another",
          result.get("body") == big, f"{len(result.get('body') or b'')} bytes")


def over_the_limit(port):
    """64 idle connections take every slot: a 65th is answered 503 and closed in order (its
    request read, not reset); once they go, requests are served again."""
    idle = [socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) for _ in range(64)]
    time.sleep(0.5)  # accepted
    try:
        got = raw(port, b"GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        check("beyond 64 connections a new one gets 503", status_of(got) == 503, repr(got[:60]))
    except ConnectionResetError:
        check("beyond 64 connections a new one gets 503", False, "reset")
    for s in idle:
        s.close()
    time.sleep(0.5)
    got = raw(port, b"GET /small.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    check("served again once they went", status_of(got) == 200, repr(got[:60]))


if __name__ == "__main__":
    sys.exit(main())
