#!/usr/bin/env python3
"""Emit the kernel's embedded symbol table (assembly for the .ksyms section).

usage: ksyms.py NM OUTPUT.S [KERNEL.elf]
Without KERNEL.elf it writes an empty table (the first link). With it, the function symbols of
the first link's text, sorted by address. The table sits last in the image, so the second link
moves no code and these addresses stay right.
"""
import subprocess
import sys


def main():
    nm, output = sys.argv[1], sys.argv[2]
    symbols = []
    if len(sys.argv) > 3:
        out = subprocess.run([nm, "--defined-only", "--numeric-sort", "--demangle", sys.argv[3]],
                             check=True, capture_output=True, text=True).stdout
        seen = set()
        for line in out.splitlines():
            parts = line.split(" ", 2)
            if len(parts) != 3 or parts[1] not in "tT":
                continue
            address = int(parts[0], 16)
            name = parts[2]
            # Linker-script markers share addresses with real functions (_start): skip them.
            if name.startswith((".L", "_kernel_", "_text_")) or address in seen:
                continue
            seen.add(address)
            symbols.append((address, name))
    lines = ['  .section .ksyms, "a"', "  .balign 8",
             "  .globl ksyms_count", "ksyms_count:", f"  .dword {len(symbols)}",
             "  .globl ksyms_addresses", "ksyms_addresses:"]
    lines += [f"  .dword {a:#x}" for a, _ in symbols]
    lines += ["  .globl ksyms_name_offsets", "ksyms_name_offsets:"]
    offset = 0
    for _, name in symbols:
        lines.append(f"  .word {offset}")
        offset += len(name.encode()) + 1
    lines += ["  .globl ksyms_names", "ksyms_names:"]
    for _, name in symbols:
        escaped = name.replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'  .asciz "{escaped}"')
    if not symbols:
        lines.append("  .byte 0")
    with open(output, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
