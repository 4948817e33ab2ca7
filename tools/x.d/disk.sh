# Disk images for Warden's virtio block device (docs/disk.md): `./x disk new` makes one with the
# host's e2fsprogs (in X_PACKAGES through tools/x.d/fs.sh). Sourced by ./x.

# help: disk new FILE SIZE [--from DIR]   make an ext2 image with a journal (mke2fs -t ext2 -j); SIZE as truncate takes it (64M); --from copies DIR's files in
cmd_disk() {
  local sub="${1:-}"
  [[ $# -gt 0 ]] && shift
  case "$sub" in
    new) x_disk_new "$@" ;;
    *) x_die "usage: ./x disk new FILE SIZE [--from DIR]" ;;
  esac
}

# The e2fsprogs tool $1 (they live in /usr/sbin, often not on a user's PATH).
x_e2fs_tool() {
  command -v "$1" 2>/dev/null || echo "/usr/sbin/$1"
}

x_disk_new() {
  [[ $# -ge 2 ]] || x_die "usage: ./x disk new FILE SIZE [--from DIR]"
  local file="$1" size="$2" from=""
  shift 2
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --from) [[ $# -ge 2 ]] || x_die "--from needs a folder"; from="$2"; shift 2 ;;
      *) x_die "unknown option '$1' (see ./x help)" ;;
    esac
  done
  [[ -z "$from" || -d "$from" ]] || x_die "--from $from: not a folder"
  local args=(-q -t ext2 -j -F)
  [[ -n "$from" ]] && args+=(-d "$from")
  # A fresh file: mke2fs over an old image would leave its bytes in unused blocks.
  rm -f "$file"
  truncate -s "$size" "$file" || x_die "cannot make $file of size $size"
  "$(x_e2fs_tool mke2fs)" "${args[@]}" "$file" || { rm -f "$file"; x_die "mke2fs failed"; }
  local info blocks block_size inodes features
  info="$("$(x_e2fs_tool dumpe2fs)" -h "$file" 2>/dev/null)"
  blocks="$(sed -n 's/^Block count: *//p' <<<"$info")"
  block_size="$(sed -n 's/^Block size: *//p' <<<"$info")"
  inodes="$(sed -n 's/^Inode count: *//p' <<<"$info")"
  features="$(sed -n 's/^Filesystem features: *//p' <<<"$info")"
  echo "made $file: ext2 with a journal, $((blocks * block_size >> 20)) MiB ($blocks blocks of" \
    "$block_size bytes), $inodes inodes${from:+, holding the files of $from}"
  echo "  features: $features"
  echo "  attach it: ./x run --disk $file"
}

# The disk file system end to end (tests/boot/disk_test.py): ext2 images made by mke2fs, mounted
# at /data by Warden in QEMU, written by programs, checked by e2fsck and debugfs; the WASI checks on
# /data; a full disk; corrupt images; power loss (WARDEN_CRASH_TRIALS trials, 20 by default).
test_tier_22_disk() {
  x_kernel_build || return 1
  x_initrd || return 1
  python3 "$ROOT/tests/boot/disk_test.py" --kernel "$KERNEL_ELF" --initrd "$INITRD"
}
