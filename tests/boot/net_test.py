#!/usr/bin/env python3
"""The network end to end: Warden in QEMU with a virtio network device on QEMU's user network
(the guest gets 10.0.2.15 by DHCP; the host's loopback is 10.0.2.2 from the guest; forwarded
host ports reach the guest). Every address is on this machine.

usage: net_test.py --kernel ELF --initrd CPIO [--smp N] [--filter NAME]

Checks:
  kernel     the kernel's net.* tests with a network device and a TCP echo server on the host's
             loopback (net_echo_port=PORT): the address by DHCP, a raw lwIP connection to the
             host that gets its bytes echoed, malformed frames dropped and counted; and a disk
             attached beside the network device (both virtio-mmio devices work together).
  static     net=10.0.2.15/24,10.0.2.2: the static address is taken and logged.
  none       net=none: the device is left alone, the kernel boots as without one.
  sockets    the kernel's socket.* tests (net::Socket over the stack's loopback, and the hostile
             program /hostile/socket_abuse.wasm), at --smp harts and at one.
Prints one line per check and `net tests: N passed, N failed`; exits 1 when any failed.
"""
import argparse
import os
import re
import socket
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools", "qemu"))
import qemu  # noqa: E402

ECHO_BYTES = 8192  # what the kernel's net.tcp_connects_to_the_host_... test sends


class EchoServer:
    """A TCP server on 127.0.0.1 (a free port): each connection's first ECHO_BYTES bytes are sent
    back, then the server closes it. Counts the connections served completely."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.served = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(30)
                got = 0
                try:
                    while got < ECHO_BYTES:
                        data = conn.recv(min(4096, ECHO_BYTES - got))
                        if not data:
                            break
                        conn.sendall(data)
                        got += len(data)
                except OSError:
                    continue
                if got == ECHO_BYTES:
                    self.served += 1

    def close(self):
        self.stop.set()
        self.sock.close()
        self.thread.join(timeout=5)


def expect(cond, what, output):
    if not cond:
        tail = "\n".join(output.splitlines()[-40:])
        raise AssertionError(f"{what}\n--- console (last lines) ---\n{tail}")


def check_kernel(args):
    server = EchoServer()
    disk = tempfile.NamedTemporaryFile(prefix="warden-net-disk-", delete=False)
    try:
        disk.truncate(16 << 20)
        disk.close()
        r = qemu.boot(args.kernel, smp=args.smp, mem="512M", timeout=180, initrd=args.initrd,
                      bootargs=f"test=net.* net_echo_port={server.port}", net=[],
                      disks=[disk.name])
    finally:
        server.close()
        os.unlink(disk.name)
    out = r.output
    expect(not r.timed_out and r.status == 0, f"kernel tests: {r.describe()}", out)
    expect(re.search(r"net: 10\.0\.2\.\d+/24 gateway 10\.0\.2\.2 \(DHCP\), MAC 52:54:00", out),
           "no DHCP address line in the boot log", out)
    expect("virtio-blk: disk 0: 16 MiB" in out, "the disk beside the network device is missing",
           out)
    lines = [l for l in out.splitlines() if l.startswith("ktest net.")]
    expect(lines and not any("skipped" in l or "FAILED" in l for l in lines),
           "a net.* test skipped or failed: " + "; ".join(lines), out)
    expect(server.served == 1, f"the echo server served {server.served} connections, not 1", out)
    summary = re.search(r"ktest: \d+ passed, 0 failed", out)
    return f"{len(lines)} kernel tests passed ({summary.group(0) if summary else ''})"


def check_static(args):
    r = qemu.boot(args.kernel, smp=1, mem="256M", timeout=120, initrd=args.initrd,
                  bootargs="test=net.frame_length_* net=10.0.2.15/24,10.0.2.2", net=[])
    out = r.output
    expect("net: 10.0.2.15/24 gateway 10.0.2.2 (static)" in out, "no static address line", out)
    expect(not r.timed_out and r.status == 0, f"{r.describe()}", out)
    return "net=10.0.2.15/24,10.0.2.2 taken"


def check_none(args):
    r = qemu.boot(args.kernel, smp=1, mem="256M", timeout=120, initrd=args.initrd,
                  bootargs="test=net.* net=none", net=[])
    out = r.output
    expect("net: off (net=none)" in out and "virtio-net:" not in out, "net=none not honoured",
           out)
    expect(not r.timed_out and r.status == 0, f"{r.describe()}", out)
    return "net=none leaves the device alone; the net.* tests that need it skip"


def check_sockets(args, smp):
    """The socket.* kernel tests (kernel/ktest/socket_test.cc): listeners and connections made
    in the kernel over the stack's loopback, at several harts and at one."""
    r = qemu.boot(args.kernel, smp=smp, mem="512M", timeout=300, initrd=args.initrd,
                  bootargs="test=socket.*", net=[])
    out = r.output
    expect(not r.timed_out and r.status == 0, f"socket tests at {smp} harts: {r.describe()}", out)
    lines = [l for l in out.splitlines() if l.startswith("ktest socket.")]
    expect(len(lines) >= 10 and not any("skipped" in l or "FAILED" in l for l in lines),
           "a socket.* test skipped or failed: " + "; ".join(lines), out)
    summary = re.search(r"ktest: \d+ passed, 0 failed", out)
    return f"{len(lines)} socket tests at {smp} harts ({summary.group(0) if summary else ''})"


CHECKS = {"kernel": check_kernel, "static": check_static, "none": check_none,
          "sockets": lambda args: check_sockets(args, args.smp),
          "sockets at one hart": lambda args: check_sockets(args, 1)}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kernel", required=True)
    p.add_argument("--initrd", required=True)
    p.add_argument("--smp", type=int, default=4)
    p.add_argument("--filter", default="")
    args = p.parse_args()
    passed = failed = 0
    for name, fn in CHECKS.items():
        if args.filter and args.filter not in name:
            continue
        try:
            print(f"net {name}: {fn(args)}", flush=True)
            passed += 1
        except AssertionError as e:
            print(f"net {name}: FAILED: {e}", flush=True)
            failed += 1
    print(f"net tests: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
