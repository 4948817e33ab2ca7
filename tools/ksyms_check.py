#!/usr/bin/env python3
"""Fail the build if the second kernel link moved any function (the symbol table would lie)."""
import subprocess
import sys


def functions(nm, elf):
    out = subprocess.run([nm, "--defined-only", elf], check=True, capture_output=True, text=True)
    return {p[2]: p[0] for p in (l.split(" ", 2) for l in out.stdout.splitlines())
            if len(p) == 3 and p[1] in "tT"}


def main():
    nm, first, second = sys.argv[1:4]
    a, b = functions(nm, first), functions(nm, second)
    moved = [n for n in a if b.get(n) != a[n]]
    if moved:
        sys.exit(f"ksyms: second link moved {len(moved)} functions, e.g. {moved[:3]}")


if __name__ == "__main__":
    main()
