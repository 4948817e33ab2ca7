#!/usr/bin/env python3
"""The network end to end: Warden in QEMU with a virtio network device on QEMU's user network,
a host port forwarded to the guest's port 80. Everything talks only to this machine: the host's
clients reach the guest through the forward on 127.0.0.1, the guest reaches servers this test
runs on the host's loopback as 10.0.2.2 (QEMU's user-network gateway). Every step is bounded in
count and time.

usage: http_test.py --kernel ELF --initrd CPIO --www DIR [--smp N] [--filter NAME]

Checks:
  serve      the guest gets its address by DHCP; the shell starts `listen *:80 httpd /www`; the
             host's curl fetches a small file and a 1 MiB file byte-exact (by hash), a missing
             file gives 404, a malformed request 400; a guest program (nc) connects out to a TCP
             echo server on the host and gets its bytes back.
  load       10,000 requests on 32 concurrent keep-alive connections (ab -k, through Pacer:
             see there) against httpd in Warden: 0 failed,
             httpd and the shell still answer afterwards, and once httpd is gone the open
             handles, the sockets and the free frames are back to their level before it started.
  kill       killing httpd with connections open (idle, mid-request and mid-response) frees every
             socket; a client that disconnects mid-response does not disturb a transfer beside it;
             1,000 connections opened and dropped at once leave httpd serving.
  boot_arg   the boot argument listen=*:80 hands the first program (httpd) its listener.
Prints one line per check and `net tests: N passed, N failed`; exits 1 when any failed.
"""
import argparse
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools", "qemu"))
import qemu  # noqa: E402

PROMPT = re.escape("$ ")


class Guest:
    """Warden in QEMU with the user network and host port `port` forwarded to guest port 80.
    The console is read by a thread; `expect` waits for a pattern printed after the last match."""

    def __init__(self, args, bootargs, guest_port=80):
        self.port = qemu.free_port()
        extra = []
        if os.environ.get("WARDEN_NET_DUMP"):  # a pcap of the guest's traffic, for debugging
            extra += ["-object", f"filter-dump,id=f0,netdev=n0,file={os.environ['WARDEN_NET_DUMP']}"]
        cmd = qemu.command(args.kernel, smp=args.smp, mem="512M", bootargs=bootargs,
                           initrd=args.initrd, extra=extra, net=[(self.port, guest_port)])
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.out = ""
        self.mark = 0
        self.lock = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        fd = self.proc.stdout.fileno()
        held = b""  # a trailing "\r" or part of a UTF-8 sequence, kept for the next chunk
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            data, held = held + chunk, b""
            if data.endswith(b"\r"):
                data, held = data[:-1], b"\r"
            with self.lock:
                self.out += data.decode("utf-8", errors="replace").replace("\r\n", "\n")
                self.lock.notify_all()
        with self.lock:
            self.lock.notify_all()

    def expect(self, pattern, timeout=60, what=None):
        """Waits for `pattern` (a regex) in what the console printed since the last match."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern, re.M)
        with self.lock:
            while True:
                m = rx.search(self.out, self.mark)
                if m:
                    self.mark = m.end()
                    return m
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None and not self.reader.is_alive():
                    raise AssertionError(f"expected {what or repr(pattern)} on the console"
                                         f"{' (QEMU ended)' if self.proc.poll() is not None else ''}"
                                         f"\n    last console lines:\n{self.tail()}")
                self.lock.wait(min(left, 0.5))

    def tail(self, n=30):
        return "\n".join(self.out.strip().splitlines()[-n:])

    def type(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def run(self, command, timeout=60):
        """Types a shell command and waits for it to end (its output is what it printed)."""
        token = f"done-{time.monotonic_ns()}"
        self.type(f"{command}; echo {token} $?\n")
        m = self.expect(rf"^{token} (\d+)$", timeout, f"`{command}` to end")
        start = self.out.rfind(command, 0, m.start())
        return self.out[start + len(command):m.start()], int(m.group(1))

    def stats(self):
        text, _ = self.run("stats")
        frames = re.search(r"memory: (\d+) of \d+ frames free", text)
        heap = re.search(r"heap: (\d+) KiB in use", text)
        handles = re.search(r"handles: (\d+) open, (\d+) objects \((\d+) sockets\)", text)
        if frames is None or handles is None or heap is None:
            raise AssertionError(f"expected the stats to show frames, heap and handles:\n{text}")
        return {"frames": int(frames.group(1)), "heap": int(heap.group(1)),
                "handles": int(handles.group(1)),
                "sockets": int(handles.group(3))}

    def close(self):
        if self.proc.poll() is None:
            try:
                self.type("exit\n")
                self.proc.wait(timeout=20)
            except (subprocess.TimeoutExpired, BrokenPipeError, OSError):
                pass
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 9)
            self.proc.wait()
        self.reader.join(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def expect(cond, what, guest=None):
    if not cond:
        raise AssertionError(what + ("" if guest is None else
                                     f"\n    last console lines:\n{guest.tail()}"))


def curl_get(port, path, timeout=120):
    """(status, body) of GET path from the guest's server through the forward, by the host's
    curl."""
    r = subprocess.run(["curl", "-s", "-S", "--max-time", str(timeout), "-o", "-", "-w",
                        "\n%{http_code}", f"http://127.0.0.1:{port}{path}"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout + 10)
    body, _, code = r.stdout.rpartition(b"\n")
    if r.returncode != 0:
        raise AssertionError(f"curl {path} exited {r.returncode}: {r.stderr.decode()[:200]}")
    return int(code), body


def http_get(port, path, timeout=30):
    """(status, body) of GET path from the guest's server through the forward."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def raw_request(port, data, timeout=20):
    """Sends `data` on a new connection and returns everything until the server closes or the
    first response ends (its headers' Content-Length)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        got = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return got
            got += chunk
            head, sep, body = got.partition(b"\r\n\r\n")
            m = re.search(rb"content-length: *(\d+)", head, re.I)
            if sep and m and len(body) >= int(m.group(1)):
                return got


def wait_serving(guest, port, timeout=60):
    """Until httpd answers through the forward (the guest may still be loading it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status, _ = http_get(port, "/index.html", timeout=5)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"expected httpd to answer on 127.0.0.1:{port}\n{guest.tail()}")


def start_httpd(guest):
    """Starts httpd in the background from the shell (which has printed its first prompt)."""
    guest.type("listen *:80 httpd -q /www &\n")
    wait_serving(guest, guest.port)


class Pacer:
    """A relay on 127.0.0.1 in front of the guest's forwarded port that makes its connections to
    the forward one at a time, a little apart. QEMU's user network listens for a forwarded port
    with a backlog of 1 (libslirp's tcpx_listen): a client that opens 32 connections at once
    overflows it, and the host's kernel then leaves some of them half made (the client thinks
    it is connected, the guest never sees the connection) until the client times out. The
    relay keeps that limit of the test's plumbing out of what the test measures."""

    def __init__(self, port, spacing=0.05):
        self.port, self.spacing = port, spacing
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(128)
        self.local_port = self.server.getsockname()[1]
        self.connect_lock = threading.Lock()
        self.closing = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closing:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client):
        with self.connect_lock:
            try:
                upstream = socket.create_connection(("127.0.0.1", self.port), timeout=30)
            except OSError:
                client.close()
                return
            time.sleep(self.spacing)
        upstream.settimeout(None)

        def pump(a, b):
            try:
                while True:
                    data = a.recv(65536)
                    if not data:
                        break
                    b.sendall(data)
            except OSError:
                pass
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_WR if s is b else socket.SHUT_RD)
                except OSError:
                    pass
        t = threading.Thread(target=pump, args=(upstream, client), daemon=True)
        t.start()
        pump(client, upstream)
        t.join(timeout=120)
        client.close()
        upstream.close()

    def close(self):
        self.closing = True
        self.server.close()


def kill_httpd(guest):
    """Ends the one httpd running (and its `listen`), and waits for them."""
    ps, _ = guest.run("ps")
    pids = re.findall(r"^\s*(\d+)\s+\d+\s+\S+.*\shttpd\s*$", ps, re.M)
    expect(len(pids) == 1, f"expected one httpd in ps:\n{ps}", guest)
    guest.run(f"kill {pids[0]}; wait")


def warm_stats(guest):
    """The stats once httpd and listen have run once (their modules stay cached)."""
    start_httpd(guest)
    kill_httpd(guest)
    return guest.stats()


def echo_server():
    """A TCP echo server on the host's loopback, one connection at a time, for a bounded time."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    srv.settimeout(60)

    def serve():
        try:
            conn, _ = srv.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(30)
            try:
                while True:
                    data = conn.recv(65536)
                    if not data:
                        break
                    conn.sendall(data)
            except OSError:
                pass
        srv.close()
    threading.Thread(target=serve, daemon=True).start()
    return srv.getsockname()[1]


def check_serve(args):
    with Guest(args, "init=/bin/sh.wasm") as g:
        m = g.expect(r"^.*net: (\d+\.\d+\.\d+\.\d+)/(\d+) gateway (\S+) \(DHCP\).*$", 60,
                     "`net: ADDRESS/BITS gateway GATEWAY (DHCP)`")
        address, gateway = m.group(1), m.group(3)
        expect(address.startswith("10.0.2.") and gateway == "10.0.2.2",
               f"expected an address in 10.0.2.0/24 with gateway 10.0.2.2, got {m.group(0)}")
        g.expect(PROMPT, 60, "the shell's prompt")
        start_httpd(g)
        small = open(os.path.join(args.www, "index.html"), "rb").read()
        status, body = curl_get(g.port, "/index.html")
        expect(status == 200 and body == small, f"expected index.html byte-exact, got {status}")
        big = open(os.path.join(args.www, "big.bin"), "rb").read()
        status, body = curl_get(g.port, "/big.bin", timeout=120)
        want, got = hashlib.sha256(big).hexdigest(), hashlib.sha256(body).hexdigest()
        expect(status == 200 and got == want,
               f"expected big.bin ({len(big)} bytes, sha256 {want[:16]}), got {status}, "
               f"{len(body)} bytes, sha256 {got[:16]}")
        status, _ = curl_get(g.port, "/no-such-file")
        expect(status == 404, f"expected 404 for a missing file, got {status}")
        bad = raw_request(g.port, b"NONSENSE\r\n\r\n")
        expect(bad.startswith(b"HTTP/1.1 400"), f"expected 400 for a malformed request: {bad[:60]}")
        echo_port = echo_server()
        text, status = g.run(f"echo hello-from-warden | nc 10.0.2.2:{echo_port}")
        expect(status == 0 and "hello-from-warden" in text,
               f"expected nc to get its bytes back from the host's echo server (status {status})",
               g)
        return (f"DHCP gave {address}/{m.group(2)} gateway {gateway}; curl fetched index.html "
                f"({len(small)} bytes) and big.bin ({len(big)} bytes, sha256 {want[:16]}...) "
                f"byte-exact, 404 and 400 as expected; nc echoed through 10.0.2.2:{echo_port}")


def check_load(args):
    with Guest(args, "init=/bin/sh.wasm") as g:
        g.expect(PROMPT, 60, "the shell's prompt")
        before = warm_stats(g)
        start_httpd(g)
        pacer = Pacer(g.port)
        # Keep-alive (-k): 32 connections carry the 10,000 requests (the churn of new
        # connections is the `kill` check's 1,000).
        r = subprocess.run(["ab", "-q", "-k", "-n", "10000", "-c", "32", "-s", "60",
                            f"http://127.0.0.1:{pacer.local_port}/index.html"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
        pacer.close()
        complete = re.search(r"^Complete requests:\s+(\d+)", r.stdout, re.M)
        failed = re.search(r"^Failed requests:\s+(\d+)", r.stdout, re.M)
        non2xx = re.search(r"^Non-2xx responses:\s+(\d+)", r.stdout, re.M)
        rate = re.search(r"^Requests per second:\s+([\d.]+)", r.stdout, re.M)
        expect(r.returncode == 0 and complete and complete.group(1) == "10000" and failed
               and failed.group(1) == "0" and non2xx is None,
               f"expected ab to complete 10000 requests, 0 failed:\n{r.stdout[-1500:]}", g)
        status, _ = http_get(g.port, "/index.html")
        expect(status == 200, "expected httpd to answer after the load")
        kill_httpd(g)
        after = g.stats()
        expect(after["handles"] == before["handles"] and after["sockets"] == before["sockets"],
               f"expected the handles and sockets back to their level: before {before}, "
               f"after {after}", g)
        expect(after["heap"] <= before["heap"] + 16,
               f"expected the kernel heap in use back to its level (within 16 KiB): "
               f"before {before}, after {after}", g)
        expect(after["frames"] >= before["frames"] - args.frame_slack,
               f"expected the free frames back to their level (within {args.frame_slack}, what "
               f"the kernel heap keeps for reuse): before {before}, after {after}", g)
        return (f"ab -k: 10000 requests on 32 connections, 0 failed ({rate.group(1)} requests/s); "
                f"httpd answered afterwards; after it ended: handles {after['handles']} "
                f"(before {before['handles']}), sockets {after['sockets']} (before "
                f"{before['sockets']}), heap {after['heap']} KiB (before {before['heap']}), free "
                f"frames {after['frames']} (before {before['frames']})")


def check_kill(args):
    with Guest(args, "init=/bin/sh.wasm") as g:
        g.expect(PROMPT, 60, "the shell's prompt")
        before = warm_stats(g)
        start_httpd(g)
        # A client that reads 64 KiB of the 1 MiB file and goes, while another fetches it whole.
        big = open(os.path.join(args.www, "big.bin"), "rb").read()
        result = {}

        def whole():
            result["whole"] = http_get(g.port, "/big.bin", timeout=120)
        t = threading.Thread(target=whole)
        t.start()
        for _ in range(3):
            with socket.create_connection(("127.0.0.1", g.port), timeout=20) as s:
                s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
                got = 0
                while got < 65536:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    got += len(chunk)
        t.join(timeout=150)
        status, body = result.get("whole", (None, b""))
        expect(status == 200 and body == big,
               "expected the whole transfer to finish byte-exact beside clients that left early",
               g)
        # 1,000 connections opened and dropped (half of them with half a request), from 8
        # threads at once.
        def drop(first):
            for i in range(first, 1000, 8):
                try:
                    with socket.create_connection(("127.0.0.1", g.port), timeout=10) as s:
                        if i % 2:
                            s.sendall(b"GET /index")
                except OSError:
                    pass
        droppers = [threading.Thread(target=drop, args=(k,)) for k in range(8)]
        for t in droppers:
            t.start()
        for t in droppers:
            t.join(timeout=300)
        wait_serving(g, g.port, timeout=120)
        # Connections open at the kill: idle, mid-request, mid-response.
        held = []
        for data in (b"", b"GET /index.ht", b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n"):
            s = socket.create_connection(("127.0.0.1", g.port), timeout=20)
            if data:
                s.sendall(data)
            held.append(s)
        time.sleep(1)
        kill_httpd(g)
        for s in held:
            s.close()
        after = g.stats()
        expect(after["sockets"] == before["sockets"] and after["handles"] == before["handles"],
               f"expected every socket freed after the kill: before {before}, after {after}", g)
        return (f"3 clients left mid-response while a 1 MiB transfer beside them finished "
                f"byte-exact; 1,000 connections opened and dropped, httpd still served; killed "
                f"with 3 connections open: sockets {after['sockets']} (before "
                f"{before['sockets']}), handles {after['handles']} (before {before['handles']})")


def check_boot_arg(args):
    with Guest(args, "listen=*:80 init=/bin/httpd.wasm -- /www") as g:
        g.expect(r"listening on \*:80", 60, "`listening on *:80` in the log")
        wait_serving(g, g.port)
        status, body = http_get(g.port, "/index.html")
        small = open(os.path.join(args.www, "index.html"), "rb").read()
        expect(status == 200 and body == small, "expected index.html from the boot's httpd")
        return "listen=*:80 init=/bin/httpd.wasm: httpd served index.html"


CHECKS = {"serve": check_serve, "load": check_load, "kill": check_kill,
          "boot_arg": check_boot_arg}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kernel", required=True)
    p.add_argument("--initrd", required=True)
    p.add_argument("--www", required=True, help="the host copy of the guest's /www")
    p.add_argument("--smp", type=int, default=2)
    p.add_argument("--frame-slack", type=int, default=64,
                   help="free frames the kernel heap may keep for reuse after httpd ends")
    p.add_argument("--filter", default="")
    args = p.parse_args()
    if shutil.which("ab") is None:
        print("net tests: `ab` (apache2-utils) is missing: run ./x setup")
        sys.exit(1)
    passed = failed = 0
    for name, fn in CHECKS.items():
        if args.filter and args.filter not in name:
            continue
        try:
            print(f"net {name}: {fn(args)}", flush=True)
            passed += 1
        except (AssertionError, OSError, subprocess.TimeoutExpired) as e:
            print(f"net {name}: FAILED: {e}", flush=True)
            failed += 1
    print(f"net tests: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
