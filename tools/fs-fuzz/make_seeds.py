#!/usr/bin/env python3
"""Seeds for the fs fuzz targets, made by the host's e2fsprogs (never kept in git).

  make_seeds.py jbd2 DIR   journals: mke2fs images (ext2 and ext4, 1 and 4 KiB blocks, plain,
                           csum_v2 and csum_v3) with transactions debugfs wrote (an escaped block,
                           a revoke, one left uncommitted), each journal cut to its first blocks
                           (s_maxlen patched, the superblock checksum redone)
  make_seeds.py ext2 DIR   small images from `mke2fs -d` of a folder with files, a directory
                           tree, symlinks and a hard link (ext2, ext2 -j, ext4 with block maps
                           and with extents)
"""
import os
import pathlib
import re
import struct
import subprocess
import sys
import tempfile

SBIN = "/usr/sbin"
JOURNAL_BLOCKS = 24  # what the seeds keep of each journal: the transactions fit in it


def crc32c(crc, data):
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc


def sh(*args, stdin=None):
    return subprocess.run(args, input=stdin, capture_output=True, text=True, check=True).stdout


def journal_blocks(image):
    """The journal inode's blocks in order, from `debugfs -R 'stat <8>'`."""
    out = sh(f"{SBIN}/debugfs", "-R", "stat <8>", image)
    blocks = []
    for first, last, phys in re.findall(r"\((\d+)(?:-(\d+))?\):(\d+)", out):
        first, phys = int(first), int(phys)
        last = int(last) if last else first
        blocks.extend(range(phys, phys + last - first + 1))
    return blocks


def cut_journal(image, block_size):
    blocks = journal_blocks(image)[:JOURNAL_BLOCKS]
    with open(image, "rb") as f:
        raw = f.read()
    journal = bytearray(b"".join(raw[b * block_size:(b + 1) * block_size] for b in blocks))
    struct.pack_into(">I", journal, 0x10, len(blocks))
    incompat = struct.unpack_from(">I", journal, 0x28)[0]
    if incompat & (0x8 | 0x10):
        crc = crc32c(0xFFFFFFFF, bytes(journal[:0xFC]) + b"\0" * 4 + bytes(journal[0x100:0x400]))
        struct.pack_into(">I", journal, 0xFC, crc)
    return bytes(journal)


def jbd2_seeds(out):
    variants = [("ext2_1k", ["-t", "ext2", "-j", "-b", "1024"], "jo", 1024),
                ("ext2_4k", ["-t", "ext2", "-j", "-b", "4096"], "jo", 4096),
                ("ext4_csum_v3", ["-t", "ext4", "-b", "1024"], "jo -c", 1024),
                ("ext4_csum_v2", ["-t", "ext4", "-b", "4096"], "jo -c -v 2", 4096)]
    with tempfile.TemporaryDirectory() as tmp:
        for name, mkfs, jopen, size in variants:
            image, data = f"{tmp}/{name}.img", f"{tmp}/data"
            blob = bytearray(os.urandom(3 * size))
            blob[size:size + 4] = b"\xc0\x3b\x39\x98"  # a block debugfs escapes
            pathlib.Path(data).write_bytes(blob)
            sh(f"{SBIN}/mke2fs", "-q", "-F", *mkfs, image, "32M")
            pathlib.Path(out, f"{name}_empty").write_bytes(cut_journal(image, size))
            for session in (f"jw -b 300,301,302 {data}\njw -b 303 -r 300 {data}\n",
                            f"jw -b 304 -c {data}\n"):
                sh(f"{SBIN}/debugfs", "-w", "-f", "-", image, stdin=f"{jopen}\n{session}jc\n")
            pathlib.Path(out, name).write_bytes(cut_journal(image, size))


def ext2_seeds(out):
    # (name, mke2fs options, size): small, so that libFuzzer runs many; a journal needs 1 MiB.
    variants = [("ext2", ["-t", "ext2", "-b", "1024"], "192K"),
                ("ext2_journal", ["-t", "ext2", "-j", "-b", "1024"], "1200K"),
                ("ext4_blockmap", ["-t", "ext4", "-O", "^extent,^64bit,^flex_bg,^has_journal",
                                   "-b", "1024"], "256K"),
                ("ext4_extents", ["-t", "ext4", "-O", "^has_journal", "-b", "1024"], "256K")]
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp, "root")
        (root / "dir" / "sub").mkdir(parents=True)
        (root / "hello.txt").write_text("hello, warden\n")
        (root / "dir" / "big").write_bytes(os.urandom(70 * 1024))  # indirect blocks
        (root / "dir" / "sub" / "empty").write_bytes(b"")
        (root / "link").symlink_to("dir/sub/empty")
        (root / "long_link").symlink_to("d/" * 40 + "target")  # a slow symlink
        os.link(root / "hello.txt", root / "dir" / "hard")
        for name, mkfs, size in variants:
            image = f"{tmp}/{name}.img"
            sh(f"{SBIN}/mke2fs", "-q", "-F", *mkfs, "-N", "32", "-d", str(root), image, size)
            pathlib.Path(out, name).write_bytes(pathlib.Path(image).read_bytes())


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("jbd2", "ext2"):
        sys.exit(__doc__)
    os.makedirs(sys.argv[2], exist_ok=True)
    (jbd2_seeds if sys.argv[1] == "jbd2" else ext2_seeds)(sys.argv[2])


if __name__ == "__main__":
    main()
