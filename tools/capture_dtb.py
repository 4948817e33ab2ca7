#!/usr/bin/env python3
"""Capture the device tree as the kernel receives it (after OpenSBI's edits) into a .dtb file.

usage: capture_dtb.py --kernel warden.elf --smp N --mem M OUTPUT.dtb
Boots with `dtb=dump` and turns the kernel's hex dump back into the binary blob.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "qemu"))
import qemu  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kernel", required=True)
    p.add_argument("--smp", type=int, default=4)
    p.add_argument("--mem", default="512M")
    p.add_argument("output")
    a = p.parse_args()
    r = qemu.boot(a.kernel, a.smp, a.mem, "dtb=dump test=boot_args.*", timeout=60)
    lines = [l for l in r.output.splitlines() if l.startswith("dtb-dump ")]
    if not lines or not lines[0].startswith("dtb-dump begin") or lines[-1] != "dtb-dump end":
        sys.exit(f"capture_dtb: no complete dump in the console output ({r.describe()})")
    size = int(lines[0].split()[2])
    blob = bytes.fromhex("".join(l.split()[1] for l in lines[1:-1]))
    if len(blob) != size:
        sys.exit(f"capture_dtb: dump has {len(blob)} bytes, header said {size}")
    with open(a.output, "wb") as f:
        f.write(blob)
    print(f"{a.output}: {size} bytes")


if __name__ == "__main__":
    main()
