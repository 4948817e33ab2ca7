#!/usr/bin/env python3
"""Boot the Warden kernel in QEMU (riscv64 `virt`, OpenSBI).

As a program: interactive (`./x run`), with a gdb stub (`./x debug`), or as a test run that
captures the console, always under a time limit. As a module: `boot(...)` returns a BootResult
for the test suites.

QEMU's exit status in a test run comes from the kernel through the sifive,test device:
0 = the kernel said success, 1 = tests failed, 2 = kernel panic. A run that reaches the time limit
is killed and reported as `timed_out` (never as a pass).
"""
import argparse
import dataclasses
import os
import select
import signal
import socket
import subprocess
import sys
import time

QEMU = "qemu-system-riscv64"


def disk_args(disks):
    """QEMU arguments attaching each disk image (raw) as a virtio block device. A disk is a path,
    or (path, readonly). The modern virtio-mmio interface (version 2) is what the kernel drives:
    QEMU 7.2 gives the legacy one unless told otherwise."""
    args = ["-global", "virtio-mmio.force-legacy=false"]
    for i, disk in enumerate(disks):
        path, readonly = (disk, False) if isinstance(disk, str) else disk
        args += ["-drive", f"file={path},format=raw,if=none,id=disk{i}"
                 + (",readonly=on" if readonly else ""),
                 "-device", f"virtio-blk-device,drive=disk{i}"]
    return args


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def resolve_forwards(forwards):
    """[(host_port, guest_port)] with each host port 0 replaced by a free one."""
    return [(host or free_port(), guest) for host, guest in forwards]


def net_args(forwards):
    """QEMU arguments attaching a virtio network device on QEMU's user network (the guest is
    10.0.2.15 by DHCP, the host's loopback is reached as 10.0.2.2), with each (host_port,
    guest_port) forwarded from 127.0.0.1:host_port to the guest (host ports resolved already)."""
    netdev = "user,id=n0" + "".join(f",hostfwd=tcp:127.0.0.1:{h}-:{g}" for h, g in forwards)
    return ["-netdev", netdev, "-device", "virtio-net-device,netdev=n0"]


def command(kernel, smp=4, mem="512M", bootargs="", initrd=None, gdb=False, extra=(), disks=(),
            net=None):
    """`net`: None for no network device, else a list of (host_port, guest_port) forwards
    (resolved: see resolve_forwards), possibly empty."""
    cmd = [QEMU, "-machine", "virt", "-bios", "default", "-kernel", kernel,
           "-smp", str(smp), "-m", str(mem), "-nographic", "-no-reboot"] + disk_args(disks)
    if net is not None:
        cmd += net_args(net)
    if bootargs:
        cmd += ["-append", bootargs]
    if initrd:
        cmd += ["-initrd", initrd]
    if gdb:
        cmd += ["-s", "-S"]
    cmd += list(extra)
    return cmd


@dataclasses.dataclass
class BootResult:
    status: int          # QEMU's exit status (meaningless when timed_out)
    output: str          # everything the console printed
    timed_out: bool
    seconds: float

    def describe(self):
        return "timed out" if self.timed_out else f"exit status {self.status}"


def boot(kernel, smp=4, mem="512M", bootargs="", timeout=60.0, initrd=None, script=(),
         extra=(), disks=(), net=None):
    """Boots once and returns what happened. Never waits longer than `timeout` seconds.

    `script` is a list of (prompt, text): each text is typed on the serial console once the
    console has printed its prompt since the previous step (input sent before the guest's UART
    is ready would be lost, as on a real serial line). `text` may be a function of the QEMU
    process (and, if it takes two arguments, of the output so far) returning the text, for
    checks made while the guest runs and answers that depend on what the guest printed.
    `disks`: image files attached as virtio block devices (see disk_args). `net`: None, or the
    (host_port, guest_port) forwards of a user-network device (resolved; see net_args).
    """
    cmd = command(kernel, smp, mem, bootargs, initrd, extra=extra, disks=disks, net=net)
    start = time.monotonic()
    deadline = start + timeout
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if script else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        out = bytearray()
        steps = [(p.encode(), t if callable(t) else t.encode()) for p, t in script]
        searched_from = 0
        timed_out = False
        fd = proc.stdout.fileno()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)
                break
            ready, _, _ = select.select([fd], [], [], min(left, 0.5))
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                out += chunk
            while steps and out.find(steps[0][0], searched_from) >= 0:
                found = out.find(steps[0][0], searched_from)
                searched_from = found + len(steps[0][0])
                text = steps[0][1]
                if callable(text):
                    if text.__code__.co_argcount >= 2:
                        text = text(proc, out.decode("utf-8", errors="replace")).encode()
                    else:
                        text = text(proc).encode()
                try:
                    proc.stdin.write(text)
                    proc.stdin.flush()
                except BrokenPipeError:
                    pass
                steps.pop(0)
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)  # an error above must not leave QEMU running
        raise
    proc.wait()
    text = out.decode("utf-8", errors="replace").replace("\r\n", "\n")
    return BootResult(proc.returncode, text, timed_out, time.monotonic() - start)


def cpu_seconds(pid):
    """User + system CPU time a process has used so far (from /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kernel", required=True)
    p.add_argument("--smp", default=4, type=int)
    p.add_argument("--mem", default="512M")
    p.add_argument("--initrd")
    p.add_argument("--interactive", action="store_true", help="serial console on this terminal")
    p.add_argument("--gdb", action="store_true", help="halt at reset with a gdb stub on :1234")
    p.add_argument("--log", help="with --gdb: console output to this file")
    p.add_argument("--timeout", type=float, default=120.0, help="test runs: seconds before kill")
    p.add_argument("--disk", action="append", default=[],
                   help="attach a raw disk image as a virtio block device (repeatable)")
    p.add_argument("--disk-ro", action="append", default=[],
                   help="attach a raw disk image read-only (after the --disk ones)")
    p.add_argument("--net", action="store_true",
                   help="attach a virtio network device on QEMU's user network")
    p.add_argument("--forward", action="append", default=[], metavar="HOSTPORT:GUESTPORT",
                   help="with --net: forward 127.0.0.1:HOSTPORT to the guest's GUESTPORT "
                        "(HOSTPORT 0: a free port, printed; repeatable)")
    p.add_argument("bootargs", nargs="*")
    a = p.parse_args()
    bootargs = " ".join(a.bootargs)
    disks = list(a.disk) + [(d, True) for d in a.disk_ro]
    net = None
    if a.net or a.forward:
        try:
            net = resolve_forwards([tuple(int(x) for x in f.split(":")) for f in a.forward])
        except ValueError:
            p.error("--forward takes HOSTPORT:GUESTPORT (numbers)")
        for host, guest in net:
            print(f"qemu.py: forwarding 127.0.0.1:{host} to guest port {guest}"
                  + (f": http://127.0.0.1:{host}/" if guest == 80 else ""), flush=True)
    if a.interactive:
        os.execvp(QEMU, command(a.kernel, a.smp, a.mem, bootargs, a.initrd, disks=disks, net=net))
    if a.gdb:
        cmd = command(a.kernel, a.smp, a.mem, bootargs, a.initrd, gdb=True, disks=disks, net=net)
        # -nographic would fight gdb for the terminal: console to a file instead.
        cmd = [c for c in cmd if c != "-nographic"] + ["-display", "none", "-serial",
                                                        f"file:{a.log or '/dev/null'}"]
        os.execvp(QEMU, cmd)
    r = boot(a.kernel, a.smp, a.mem, bootargs, a.timeout, a.initrd, disks=disks, net=net)
    sys.stdout.write(r.output)
    if r.timed_out:
        print(f"\nqemu.py: timed out after {a.timeout:.0f} s", file=sys.stderr)
        sys.exit(124)
    sys.exit(r.status)


if __name__ == "__main__":
    main()
