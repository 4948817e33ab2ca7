#!/usr/bin/env python3
"""The disk file system end to end: Warden in QEMU with a virtio disk holding an ext2 image (with
a journal) made by the host's mke2fs, mounted at /data; the host's e2fsprogs check every image
Warden has touched.

usage: disk_test.py --kernel ELF --initrd CPIO [--trials N] [--filter NAME] [--keep DIR]

Checks:
  fsconf     the WASI file-system conformance program (apps/disk/fsconf.c, the same that runs on
             /tmp and on the hosted runner) on /data; e2fsck -fn clean afterwards.
  ops        a program writes, renames over, truncates, removes and links files in /data and
             the shell's `exit` shuts down; e2fsck -fn is clean, debugfs shows exactly the tree;
             a second boot reads the same tree.
  power      power loss: N trials (default 20; WARDEN_CRASH_TRIALS or --trials for more) each
             kill QEMU at a random moment while a program writes, fsyncs and renames files of known
             content; the next boot replays the journal and finds every file reported durable
             intact and no file whole-named but damaged; after its clean shutdown e2fsck -fn is
             clean.
  full       a full disk gives ENOSPC and the files already there stay intact.
  corrupt    an image with a damaged superblock is refused with a message; the shell goes on.
Prints one line per check and `disk tests: N passed, N failed`; exits 1 when any failed.
"""
import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools", "qemu"))
import qemu  # noqa: E402

PROMPT = "$ "


def tool(name):
    """An e2fsprogs tool: they live in /usr/sbin, often not on a user's PATH."""
    return shutil.which(name) or os.path.join("/usr/sbin", name)


def run(cmd, check=True):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if check and r.returncode != 0:
        raise AssertionError(f"`{' '.join(cmd)}` exited {r.returncode}:\n{r.stdout}")
    return r


def new_image(path, size="32M", extra=()):
    run([tool("mke2fs"), "-q", "-F", "-t", "ext2", "-j", "-b", "1024", *extra, path, size])


def fsck_clean(path):
    r = run([tool("e2fsck"), "-fn", path], check=False)
    if r.returncode != 0:
        raise AssertionError(f"expected e2fsck -fn to exit 0, got {r.returncode}:\n{r.stdout}")


def debugfs(path, request):
    r = subprocess.run([tool("debugfs"), "-R", request, path], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise AssertionError(f"debugfs -R '{request}' exited {r.returncode}:\n{r.stderr}")
    return r.stdout


def boot(args, image, bootargs, timeout=120, script=(), kill_after=None):
    """Boots with `image` attached; `kill_after` = (text, seconds): SIGKILL QEMU that long after
    the console first prints text (the power cut)."""
    steps = list(script)
    if kill_after is not None:
        text, seconds = kill_after

        def kill(proc):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass  # it had already ended

        def cut(proc):
            threading.Timer(seconds, kill, (proc,)).start()
            return ""
        steps.insert(0, (text, cut))
    return qemu.boot(args.kernel, smp=args.smp, mem="512M", bootargs=bootargs, timeout=timeout,
                     initrd=args.initrd, script=steps, disks=[image])


def expect(cond, what, result=None):
    if not cond:
        tail = "" if result is None else "\n".join(result.output.strip().splitlines()[-30:])
        where = "" if result is None else f"\n    qemu: {result.describe()}\n{tail}"
        raise AssertionError(what + where)


def check_ops(args, work):
    image = os.path.join(work, "ops.img")
    new_image(image)
    r = boot(args, image, "init=/bin/sh.wasm",
             script=[(PROMPT, "/disk/ops.wasm make /data\n"), ("ops: made", "exit\n")])
    expect("ops: made" in r.output and not r.timed_out, "expected `ops: made` and a clean exit", r)
    fsck_clean(image)
    listing = debugfs(image, "ls -p /tree")
    names = sorted(m.group(1) for m in re.finditer(r"^/\d+/\d+/\d+/\d+/([^/]*)/", listing, re.M))
    want = sorted([".", "..", "a.txt", "b.txt", "big", "hard", "link", "sparse", "sub"])
    expect(names == want, f"expected debugfs to list {want} in /tree, got {names}")
    expect(debugfs(image, "cat /tree/a.txt") == "alpha\n", "expected debugfs cat a.txt = alpha")
    expect(debugfs(image, "cat /tree/b.txt") == "second version\n",
           "expected b.txt to be the second version")
    dumped = os.path.join(work, "big.out")
    debugfs(image, f"dump /tree/big {dumped}")
    big = open(dumped, "rb").read()
    want_big = bytes((i * 7 + i // 4096) & 0xff for i in range(100000))
    expect(big == want_big, f"expected big to be the pattern cut to 100000 bytes ({len(big)})")
    r = boot(args, image, "init=/disk/ops.wasm -- check /data")
    expect("ops: 13 checks, 0 failed" in r.output, "expected the second boot to check the tree", r)
    fsck_clean(image)
    return "ops: made in Warden, e2fsck -fn clean, debugfs shows the tree, a second boot checks it"


def check_fsconf(args, work):
    image = os.path.join(work, "fsconf.img")
    new_image(image)
    r = boot(args, image, "init=/disk/fsconf.wasm -- /data", timeout=180)
    m = re.search(r"^fsconf: (\d+) checks, (\d+) failed$", r.output, re.M)
    expect(m is not None and m.group(2) == "0" and not r.timed_out,
           "expected `fsconf: N checks, 0 failed` on /data", r)
    fsck_clean(image)
    return f"the WASI file-system checks on /data: {m.group(0)}; e2fsck -fn clean"


def power_trial(args, image, trial, rng):
    seed = trial + 1
    folder = f"/data/c{trial}"
    delay = rng.uniform(0.1, 3.0)
    r = boot(args, image, f"init=/disk/crash.wasm -- write {folder} {seed}", timeout=60,
             kill_after=("durable f0", delay))
    durable = set(re.findall(r"^durable (f\d+)$", r.output, re.M))
    # A file being removed may be gone before its removal was reported durable.
    removed = set(re.findall(r"^removing (f\d+)$", r.output, re.M))
    expect("durable f0" in r.output, f"trial {trial}: expected the writer to start", r)
    # Whether the power cut left the journal needing recovery (the next mount replays it).
    header = subprocess.run([tool("dumpe2fs"), "-h", image], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True).stdout
    replay = "needs_recovery" in header
    c = boot(args, image, f"init=/disk/crash.wasm -- check {folder} {seed}", timeout=60)
    m = re.search(r"^check: (\d+) intact, (\d+) damaged$", c.output, re.M)
    expect(m is not None and m.group(2) == "0",
           f"trial {trial}: expected every file under its final name intact", c)
    intact = set(re.findall(r"^intact (f\d+)$", c.output, re.M))
    missing = sorted(durable - removed - intact)
    expect(not missing, f"trial {trial}: files reported durable are missing: {missing}", c)
    expect(f"cleared {folder}" in c.output and not c.timed_out and c.status == 0,
           f"trial {trial}: expected the files removed and a clean shutdown", c)
    fsck_clean(image)
    return len(durable), replay


def check_power(args, work):
    image = os.path.join(work, "power.img")
    new_image(image, "64M")
    rng = random.Random(args.seed)
    files = replays = 0
    for trial in range(args.trials):
        durable, replay = power_trial(args, image, trial, rng)
        files += durable
        replays += replay
    return (f"power loss: {args.trials} trials, {args.trials} clean checks "
            f"({replays} cuts left the file system marked needs_recovery: the next mount "
            f"recovered; {files} files reported durable, all intact; e2fsck -fn clean after each)")


def check_full(args, work):
    image = os.path.join(work, "full.img")
    new_image(image, "8M")
    r = boot(args, image, "init=/bin/sh.wasm",
             script=[(PROMPT, "/disk/ops.wasm make /data\n"),
                     ("ops: made", "yes > /data/fill; echo status $?\n"),
                     ("status ", "/disk/ops.wasm check /data\n"),
                     ("ops: 13 checks", "exit\n")])
    expect("No space left on device" in r.output,
           "expected `yes > /data/fill` to end with ENOSPC (No space left on device)", r)
    expect("ops: 13 checks, 0 failed" in r.output,
           "expected the files written before to stay intact on the full disk", r)
    expect(not r.timed_out and "shutting down" in r.output, "expected a clean shutdown", r)
    fsck_clean(image)
    return "full disk: ENOSPC, the files already there intact, e2fsck -fn clean"


def check_corrupt(args, work):
    # A superblock with a bad magic number: the mount is refused with a message; the shell goes on.
    image = os.path.join(work, "bad-super.img")
    new_image(image, "8M")
    with open(image, "r+b") as f:
        f.seek(1024 + 56)
        f.write(b"\x00\x00")
    r = boot(args, image, "init=/bin/sh.wasm",
             script=[(PROMPT, "echo alive; ls /data; echo listed $?\n"), ("listed", "exit\n")])
    refused = re.search(r"^disk: not mounted: .+$", r.output, re.M)
    expect(refused is not None, "expected `disk: not mounted: REASON` for a bad superblock", r)
    expect("alive" in r.output and "shutting down" in r.output, "expected the shell to go on", r)
    # A file whose block pointer leads off the disk: reading it is EIO; the others read.
    folder = os.path.join(work, "tree")
    os.makedirs(folder, exist_ok=True)
    open(os.path.join(folder, "good"), "w").write("good file\n")
    open(os.path.join(folder, "bad"), "w").write("bad file\n")
    image = os.path.join(work, "bad-inode.img")
    new_image(image, "8M", extra=("-d", folder))
    run([tool("debugfs"), "-w", "-R", "sif /bad block[0] 4000000000", image])
    r = boot(args, image, "init=/bin/sh.wasm",
             script=[(PROMPT, "cat /data/bad; cat /data/good; echo done\n"), ("done", "exit\n")])
    expect(re.search(r"cat: /data/bad: .*(I/O|Input/output) error", r.output) is not None,
           "expected reading the damaged file to give EIO", r)
    expect("good file" in r.output and "shutting down" in r.output,
           "expected the other file to read and the shell to go on", r)
    return (f"corrupt images: a bad superblock refused ({refused.group(0)}); a damaged inode "
            "gives EIO, the other files read")


CHECKS = {"ops": check_ops, "fsconf": check_fsconf, "full": check_full, "corrupt": check_corrupt,
          "power": check_power}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kernel", required=True)
    p.add_argument("--initrd", required=True)
    p.add_argument("--smp", type=int, default=2)
    p.add_argument("--trials", type=int, default=int(os.environ.get("WARDEN_CRASH_TRIALS", 20)))
    p.add_argument("--seed", type=int, default=int(os.environ.get("WARDEN_CRASH_SEED", 1)))
    p.add_argument("--filter", default="")
    p.add_argument("--keep", help="leave the images in this folder")
    args = p.parse_args()
    work = args.keep or tempfile.mkdtemp(prefix="warden-disk-")
    os.makedirs(work, exist_ok=True)
    passed = failed = 0
    try:
        for name, fn in CHECKS.items():
            if args.filter and args.filter not in name:
                continue
            try:
                print(f"disk {name}: {fn(args, work)}", flush=True)
                passed += 1
            except AssertionError as e:
                print(f"disk {name}: FAILED: {e}", flush=True)
                failed += 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"disk tests: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
