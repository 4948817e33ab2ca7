#!/usr/bin/env python3
"""Pack files into a cpio "newc" archive: Warden's initial ramdisk.

usage: mkinitrd.py OUTPUT [NAME=PATH | DIR ...]
NAME=PATH stores the file PATH as NAME; a DIR stores every file under it by relative path.
Entries are sorted, timestamps and owners are zero: the same inputs give the same bytes.
"""
import os
import sys


def header(ino, mode, size, name_size):
    fields = [ino, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, name_size, 0]
    return b"070701" + b"".join(b"%08x" % f for f in fields)


def pad(n):
    return b"\0" * ((4 - n % 4) % 4)


def entry(ino, name, mode, data):
    encoded = name.encode() + b"\0"
    head = header(ino, mode, len(data), len(encoded)) + encoded
    return head + pad(len(head)) + data + pad(len(data))


def collect(args):
    files = {}
    for arg in args:
        if "=" in arg:
            name, path = arg.split("=", 1)
            files[name.lstrip("/")] = path
        elif os.path.isdir(arg):
            for root, _, names in os.walk(arg):
                for n in names:
                    path = os.path.join(root, n)
                    files[os.path.relpath(path, arg)] = path
        else:
            sys.exit(f"mkinitrd: {arg}: not NAME=PATH or a directory")
    return files


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    files = collect(sys.argv[2:])
    out = bytearray()
    ino = 1
    for name in sorted(files):
        with open(files[name], "rb") as f:
            out += entry(ino, name, 0o100644, f.read())
        ino += 1
    out += entry(0, "TRAILER!!!", 0, b"")
    with open(sys.argv[1], "wb") as f:
        f.write(out)


if __name__ == "__main__":
    main()
