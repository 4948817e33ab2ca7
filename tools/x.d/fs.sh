# Disk file systems (lib/jbd2, lib/ext2): the host's e2fsprogs make, inspect and check the images
# their tests use (mke2fs, debugfs, e2fsck, dumpe2fs in /usr/sbin).
X_PACKAGES+=(e2fsprogs)

# The fuzz targets of the disk readers (tools/fs-fuzz, a CMake project of its own: every library
# source compiled with -fsanitize=fuzzer,address,undefined) in build/fs-fuzz; builds target $1
# (jbd2 or ext2) and sets FS_FUZZ to it.
x_fs_fuzz_build() {
  local dir="$ROOT/build/fs-fuzz" log
  if [[ ! -f "$dir/build.ninja" ]]; then
    log="$(mktemp)"
    if ! cmake -S "$ROOT/tools/fs-fuzz" -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++-19 \
         -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$log" 2>&1; then
      grep -v '^-- ' "$log" | head -40
      rm -f "$log"
      return 1
    fi
    rm -f "$log"
  fi
  # The ext2 target exists once lib/ext2 does (cmake reruns by itself when the tree changes).
  if [[ "$1" == ext2 && ! -f "$ROOT/lib/ext2/CMakeLists.txt" ]]; then
    echo "x fuzz ext2: lib/ext2 is not in the tree yet" >&2
    return 1
  fi
  x_ninja "$dir" "$1-fuzz" || return 1
  FS_FUZZ="$dir/$1-fuzz"
}

# Fuzzes reader $1 (jbd2: a journal opened, recovered, then committed to; ext2: an image mounted,
# its tree walked and every file read) for $2 seconds, from seeds made by e2fsprogs
# (tools/fs-fuzz/make_seeds.py, written once into build/fs-fuzz/seeds-NAME) and the corpus kept
# in build/fs-fuzz/corpus-NAME. Prints the inputs tried and the crashes (a crash stops libFuzzer:
# the input is kept as build/fs-fuzz/NAME-crash-*).
x_fs_fuzz() {
  local name="$1" seconds="${2:-60}" max_len=131072
  [[ "$name" == ext2 ]] && max_len=2097152
  x_fs_fuzz_build "$name" || return 1
  local seeds="$ROOT/build/fs-fuzz/seeds-$name" corpus="$ROOT/build/fs-fuzz/corpus-$name"
  if [[ -z "$(ls -A "$seeds" 2>/dev/null)" ]]; then
    python3 "$ROOT/tools/fs-fuzz/make_seeds.py" "$name" "$seeds" || return 1
  fi
  mkdir -p "$corpus"
  local log rc=0 runs
  log="$(mktemp)"
  "$FS_FUZZ" -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$ROOT/build/fs-fuzz/$name-" "$corpus" "$seeds" \
    >"$log" 2>&1 || rc=$?
  runs="$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$log" | grep -oE '[0-9]+$' || echo '?')"
  if [[ $rc -ne 0 ]]; then
    grep -E -A30 'ERROR|SUMMARY|crash-|timeout-|leak-' "$log" | head -60
    echo "fuzz $name: $runs inputs tried, 1 crash (rc $rc; the input is in build/fs-fuzz/)"
  else
    echo "fuzz $name: $runs inputs tried in $seconds s, 0 crashes"
  fi
  rm -f "$log"
  return $rc
}

# The disk readers' share of fuzzing in the test suite: 30 s each (the journal, and ext2 when
# lib/ext2 is in the tree), from the same seeds and kept corpus as `./x fuzz jbd2|ext2`.
test_tier_18_fs_fuzz() {
  local rc=0
  x_fs_fuzz jbd2 30 || rc=1
  if [[ -f "$ROOT/lib/ext2/CMakeLists.txt" && -f "$ROOT/tools/fs-fuzz/fuzz_ext2.cc" ]]; then
    x_fs_fuzz ext2 30 || rc=1
  fi
  return $rc
}
