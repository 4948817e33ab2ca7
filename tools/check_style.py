#!/usr/bin/env python3
"""Formatting check over the project's C and C++ (clang-format-19 with the tree's .clang-format).

usage: check_style.py [--fix]
Lists each file whose formatting differs and exits 1; with --fix rewrites them instead.
"""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
FOLDERS = ["lib", "kernel", "tools", "tests", "apps"]


def sources():
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in (".cc", ".c", ".h") and "/data/" not in str(path):
                yield path


def main():
    fix = "--fix" in sys.argv
    files = list(sources())
    if fix:
        subprocess.run(["clang-format-19", "-i", *map(str, files)], check=True)
        return
    bad = []
    for path in files:
        formatted = subprocess.run(["clang-format-19", str(path)], capture_output=True,
                                   check=True).stdout
        if formatted != path.read_bytes():
            bad.append(path.relative_to(ROOT))
    if bad:
        print(f"style: {len(bad)} of {len(files)} files differ from .clang-format "
              f"(./x format fixes them):")
        for p in bad:
            print(f"  {p}")
        sys.exit(1)
    print(f"style: {len(files)} files formatted")


if __name__ == "__main__":
    main()
