#!/usr/bin/env python3
"""Kernel tests in QEMU: the in-kernel suite, banners across machine shapes, and the failure paths
(a failing test, a hang, a panic, an unhandled fault) that the harness must report.

usage: boot_test.py --kernel build/kernel/kernel/warden.elf [--filter SUBSTRING]
Prints one line per check and `boot tests: N passed, N failed`; exits 1 when any check failed.
"""
import argparse
import concurrent.futures
import os
import re
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools", "qemu"))
import qemu  # noqa: E402

SUMMARY = re.compile(r"^ktest: (\d+) passed, (\d+) failed(?:, \d+ skipped)?$", re.M)
BANNER = re.compile(r"Warden \S+ \(riscv64\) - (\d+) harts, boot hart (\d+), (\d+) MiB RAM, "
                    r"timebase (\d+) Hz")


class Check:
    def __init__(self, name, fn):
        self.name, self.fn = name, fn


def expect(cond, what, result):
    if not cond:
        lines = result.output.strip().splitlines()
        # What matters most first: a panic's reason and the test that was running.
        key = [l for l in lines if l.startswith("KERNEL PANIC") or " FAILED" in l]
        started = [l for l in lines if l.startswith("ktest ") and not l.endswith(" ok")]
        if started:
            key.append("last test started: " + started[-1])
        tail = "\n".join(lines[-25:])
        raise AssertionError(f"{what}\n    qemu: {result.describe()}, {result.seconds:.1f} s\n"
                             + "".join(f"    {l}\n" for l in key)
                             + f"    last console lines:\n{tail}")


DISK_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "build", "test-disks")
SCRATCH_BYTES = 16 << 20
READ_ONLY_SECTORS = 2048


def pattern_word(seed, sector, word):
    """kernel/ktest/disk_test.cc's pattern_word: what the disk tests write and expect."""
    m = 0xffffffff
    x = ((seed * 0x9e3779b9) ^ ((sector & m) * 0x85ebca6b) ^ (word * 0xc2b2ae35)) & m
    x ^= x >> 16
    x = (x * 0x7feb352d) & m
    return x ^ (x >> 15)


def pattern_sector(seed, sector):
    return struct.pack("<128I", *(pattern_word(seed, sector, w) for w in range(128)))


def scratch_disks():
    """A fresh writable image (16 MiB of zeros) and a read-only one (every sector pattern 3)
    under build/test-disks, for the disk tests; removed by the caller."""
    os.makedirs(DISK_DIR, exist_ok=True)
    fd, writable = tempfile.mkstemp(prefix="scratch-", suffix=".img", dir=DISK_DIR)
    os.ftruncate(fd, SCRATCH_BYTES)
    os.close(fd)
    fd, read_only = tempfile.mkstemp(prefix="readonly-", suffix=".img", dir=DISK_DIR)
    with os.fdopen(fd, "wb") as f:
        f.write(b"".join(pattern_sector(3, s) for s in range(READ_ONLY_SECTORS)))
    return writable, read_only


def remove_disks(disks):
    for path in disks:
        os.unlink(path)


def boot_with_disks(kernel, **kwargs):
    """qemu.boot with a fresh scratch writable disk and the read-only one."""
    writable, read_only = scratch_disks()
    try:
        return qemu.boot(kernel, disks=[writable, (read_only, True)], **kwargs)
    finally:
        remove_disks([writable, read_only])


def summary_of(result):
    m = SUMMARY.findall(result.output)
    return (int(m[-1][0]), int(m[-1][1])) if m else None


def check_full_suite(kernel):
    r = boot_with_disks(kernel, smp=4, mem="512M", bootargs="test=-programs.*", timeout=120)
    s = summary_of(r)
    expect(not r.timed_out and r.status == 0, "expected exit status 0 from the kernel suite", r)
    expect(s is not None and s[1] == 0 and s[0] >= 10,
           f"expected 'ktest: N passed, 0 failed' with N >= 10, got {s}", r)
    return re.findall(r"^ktest: .*$", r.output, re.M)[-1]


def check_every_test_at_one_hart(kernel, initrd):
    """What `./x run --smp 1 -- test` runs: every kernel test, programs and hostile ones too.
    Tests that need more harts say so and are skipped, as do the network tests (no network device
    here: tier 24_net runs them); nothing may fail."""
    r = boot_with_disks(kernel, smp=1, mem="512M", bootargs="test", timeout=600, initrd=initrd)
    m = re.findall(r"^ktest: (\d+) passed, (\d+) failed(?:, (\d+) skipped)?", r.output, re.M)
    expect(bool(m), "expected a ktest summary line", r)
    passed, failed, skipped = (int(x or 0) for x in m[-1])
    expect(not r.timed_out and r.status == 0 and failed == 0 and passed >= 40,
           f"expected every kernel test to pass at one hart, got {passed} passed, {failed} failed",
           r)
    needs_harts = re.findall(r"^ktest \S+ \.\.\. skipped: needs \d+ harts$", r.output, re.M)
    needs_net = re.findall(r"^ktest (?:net|socket)\.\S+ \.\.\. skipped: needs a network device",
                           r.output, re.M)
    expect(len(needs_harts) + len(needs_net) == skipped,
           "expected only tests that need more harts or a network device to be skipped at one "
           "hart", r)
    return f"ktest: {passed} passed, {failed} failed, {skipped} skipped (need more harts)"


def mib(mem):
    return int(mem[:-1]) * (1024 if mem.endswith("G") else 1)


def check_banner(kernel, smp, mem, hand_over_to=None):
    args = "test=machine.*" + (f" boothart={hand_over_to}" if hand_over_to is not None else "")
    r = qemu.boot(kernel, smp=smp, mem=mem, bootargs=args, timeout=120)
    m = BANNER.search(r.output)
    expect(m is not None, "expected the boot banner", r)
    harts, boot_hart, ram = int(m.group(1)), int(m.group(2)), int(m.group(3))
    expect(harts == smp, f"expected {smp} harts in the banner, got {harts}", r)
    expect(ram == mib(mem), f"expected {mib(mem)} MiB RAM in the banner, got {ram}", r)
    expect(0 <= boot_hart < smp, f"boot hart {boot_hart} outside 0..{smp - 1}", r)
    if hand_over_to is not None:
        expect(boot_hart == hand_over_to,
               f"expected the boot handed over to hart {hand_over_to}, banner says {boot_hart}", r)
    s = summary_of(r)
    expect(r.status == 0 and s is not None and s[1] == 0, "expected the machine tests to pass", r)
    expect("virtio-blk: no disk attached" in r.output
           and not re.search(r"virtio.*(error|legacy)", r.output),
           "expected a boot without a disk to say so, and no error", r)
    return f"{harts} harts, {ram} MiB, boot hart {boot_hart}"


def check_disks(kernel, smp):
    """The disk tests with a writable and a read-only disk; then the host reads the images:
    every sector the guest wrote holds its pattern, the read-only image is unchanged."""
    writable, read_only = scratch_disks()
    try:
        r = qemu.boot(kernel, smp=smp, mem="256M", bootargs="test=disk.*", timeout=180,
                      disks=[writable, (read_only, True)])
        m = re.findall(r"^ktest: (\d+) passed, (\d+) failed(?:, (\d+) skipped)?", r.output, re.M)
        expect(bool(m), "expected a ktest summary line", r)
        passed, failed, skipped = (int(x or 0) for x in m[-1])
        expect(r.status == 0 and failed == 0 and skipped == 0 and passed >= 5,
               "expected every disk test to pass, none skipped", r)
        found = re.findall(r"virtio-blk: disk \d+: .*", r.output)
        expect(len(found) == 2 and "read-only" in found[1] + found[0],
               "expected both disks logged, one read-only", r)
        with open(writable, "rb") as f:
            image = f.read()
        last = len(image) // 512 - 1
        # disk_test.cc: pattern 1 over 2048.. (several harts), 4 over 8192.. (one large
        # request), 5 over 10240.. (interrupts off), 2 in the last sector (past-the-end batch).
        regions = [(1, 2048, 4096), (4, 8192, 2048), (5, 10240, 8), (2, last, 1)]
        checked = 0
        for seed, base, count in regions:
            for sector in range(base, base + count):
                expect(image[sector * 512:(sector + 1) * 512] == pattern_sector(seed, sector),
                       f"host: sector {sector} of the image does not hold pattern {seed}", r)
                checked += 1
        with open(read_only, "rb") as f:
            expect(f.read() == b"".join(pattern_sector(3, s) for s in range(READ_ONLY_SECTORS)),
                   "host: the read-only image changed", r)
        stats = re.findall(r"disk: \d+ device requests[^\n]*", r.output)
        return (f"ktest: {passed} passed, {failed} failed; host: {checked} sectors hold what the "
                f"guest wrote, read-only image unchanged; {stats[-1] if stats else ''}")
    finally:
        remove_disks([writable, read_only])


def check_smp_suite(kernel, smp):
    r = qemu.boot(kernel, smp=smp, mem="256M", bootargs="test=smp.*", timeout=180)
    expect(f"smp: {smp} of {smp} harts online" in r.output, f"expected {smp} harts online", r)
    s = summary_of(r)
    expect(r.status == 0 and s is not None and s[1] == 0 and s[0] >= 1,
           f"expected the smp tests to pass, got {s}", r)
    return re.findall(r"^ktest: .*$", r.output, re.M)[-1]


def check_failing_test(kernel):
    r = qemu.boot(kernel, smp=1, mem="128M", bootargs="test=selftest.must_fail", timeout=60)
    expect(not r.timed_out and r.status == 1, "expected exit status 1 for a failing test", r)
    expect(summary_of(r) == (0, 1), f"expected 'ktest: 0 passed, 1 failed', got {summary_of(r)}", r)
    expect("expected 1 + 1 == 3: got 2 and 3" in r.output, "expected the failure to say what came", r)
    return "exit status 1, 0 passed, 1 failed"


def check_hang(kernel):
    r = qemu.boot(kernel, smp=1, mem="128M", bootargs="test=selftest.hang", timeout=6)
    expect(r.timed_out, "expected a hanging test to be stopped by the time limit", r)
    expect(summary_of(r) is None, "a hung run must not produce a summary", r)
    return f"stopped after {r.seconds:.1f} s and reported as {r.describe()}"


def check_panic(kernel):
    r = qemu.boot(kernel, smp=2, mem="256M", bootargs="selftest=panic", timeout=60)
    expect(not r.timed_out and r.status == 2, "expected exit status 2 after a panic", r)
    expect(re.search(r"KERNEL PANIC on CPU \d+: deliberate panic \(selftest\) at depth 3",
                     r.output) is not None,
           "expected the panic reason", r)
    for fn in ("panic_chain_third", "panic_chain_second", "panic_chain_first"):
        expect(re.search(r"#\d+\s+0x[0-9a-f]+ .*" + fn, r.output) is not None,
               f"expected {fn} in the backtrace", r)
    # The main task runs on any hart: the walk ends in that hart's entry function.
    expect(re.search(r"#\d+\s+0x[0-9a-f]+ (kernel_main|secondary_main)", r.output) is not None,
           "expected the walk to reach the hart's entry (kernel_main or secondary_main)", r)
    return "status 2, reason and backtrace through 3 named functions"


def check_fault(kernel):
    r = qemu.boot(kernel, smp=1, mem="128M", bootargs="selftest=fault", timeout=60)
    expect(not r.timed_out and r.status == 2, "expected exit status 2 after an unhandled fault", r)
    expect("unhandled store/AMO page fault" in r.output, "expected the fault's cause", r)
    expect("stval 0xffff900000000000" in r.output, "expected the faulting address", r)
    expect("trap frame:" in r.output and "fault_chain" in r.output,
           "expected the trap frame and the faulting function", r)
    return "status 2, cause, address and function"


def check_readonly_write_panics(kernel):
    r = qemu.boot(kernel, smp=2, mem="256M", bootargs="selftest=rofault", timeout=60)
    expect(not r.timed_out and r.status == 2, "expected exit status 2 after a write to rodata", r)
    expect(re.search(r"unhandled store/AMO page fault .*write of 0x[0-9a-f]+: not allowed by the "
                     r"mapping", r.output) is not None, "expected the fault and its reason", r)
    return "status 2, write to read-only memory reported"


def check_stack_overflow(kernel):
    r = qemu.boot(kernel, smp=2, mem="256M", bootargs="selftest=stackoverflow", timeout=60)
    expect(not r.timed_out and r.status == 2, "expected exit status 2 after a stack overflow", r)
    m = re.search(r"KERNEL PANIC on CPU (\d+): kernel stack overflow on CPU (\d+)", r.output)
    expect(m is not None and m.group(1) == m.group(2), "expected 'kernel stack overflow on CPU n'",
           r)
    return f"status 2, 'kernel stack overflow on CPU {m.group(1)}'"


def check_frames_with_initrd(kernel, mem, initrd):
    r = qemu.boot(kernel, smp=2, mem=mem, bootargs="test=mem.every_free_frame*", timeout=180,
                  initrd=initrd)
    s = summary_of(r)
    expect(r.status == 0 and s == (1, 0), f"expected the frame test to pass, got {s}", r)
    m = re.search(r"initrd: (\d+) entries, (\d+) KiB", r.output)
    expect(m is not None and int(m.group(2)) >= 8192, "expected the 8 MiB initrd", r)
    return f"all frames allocated and freed, initrd unchanged ({m.group(2)} KiB)"


def check_suite(kernel, initrd, glob, smp, at_least, timeout=420):
    """Runs the kernel tests `glob` selects with the initrd: every one passes, none skipped."""
    r = qemu.boot(kernel, smp=smp, mem="512M", bootargs=f"test={glob}", timeout=timeout,
                  initrd=initrd)
    m = re.findall(r"^ktest: (\d+) passed, (\d+) failed(?:, (\d+) skipped)?", r.output, re.M)
    expect(bool(m), "expected a ktest summary line", r)
    passed, failed, skipped = (int(x or 0) for x in m[-1])
    expect(r.status == 0 and failed == 0 and skipped == 0 and passed >= at_least,
           f"expected every {glob} test to pass (none skipped, at least {at_least})", r)
    return f"ktest: {passed} passed, {failed} failed, {skipped} skipped"


def check_programs_suite(kernel, initrd):
    return check_suite(kernel, initrd, "programs.*", 4, 6)


def check_ipc_suite(kernel, initrd):
    return check_suite(kernel, initrd, "pipes.*,pipelines.*,channels.*", 4, 15, timeout=600)


def check_hostile_suite(kernel, initrd, smp):
    return check_suite(kernel, initrd, "hostile.*", smp, 3)


def check_shell(kernel, initrd):
    def kill_background(proc, out):
        ids = re.findall(r"\[(\d+)\] spin", out)
        return f"kill {ids[-1] if ids else 'none'}\n"

    def interrupt(proc, out):
        time.sleep(2.0)  # the foreground spin runs a while first
        return "\x03"

    def type_to_cats(proc, out):
        time.sleep(1.5)  # the pipeline has the console (cooked) by then
        return "through two cats\n"

    prompt = "$ "
    r = qemu.boot(kernel, smp=4, mem="512M", bootargs="", timeout=180, initrd=initrd,
                  script=[(prompt, "echo hello   shell world\n"),
                          (prompt, "spin &\n"),
                          (prompt, "ps\n"),
                          (prompt, kill_background),
                          (prompt, "wait\n"),
                          (prompt, "spin\n"),
                          ("spin\r\n", interrupt),
                          (prompt, "cat | cat\n"),
                          ("cat | cat\r\n", type_to_cats),
                          ("through two cats\r\nthrough two cats\r\n", interrupt),
                          (prompt, "/etc/bad.wasm\n"),
                          (prompt, "/etc/invalid.wasm\n"),
                          (prompt, "/etc/unlinkable.wasm\n"),
                          (prompt, "stats\n"),
                          (prompt, "help\n"),
                          (prompt, "nosuchprogram\n"),
                          (prompt, "cd /etc\n"),
                          (prompt, "cat motd\n"),
                          (prompt, "exit\n")])
    out = r.output
    expect(not r.timed_out and r.status == 0, "expected the shell to exit and the kernel to stop", r)
    expect("hello shell world\n" in out, "expected echo's output", r)
    m = re.search(r"\[(\d+)\] spin", out)
    expect(m is not None, "expected the background job's id", r)
    pid = m.group(1)
    expect(re.search(rf"^\s*{pid}\s+\d+\s+\w+.*spin", out, re.M) is not None,
           f"expected ps to list spin with id {pid}", r)
    expect(re.search(rf"\[{pid}\].*killed", out) is not None,
           f"expected the background spin {pid} to end killed", r)
    expect("spin: interrupted" in out, "expected Ctrl-C to end the foreground spin", r)
    expect("through two cats\nthrough two cats\n^C\ncat: interrupted\ncat: interrupted\n" in out,
           "expected a typed line echoed and through both cats, then Ctrl-C ending both", r)
    expect(re.search(r"bad.wasm: malformed module at offset 0x[0-9a-f]+: ", out) is not None,
           "expected a one-line reason for the malformed module", r)
    expect(re.search(r"invalid.wasm: invalid module at offset 0x[0-9a-f]+: ", out) is not None,
           "expected a one-line reason for the invalid module", r)
    expect("unlinkable.wasm: unlinkable: unknown import env.foo" in out,
           "expected a one-line reason for the unknown import", r)
    expect(re.search(r"programs: \d+ running, \d+ started", out) is not None,
           "expected scheduler statistics from 'stats'", r)
    m = re.search(r"Programs \(in /bin\):(.*?)\nwarden:", out, re.S)
    listed = set(m.group(1).split()) if m else set()
    tools = {"rm", "mkdir", "rmdir", "cp", "mv", "touch", "head", "tail", "sort", "uniq", "tee",
             "true", "false", "date", "yes", "cat", "grep", "wc", "ls", "echo", "sh"}
    expect(tools <= listed, f"expected help to list the tools in /bin, missing {tools - listed}", r)
    expect("nosuchprogram: not found" in out, "expected a missing program reported", r)
    expect("Welcome to Warden" in out, "expected cat of a file relative to the new cwd", r)
    return ("echo, background job listed and killed, Ctrl-C on a program and on a pipeline, "
            "malformed/invalid/unlinkable modules refused, stats, help, cd + cat")


def check_shell_files_and_language(kernel, initrd):
    """The file tools and the shell's language on the serial console: a directory and files made,
    copied, moved, listed and removed in /tmp; redirections to and from files; $? after a failing
    program; variables, also in a child's environment; ';', '&&', '||'; a syntax error; pipelines,
    with redirections, their last program's status, and in the background."""
    prompt = "$ "
    lines = ["mkdir /tmp/d",
             "touch /tmp/d/a",
             "echo hello files > /tmp/d/a; echo more >> /tmp/d/a",
             "cp /tmp/d/a /tmp/d/b",
             "mv /tmp/d/b /tmp/d/c",
             "ls /tmp/d",
             "cat < /tmp/d/c",
             "rm /tmp/d/a /tmp/d/c",
             "rmdir /tmp/d && ls /tmp/d",
             "rm /tmp/nothing || echo rm said $?",
             "false; echo after false $?",
             "ls /nothing > /tmp/out 2>&1; cat /tmp/out",
             "export GREETING='hi there'; echo \"<$GREETING>\" ${GREETING}!",
             "echo 'echo child sees $GREETING' > /tmp/s.sh; sh /tmp/s.sh",
             "unset GREETING; echo [$GREETING]; sh /tmp/s.sh; rm /tmp/s.sh",
             "cat /etc/motd | grep Warden | wc -l",
             "yes | head -n 3",
             "ls /nothing 2>&1 | wc -l",
             "true | fail 3; echo last $?; fail 3 | true; echo last $?",
             "yes pipe | head -n 2 > /tmp/y &",
             "wait; cat < /tmp/y; rm /tmp/y",
             "echo 'echo nested | wc -c' | sh",
             "echo 'echo from a background script' > /tmp/bg.sh; sh /tmp/bg.sh &",
             "wait; rm /tmp/bg.sh",
             "ls | | wc",
             "date",
             "exit 0"]
    r = qemu.boot(kernel, smp=2, mem="256M", bootargs="", timeout=180, initrd=initrd,
                  script=[(prompt, line + "\n") for line in lines])
    out = r.output
    expect(not r.timed_out and r.status == 0, "expected the shell to exit and the kernel to stop", r)
    expect("ls /tmp/d\na\nc\n" in out, "expected ls to list the file and its moved copy", r)
    expect("cat < /tmp/d/c\nhello files\nmore\n" in out,
           "expected the copy to hold what > and >> wrote", r)
    expect("ls: /tmp/d: No such file or directory" in out, "expected rmdir to remove /tmp/d", r)
    expect("rm: /tmp/nothing: No such file or directory\nrm said 1\n" in out,
           "expected rm's message, then || with $? = 1", r)
    expect("after false 1\n" in out, "expected $? = 1 after false", r)
    expect("cat /tmp/out\nls: /nothing: No such file or directory\n" in out,
           "expected ls's message in the file through 2>&1", r)
    expect("<hi there> hi there!\n" in out, "expected $GREETING and ${GREETING} expanded", r)
    expect("\nchild sees hi there\n" in out,
           "expected an exported variable in a child's environment (a shell running a script)", r)
    expect("[]\nchild sees\n" in out, "expected nothing for an unset variable, in a child too", r)
    expect("grep Warden | wc -l\n1\n" in out, "expected one line of motd through the pipeline", r)
    expect("yes | head -n 3\ny\ny\ny\nwarden:" in out, "expected yes to end once head had 3 lines", r)
    expect("2>&1 | wc -l\n1\n" in out, "expected ls's error down the pipe through 2>&1", r)
    expect("last 3\nlast 0\n" in out, "expected $? to be the pipeline's last program's status", r)
    expect(re.search(r"\[\d+\] yes \| head\n", out) is not None and
           re.search(r"\[\d+\] done status 0\n", out) is not None and "\npipe\npipe\n" in out,
           "expected a background pipeline as a job, its output redirected to a file", r)
    expect("| sh\n7\n" in out, "expected a shell reading a pipe to run a pipeline of its own", r)
    # The job's line may come anywhere, even inside the echo of the next typed line (the two run
    # at once); the command that made the script has a quote after the words, not a newline.
    expect(re.search(r"from a background script\n", out) is not None,
           "expected a script in the background to run its programs without the console", r)
    expect("sh: syntax error near '|'" in out, "expected a syntax error", r)
    expect(re.search(r"date\n[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d UTC \d{4}\n", out)
           is not None, "expected the date in UTC", r)
    return ("mkdir, touch, cp, mv, ls, rm, rmdir in /tmp; < > >> 2>&1; $?, && and ||; variables; "
            "pipelines with redirections, $? and &")


def check_ctrl_c_spares_the_shell(kernel, initrd):
    """Once a foreground program has ended, the console is the shell's again but the shell is not
    Ctrl-C's target: Ctrl-C typed while it waits for a background job (cooked mode) ends nothing."""
    def interrupt(proc, out):
        time.sleep(1.0)  # the shell is waiting in `wait` by then
        return "\x03"

    prompt = "$ "
    r = qemu.boot(kernel, smp=2, mem="256M", bootargs="", timeout=180, initrd=initrd,
                  script=[(prompt, "echo first\n"), (prompt, "sleep 3000 &\n"),
                          (prompt, "wait\n"), ("wait\r\n", interrupt),
                          (prompt, "echo still here\n"), (prompt, "exit\n")])
    out = r.output
    expect(not r.timed_out and r.status == 0, "expected the shell to exit and the kernel to stop", r)
    expect("interrupted" not in out, "expected Ctrl-C to end nothing while the shell waits", r)
    expect(re.search(r"\[\d+\] done status 0", out) is not None,
           "expected the background sleep to end normally", r)
    expect("still here\n" in out, "expected the shell to go on after Ctrl-C", r)
    return "Ctrl-C at the shell's `wait` ended nothing; the job ended, the shell went on"


def check_fsconf(kernel, initrd, folder):
    """apps/disk/fsconf.c, the file-system conformance checks, run in Warden on `folder`: the same
    checks that pass on a Linux folder (tier 40_apps) must pass there."""
    r = qemu.boot(kernel, smp=2, mem="512M", bootargs=f"init=/disk/fsconf.wasm -- {folder}",
                  timeout=180, initrd=initrd)
    m = re.search(r"^fsconf: (\d+) checks, (\d+) failed$", r.output, re.M)
    expect(not r.timed_out and m is not None and int(m.group(2)) == 0,
           f"expected 'fsconf: N checks, 0 failed' on {folder}", r)
    return m.group(0)


def check_monitor(kernel, initrd):
    r = qemu.boot(kernel, smp=2, mem="256M", bootargs="init=monitor", timeout=60, initrd=initrd,
                  script=[("warden> ", "help\n"), ("warden> ", "harts\n"),
                          ("warden> ", "cat etc/motd\n"),
                          ("warden> ", "bogus\n"), ("warden> ", "stats\n"),
                          ("warden> ", "mem\n"),
                          ("warden> ", "shutdown\n")])
    expect(not r.timed_out and r.status == 0, "expected the monitor to shut down cleanly", r)
    expect("warden> help\n" in r.output, "expected the typed command echoed", r)
    expect("Welcome to Warden" in r.output, "expected the initrd's etc/motd", r)
    expect(re.search(r"frames: \d+ total, \d+ free", r.output) and "heap:" in r.output,
           "expected frame and heap statistics from 'mem'", r)
    m = re.search(r"console: (\d+) characters received by (\d+) interrupts", r.output)
    expect(m is not None and int(m.group(1)) >= 20 and int(m.group(2)) >= 1,
           "expected console input to arrive by interrupt", r)
    expect(re.search(r"worker 0: polled \d+, completed \d+", r.output) is not None,
           "expected the executor's counters in 'stats'", r)
    expect("unknown command 'bogus'" in r.output, "expected an error for an unknown command", r)
    expect(re.search(r"cpu 0 hart \d+ started", r.output) is not None, "expected the hart list", r)
    return "prompt, commands, clean shutdown"


def check_idle_harts_sleep(kernel):
    samples = []

    def measure(proc):
        samples.append(qemu.cpu_seconds(proc.pid))
        time.sleep(5)
        samples.append(qemu.cpu_seconds(proc.pid))
        return "shutdown\n"

    r = qemu.boot(kernel, smp=8, mem="256M", bootargs="", timeout=90,
                  script=[("warden> ", measure)])
    expect(not r.timed_out and r.status == 0 and len(samples) == 2, "expected a clean idle run", r)
    used = samples[1] - samples[0]
    expect(used < 1.0, f"expected QEMU to use under 1 s of CPU over 5 s idle, used {used:.2f} s", r)
    expect("smp: 8 of 8 harts online" in r.output, "expected all 8 harts online", r)
    return f"QEMU used {used:.2f} s of CPU over 5 s of idle with 8 harts"


def check_bad_log_level(kernel):
    r = qemu.boot(kernel, smp=1, mem="128M", bootargs="log=loud test=boot_args.*", timeout=60)
    expect(r.status == 0, "expected the run to go on", r)
    expect("unknown log level 'loud'" in r.output, "expected a warning for a bad log level", r)
    return "warned and went on"


def make_big_initrd(small):
    """The given initrd's files plus 8 MiB of random bytes, in a temporary cpio archive."""
    import random
    import subprocess
    import tempfile
    import atexit
    import shutil
    tmp = tempfile.mkdtemp(prefix="warden-initrd-")
    atexit.register(shutil.rmtree, tmp, True)
    blob = os.path.join(tmp, "random.bin")
    with open(blob, "wb") as f:
        f.write(random.Random(8).randbytes(8 << 20))
    out = os.path.join(tmp, "initrd.cpio")
    mkinitrd = os.path.join(os.path.dirname(__file__), "..", "..", "tools", "mkinitrd.py")
    subprocess.run([sys.executable, mkinitrd, out, f"data/random.bin={blob}"], check=True)
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kernel", required=True)
    p.add_argument("--initrd", required=True, help="an initrd with etc/motd")
    p.add_argument("--filter", default="")
    p.add_argument("--jobs", type=int, default=2)
    a = p.parse_args()
    k = a.kernel
    checks = [Check("kernel suite, --smp 4", lambda: check_full_suite(k)),
              Check("every kernel test, --smp 1",
                    lambda: check_every_test_at_one_hart(k, a.initrd)),
              Check("programs suite, --smp 4", lambda: check_programs_suite(k, a.initrd)),
              Check("pipes, pipelines and channels, --smp 4",
                    lambda: check_ipc_suite(k, a.initrd)),
              Check("hostile programs, --smp 4",
                    lambda: check_hostile_suite(k, a.initrd, 4)),
              Check("hostile programs, --smp 1",
                    lambda: check_hostile_suite(k, a.initrd, 1)),
              Check("the shell on the serial console", lambda: check_shell(k, a.initrd)),
              Check("the file tools and the shell's language on the serial console",
                    lambda: check_shell_files_and_language(k, a.initrd)),
              Check("Ctrl-C spares the shell once its foreground program ended",
                    lambda: check_ctrl_c_spares_the_shell(k, a.initrd)),
              Check("file-system conformance (apps/disk/fsconf.c) on /tmp",
                    lambda: check_fsconf(k, a.initrd, "/tmp"))]
    shapes = [(1, "128M"), (4, "512M"), (4, "2G"), (8, "256M"), (8, "1G")] + [(8, "512M")] * 4
    for smp, mem in shapes:
        checks.append(Check(f"banner --smp {smp} --mem {mem}",
                            lambda smp=smp, mem=mem: check_banner(k, smp, mem)))
    for smp in (1, 2, 8):
        checks.append(Check(f"smp tests --smp {smp}", lambda smp=smp: check_smp_suite(k, smp)))
    for smp in (1, 4):
        checks.append(Check(f"virtio disks, --smp {smp}", lambda smp=smp: check_disks(k, smp)))
    # OpenSBI rarely picks another boot hart on this host: hand the boot over to force it.
    for smp, mem, hart in [(4, "256M", 3), (8, "512M", 5), (8, "1G", 7)]:
        checks.append(Check(f"banner --smp {smp} --mem {mem} -- boothart={hart}",
                            lambda smp=smp, mem=mem, hart=hart: check_banner(k, smp, mem, hart)))
    checks += [Check("a failing kernel test fails the run", lambda: check_failing_test(k)),
               Check("a hanging kernel test is stopped", lambda: check_hang(k)),
               Check("panic prints reason and backtrace", lambda: check_panic(k)),
               Check("unhandled fault panics with the trap", lambda: check_fault(k)),
               Check("monitor answers on the serial console", lambda: check_monitor(k, a.initrd)),
               Check("bad boot argument is reported", lambda: check_bad_log_level(k)),
               Check("idle harts sleep (QEMU CPU time)", lambda: check_idle_harts_sleep(k)),
               Check("a write to read-only memory panics", lambda: check_readonly_write_panics(k)),
               Check("a kernel stack overflow panics", lambda: check_stack_overflow(k))]
    big = make_big_initrd(a.initrd)
    for mem in ("128M", "2G"):
        checks.append(Check(f"every frame with an 8 MiB initrd, --mem {mem}",
                            lambda mem=mem: check_frames_with_initrd(k, mem, big)))
    checks = [c for c in checks if a.filter in c.name]
    passed = failed = 0
    boot_harts = set()
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as pool:
        futures = [(c, pool.submit(c.fn)) for c in checks]
        for c, f in futures:
            try:
                detail = f.result()
                passed += 1
                print(f"  ok    {c.name}: {detail}")
                m = re.search(r"boot hart (\d+)", detail)
                if m and "--smp 8" in c.name and "boothart" not in c.name:
                    boot_harts.add(int(m.group(1)))
            except AssertionError as e:
                failed += 1
                print(f"  FAIL  {c.name}: {e}")
    if boot_harts:
        print(f"  boot harts seen with --smp 8: {sorted(boot_harts)}")
    print(f"boot tests: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
