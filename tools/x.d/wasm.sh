# The WebAssembly engine (lib/wasm): hosted runner, specification suite, fuzzing, benchmarks.
# Sourced by ./x.

X_PACKAGES+=(wabt binaryen qemu-user libc6-dev-riscv64-cross libstdc++-12-dev-riscv64-cross)

WASM_SUITE_DEFAULT="$ROOT/../shared/wasm-spec-tests/wasm-2.0"
WASM_SUITE_3="$ROOT/../shared/wasm-spec-tests/wasm-3.0"
# The features of WebAssembly 3.0 that the engine does not have yet (issue 18's part 2): the only
# ones whose assertions a run of the 3.0 suite in ./x test may skip (x_wasm_spec_quiet).
WASM_PART2_FEATURES="function-references exception-handling legacy-exceptions gc"

# Builds only the engine's targets in build/host (another library's half-finished state cannot
# block them). Prints nothing on success.
x_wasm_build() {
  local dir="$ROOT/build/host"
  x_configure "$dir" || return 1
  x_ninja "$dir" wasm-spec wasm-run wasm_test || return 1
}

# Builds the checked engine (WARDEN_WASM_CHECKED: typed slots, every operand checked; see
# docs/engine.md) into build/host-checked (or WASM_CHECKED_DIR): its unit tests, the spec runner and
# wasm-run, for the suite and the fuzzers. Sets WASM_CHECKED_DIR.
x_wasm_checked_build() {
  WASM_CHECKED_DIR="${WASM_CHECKED_DIR:-$ROOT/build/host-checked}"
  x_configure "$WASM_CHECKED_DIR" checked || return 1
  x_ninja "$WASM_CHECKED_DIR" wasm-spec wasm-run wasm_test || return 1
}

# help: wasm FILE.wasm|.wat [--dir HOST[::GUEST]] [--tcplisten ADDR:PORT] [--env K=V] [--fuel N] [--max-memory BYTES] [-- ARGS] | [--invoke NAME ARGS...]   run a WASI program or one export (statuses: docs/wasi.md, docs/engine.md)
cmd_wasm() {
  x_wasm_run_build || return 1
  "$WASM_RUN" "$@"
}

# help: spec [--kernel [--smp N] [--mem SIZE]] [--checked] [--suite DIR] [--slices=1|random] [--wasm-2.0] [-v] [FILE...]  run the WebAssembly spec suite (default ../shared/wasm-spec-tests/wasm-2.0, with the 2.0 feature set: --wasm-2.0; --suite ../shared/wasm-spec-tests/wasm-3.0 for 3.0) on the host (--checked: the checked engine, build/host-checked), or inside the kernel under QEMU
cmd_spec() {
  local suite="$WASM_SUITE_DEFAULT" args=() files=() kernel=0 smp=4 mem=1G checked=0
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --suite) suite="$2"; shift 2 ;;
      --kernel) kernel=1; shift ;;
      --checked) checked=1; shift ;;
      --smp) smp="$2"; shift 2 ;;
      --mem) mem="$2"; shift 2 ;;
      -*) args+=("$1"); shift ;;
      *) files+=("$1"); shift ;;
    esac
  done
  if [[ ${#files[@]} -eq 0 && ! -d "$suite" ]]; then
    echo "x spec: the suite folder $suite is absent (pass --suite DIR)" >&2
    return 2
  fi
  # The default suite (2.0) runs with the 2.0 feature set (--wasm-2.0, also accepted by hand).
  local walk=(--suite "$suite")
  [[ "$suite" == "$WASM_SUITE_DEFAULT" ]] && walk+=(--wasm-2.0)
  if [[ $kernel -eq 1 ]]; then
    local kflags=() a
    for a in "${walk[@]}" "${args[@]}"; do [[ "$a" == --wasm-2.0 ]] && kflags=(--wasm-2.0); done
    x_spec_kernel "$smp" "$mem" "$suite" "${kflags[@]}" "${files[@]}"
    return
  fi
  if [[ $checked -eq 1 ]]; then
    x_wasm_checked_build || return 1
    SPEC_TOOL="$WASM_CHECKED_DIR/tools/wasm-spec/wasm-spec"
  else
    x_spec_build || return 1
  fi
  if [[ ${#files[@]} -eq 0 ]]; then
    "$SPEC_TOOL" "${walk[@]}" "${args[@]}"
  else
    "$SPEC_TOOL" "${args[@]}" "${files[@]}"
  fi
}

# Builds the spec runner only (build/host, or SPEC_HOST_DIR), so that another library's state
# cannot block it. Sets SPEC_TOOL.
x_spec_build() { x_host_tool_build "${SPEC_HOST_DIR:-$ROOT/build/host}" wasm-spec SPEC_TOOL; }

# The spec scripts of `suite` (or the FILEs) packed as spec/NAME.wast into build/spec-initrd.cpio
# (the scripts of subfolders under their relative path). Sets SPEC_INITRD.
x_spec_initrd() {
  local suite="$1"; shift
  SPEC_INITRD="$ROOT/build/spec-initrd.cpio"
  local args=() f rel
  if [[ $# -gt 0 ]]; then
    for f in "$@"; do args+=("spec/$(basename "$f")=$f"); done
  else
    while IFS= read -r f; do
      rel="${f#"$suite"/}"
      args+=("spec/$rel=$f")
    done < <(find "$suite" -name '*.wast' -type f | LC_ALL=C sort)
  fi
  python3 "$ROOT/tools/mkinitrd.py" "$SPEC_INITRD" "${args[@]}"
}

# Boots the kernel with the spec scripts in its initrd and boot argument `spec` (with --wasm-2.0:
# also `wasm-2.0`, the 2.0 feature set); the console is streamed, the status is the kernel's
# (0: every assertion passed). SPEC_TIMEOUT (s) bounds it.
# Usage: x_spec_kernel SMP MEM SUITE [--wasm-2.0] [FILE...]
x_spec_kernel() {
  local smp="$1" mem="$2" suite="$3" bootargs=(spec); shift 3
  if [[ "${1:-}" == --wasm-2.0 ]]; then bootargs+=(wasm-2.0); shift; fi
  # SPEC_KERNEL_DIR: another build folder than build/kernel.
  x_kernel_build "${SPEC_KERNEL_DIR:-$ROOT/build/kernel}" || return 1
  x_spec_initrd "$suite" "$@" || return 1
  timeout "${SPEC_TIMEOUT:-1800}" python3 "$ROOT/tools/qemu/qemu.py" --kernel "$KERNEL_ELF" \
    --smp "$smp" --mem "$mem" --initrd "$SPEC_INITRD" --interactive -- "${bootargs[@]}" </dev/null
}

# help: wat-check [--suite DIR]  check the text encoder on the spec scripts: valid modules pass wasm-validate, malformed text is rejected with line:column
cmd_wat-check() {
  local suite="$WASM_SUITE_DEFAULT"
  [[ "${1:-}" == --suite ]] && suite="$2"
  x_spec_build || return 1
  # The 2.0 scripts are read as 2.0 text (their limits and offsets are 32-bit numbers).
  local flags=()
  [[ "$suite" == "$WASM_SUITE_DEFAULT" ]] && flags+=(--wasm-2.0)
  "$SPEC_TOOL" --check-encoder "${flags[@]}" --suite "$suite"
}

# Runs a suite (the command after the first argument) and keeps only the summary lines, with the
# count of assertions skipped per feature; fails when any assertion failed, and when any was
# skipped for a reason other than the features named in the first argument (space-separated; ""
# for none: nothing may be skipped).
x_wasm_spec_quiet() {
  local may_skip=" $1 " log rc=0 line feature
  shift
  log="$(mktemp)"
  "$@" >"$log" 2>&1 || rc=$?
  tr -d '\r' <"$log" | grep -E '^[0-9]+ files,|^skipped [0-9]+: |^suspension:|^spec: linear' | tail -12
  if [[ $rc -ne 0 ]]; then
    grep -E '[1-9][0-9]* failed|line [0-9]+:' "$log" | head -40
  fi
  while IFS= read -r line; do
    feature="${line#*unsupported feature }"
    [[ "$line" == *"unsupported feature "* && "$may_skip" == *" $feature "* ]] && continue
    echo "spec: FAILED: assertions skipped that must run: $line"
    rc=1
  done < <(tr -d '\r' <"$log" | grep -E '^skipped [0-9]+: ')
  if ! grep -qE '^[0-9]+ files,' "$log"; then
    echo "spec: FAILED: the run printed no summary"
    tail -20 "$log"
    rc=1
  fi
  rm -f "$log"
  return $rc
}

test_tier_30_wasm() {
  x_wasm_build || return 1
  if [[ ! -d "$WASM_SUITE_DEFAULT" || ! -d "$WASM_SUITE_3" ]]; then
    echo "wasm: SKIPPED the spec suites: $WASM_SUITE_DEFAULT or $WASM_SUITE_3 is absent"
    return 0
  fi
  local spec="$ROOT/build/host/tools/wasm-spec/wasm-spec" rc=0
  local suite2=(--suite "$WASM_SUITE_DEFAULT" --wasm-2.0) suite3=(--suite "$WASM_SUITE_3")
  echo "engine unit tests:"
  "$ROOT/build/host/tests/wasm_test" --gtest_brief=1 2>&1 | grep -v '^Running main' | tail -n 20 || rc=1
  echo "spec suite wasm-2.0 (with simd/; nothing may be skipped):"
  x_wasm_spec_quiet "" "$spec" "${suite2[@]}" || rc=1
  echo "spec suite wasm-3.0 (only part 2's features may be skipped: $WASM_PART2_FEATURES):"
  x_wasm_spec_quiet "$WASM_PART2_FEATURES" "$spec" "${suite3[@]}" || rc=1
  echo "spec suite wasm-2.0, every invocation in fuel slices of 1, resumed on alternating threads:"
  x_wasm_spec_quiet "" "$spec" --slices=1 "${suite2[@]}" || rc=1
  echo "spec suites wasm-2.0 and wasm-3.0, random fuel slices, resumed on alternating threads:"
  x_wasm_spec_quiet "" "$spec" --slices=random "${suite2[@]}" || rc=1
  x_wasm_spec_quiet "$WASM_PART2_FEATURES" "$spec" --slices=random "${suite3[@]}" || rc=1
  echo "checked engine (build/host-checked: typed slots, every operand checked): unit tests, wasm-2.0 at once and in fuel slices of 1, wasm-3.0:"
  if x_wasm_checked_build; then
    local checked_spec="$WASM_CHECKED_DIR/tools/wasm-spec/wasm-spec"
    "$WASM_CHECKED_DIR/tests/wasm_test" --gtest_brief=1 2>&1 | grep -v '^Running main' | tail -n 20 || rc=1
    x_wasm_spec_quiet "" "$checked_spec" "${suite2[@]}" || rc=1
    x_wasm_spec_quiet "" "$checked_spec" --slices=1 "${suite2[@]}" || rc=1
    x_wasm_spec_quiet "$WASM_PART2_FEATURES" "$checked_spec" "${suite3[@]}" || rc=1
  else
    rc=1
  fi
  echo "spec suites inside the kernel (QEMU, --smp 4, the same runner, lib/spec): wasm-2.0, wasm-3.0:"
  x_wasm_spec_quiet "" x_spec_kernel 4 1G "$WASM_SUITE_DEFAULT" --wasm-2.0 || rc=1
  x_wasm_spec_quiet "$WASM_PART2_FEATURES" x_spec_kernel 4 1G "$WASM_SUITE_3" || rc=1
  echo "C programs vectorised by clang -msimd128, beside their scalar builds (hosted runner, against native):"
  x_simd_programs_check || rc=1
  echo "fuzzing, 10 s (decode + validate + instantiate + run):"
  cmd_fuzz 10 || rc=1
  echo "differential fuzzing against wabt's interpreter (wasm-diff, fixed seeds; the checked engine too):"
  x_wasm_diff_tier || rc=1
  if command -v qemu-riscv64 >/dev/null && [[ -d /usr/riscv64-linux-gnu/include/c++ ]]; then
    echo "riscv64 build under qemu-riscv64: unit tests, spec suites wasm-2.0 and wasm-3.0:"
    if x_wasm_riscv64_build; then
      x_qemu_riscv64 "$RISCV64_WASM_TEST" --gtest_brief=1 | tail -1 || rc=1
      x_wasm_spec_quiet "" x_qemu_riscv64 "$RISCV64_WASM_SPEC" "${suite2[@]}" || rc=1
      x_wasm_spec_quiet "$WASM_PART2_FEATURES" x_qemu_riscv64 "$RISCV64_WASM_SPEC" "${suite3[@]}" || rc=1
    else
      rc=1
    fi
  else
    echo "wasm: riscv64 run not possible: qemu-user or the riscv64 cross libraries are missing (./x setup)"
    rc=1
  fi
  return $rc
}

# Builds the engine's unit tests and the spec runner as riscv64 Linux programs (clang-19 and the
# Debian riscv64 cross libc/libstdc++, cmake/riscv64-linux.cmake) into build/wasm-riscv64 (or
# SPEC_RISCV64_DIR). Sets RISCV64_WASM_TEST and RISCV64_WASM_SPEC.
x_wasm_riscv64_build() {
  local dir="${SPEC_RISCV64_DIR:-$ROOT/build/wasm-riscv64}"
  x_configure "$dir" riscv64-linux || return 1
  x_ninja "$dir" wasm-spec wasm_test || return 1
  RISCV64_WASM_TEST="$dir/tests/wasm_test"
  RISCV64_WASM_SPEC="$dir/tools/wasm-spec/wasm-spec"
}

x_qemu_riscv64() { qemu-riscv64 -L /usr/riscv64-linux-gnu "$@"; }

# help: spec-riscv64 [ARGS...]  build the engine for riscv64 Linux and run its unit tests and the spec suite under qemu-riscv64
cmd_spec-riscv64() {
  x_wasm_riscv64_build || return 1
  x_qemu_riscv64 "$RISCV64_WASM_TEST" --gtest_brief=1 || return 1
  local args=("$@")
  [[ ${#args[@]} -eq 0 ]] && args=(--suite "$WASM_SUITE_DEFAULT" --wasm-2.0)
  x_qemu_riscv64 "$RISCV64_WASM_SPEC" "${args[@]}"
}

# Builds the libFuzzer target into build/wasm-fuzz (clang-19, -fsanitize=fuzzer,address,undefined).
x_wasm_fuzz_build() {
  local out="$ROOT/build/wasm-fuzz"
  mkdir -p "$out"
  local bin="$out/wasm-fuzz"
  local newest
  newest="$(find "$ROOT/lib/support" "$ROOT/lib/wasm" "$ROOT/tools/wasm-fuzz" -newer "$bin" -type f 2>/dev/null | head -1)"
  [[ -f "$bin" && -z "$newest" ]] && return 0
  clang++-19 -std=c++23 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -fno-math-errno -ffp-contract=off -I"$ROOT/lib/support/include" -I"$ROOT/lib/wasm/include" \
    "$ROOT"/lib/support/src/format.cc "$ROOT"/lib/support/src/must_hosted.cc "$ROOT"/lib/wasm/src/*.cc \
    "$ROOT"/tools/wasm-fuzz/fuzz_engine.cc -o "$bin"
}

# Seeds a corpus folder with the 2.0 spec suite's modules, simd/ included (encoded by lib/wat
# through `wasm-spec --dump-modules`, never kept in git). A corpus seeded before simd/ was in it
# (no CORPUS.simd stamp beside it) gets the suite's modules added once.
x_wasm_fuzz_seed() {
  local corpus="$1"
  mkdir -p "$corpus"
  [[ -n "$(ls -A "$corpus" 2>/dev/null)" && -f "$corpus.simd" ]] && return 0
  [[ -d "$WASM_SUITE_DEFAULT" ]] || return 0
  x_spec_build || return 1
  "$SPEC_TOOL" --dump-modules "$corpus" --suite "$WASM_SUITE_DEFAULT" >/dev/null && touch "$corpus.simd"
}

# Builds wasm-diff (tools/wasm-diff: this engine and wabt's interpreter in one process; needs
# Debian's wabt, whose libwabt.a and headers it links) into build/host, or with "checked" into
# build/host-checked (the checked engine). Sets WASM_DIFF.
x_wasm_diff_build() {
  local dir="$ROOT/build/host" build=()
  if [[ "${1:-}" == checked ]]; then
    dir="${WASM_CHECKED_DIR:-$ROOT/build/host-checked}"
    build=(checked)
  fi
  x_configure "$dir" "${build[@]}" || return 1
  # The whole list first: under pipefail, `| grep -q` can stop reading early and fail ninja with
  # SIGPIPE (seen in CI as "not configured" with wabt present).
  local targets
  targets="$(ninja -C "$dir" -t targets all 2>/dev/null)" || true
  if ! grep -q '^wasm-diff:' <<<"$targets"; then
    echo "x: wasm-diff is not configured in $dir: wabt's library or headers are missing (./x setup)" >&2
    return 1
  fi
  x_ninja "$dir" wasm-diff || return 1
  WASM_DIFF="$dir/tools/wasm-diff/wasm-diff"
}

# The module folders of the spec-derived generator: the suite's modules, simd/ included (encoded
# by lib/wat, written once into build/wasm-fuzz/spec-modules-simd; the older spec-modules had no
# simd/) and the libFuzzer corpus when there is one, unless $1 is --no-corpus (the test tier:
# the corpus grows with however many inputs a timed fuzzing run reached, so with it the same seed
# would pick other modules on another machine). Sets WASM_DIFF_SPEC (--spec-dir arguments).
x_wasm_diff_spec_dirs() {
  local modules="$ROOT/build/wasm-fuzz/spec-modules-simd" corpus="$ROOT/build/wasm-fuzz/corpus"
  WASM_DIFF_SPEC=()
  if [[ -z "$(ls -A "$modules" 2>/dev/null)" ]]; then
    if [[ ! -d "$WASM_SUITE_DEFAULT" ]]; then
      echo "x: the spec suite $WASM_SUITE_DEFAULT is absent: no spec-derived modules" >&2
      return 1
    fi
    x_spec_build || return 1
    mkdir -p "$modules"
    "$SPEC_TOOL" --dump-modules "$modules" --suite "$WASM_SUITE_DEFAULT" >/dev/null
  fi
  WASM_DIFF_SPEC=(--spec-dir "$modules")
  [[ "${1:-}" == --no-corpus ]] && return 0
  [[ -n "$(ls -A "$corpus" 2>/dev/null)" ]] && WASM_DIFF_SPEC+=(--spec-dir "$corpus")
  return 0
}

# Differential testing against wabt's interpreter (docs/engine.md): N modules of each generator
# asked for (seq, ttf, spec or all), every export called with generated arguments on both
# engines; values (by bits), traps (by kind), host calls and final state must agree. Mismatches
# are kept in build/wasm-fuzz/diff/. The seed is random unless given (it is printed).
x_wasm_fuzz_diff() {
  local count=1000 gen=all variant="" args=()
  if [[ "${1:-}" =~ ^[0-9]+$ ]]; then count="$1"; shift; fi
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --gen) gen="$2"; shift 2 ;;
      --checked) variant=checked; shift ;;
      --seed|--from|--log|--fuel|--timeout) args+=("$1" "$2"); shift 2 ;;
      *) echo "x fuzz --diff: unexpected argument $1" >&2; return 2 ;;
    esac
  done
  case "$gen" in seq|ttf|spec|all) ;; *) echo "x fuzz --diff: --gen seq|ttf|spec|all" >&2; return 2 ;; esac
  [[ " ${args[*]} " == *" --seed "* ]] || args+=(--seed "$(( $(date +%s%N) % 1000000007 ))")
  x_wasm_diff_build $variant || return 1
  if [[ "$gen" == spec || "$gen" == all ]]; then
    x_wasm_diff_spec_dirs || return 1
    args+=("${WASM_DIFF_SPEC[@]}")
  fi
  mkdir -p "$ROOT/build/wasm-fuzz/diff"
  "$WASM_DIFF" --gen "$gen" --count "$count" --out "$ROOT/build/wasm-fuzz/diff" "${args[@]}"
}

# Runs wasm-diff with the arguments and keeps its summary lines and first mismatches; its status.
x_wasm_diff_quiet() {
  local log rc=0
  log="$(mktemp)"
  "$@" >"$log" 2>&1 || rc=$?
  grep -E '^(seq|ttf|spec): |^MISMATCH|^\(further' "$log" | grep -v 'modules read' | head -24
  [[ $rc -ne 0 ]] && grep -E -v '^(seq|ttf|spec|MISMATCH|differential|\(further)' "$log" | head -10
  rm -f "$log"
  return $rc
}

# The test tier's share of differential fuzzing, about a minute of one core: every generator on
# the engine, the sequence generator on the checked engine too; fixed seeds, so that a failure
# reproduces (`./x fuzz --diff` takes a new seed each time).
x_wasm_diff_tier() {
  local out="$ROOT/build/wasm-fuzz/diff" rc=0
  mkdir -p "$out"
  x_wasm_diff_build || return 1
  x_wasm_diff_spec_dirs --no-corpus || return 1
  local normal="$WASM_DIFF"
  # seq: 50,000 (60,000 before SIMD, whose modules take a fifth more time: the same minute).
  x_wasm_diff_quiet "$normal" --gen seq --count 50000 --seed 12 --out "$out" || rc=1
  x_wasm_diff_quiet "$normal" --gen ttf --count 400 --seed 12 --out "$out" || rc=1
  x_wasm_diff_quiet "$normal" --gen spec --count 30000 --seed 12 --out "$out" "${WASM_DIFF_SPEC[@]}" || rc=1
  if x_wasm_diff_build checked; then
    x_wasm_diff_quiet "$WASM_DIFF" --gen seq --count 25000 --seed 13 --out "$out" || rc=1
  else
    rc=1
  fi
  return $rc
}

# help: fuzz [SECONDS] | fuzz jbd2|ext2 [SECONDS] | fuzz --diff [N] [--gen seq|ttf|spec|all] [--checked] [--seed S] [--log FILE]  libFuzzer over decode+validate+instantiate+run (default 60 s), over the journal or ext2 reader (tools/x.d/fs.sh, default 60 s), or N modules of each generator (default 1000, all) compared with wabt's interpreter
cmd_fuzz() {
  if [[ "${1:-}" == jbd2 || "${1:-}" == ext2 ]]; then
    x_fs_fuzz "$@"
    return
  fi
  if [[ "${1:-}" == --diff ]]; then
    shift
    x_wasm_fuzz_diff "$@"
    return
  fi
  local seconds="${1:-60}"
  x_wasm_fuzz_build || return 1
  local corpus="$ROOT/build/wasm-fuzz/corpus"
  x_wasm_fuzz_seed "$corpus"
  local log rc=0
  log="$(mktemp)"
  "$ROOT/build/wasm-fuzz/wasm-fuzz" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
    -timeout=10 -print_final_stats=0 -artifact_prefix="$ROOT/build/wasm-fuzz/" "$corpus" >"$log" 2>&1 || rc=$?
  if [[ $rc -ne 0 ]]; then
    grep -E -A30 'ERROR|SUMMARY|crash-|timeout-' "$log" | head -60
  fi
  grep -E '^#[0-9]+.*DONE|wasm-fuzz:' "$log" | tail -2
  rm -f "$log"
  return $rc
}

# The engine benchmark programs (tools/bench/engine/*.c) and their sizes: each runs about 1 s or
# more on this engine on the reference machine.
WASM_BENCH=(fib:-DBENCH_SCALE_FIB=37 indirect:-DBENCH_SCALE_INDIRECT=20000000
            bytecode:-DBENCH_SCALE_BYTECODE=2500000 nbody:-DBENCH_SCALE_NBODY=800000
            sort:-DBENCH_SCALE_SORT=20 sha256:-DBENCH_SCALE_SHA=3600)

# Median wall time in seconds of 3 runs of a command; the command's stdout goes to $2.
x_wasm_time3() {
  local out="$1"; shift
  local times=() i t0 t1
  for i in 1 2 3; do
    t0=$(date +%s%N)
    "$@" >"$out" 2>/dev/null || true
    t1=$(date +%s%N)
    times+=("$(( (t1 - t0) / 1000000 ))")
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n 2p | awk '{printf "%.3f", $1 / 1000}'
}

# The vectorisable engine benchmark programs: each is built twice, scalar and with -msimd128
# (clang's loop vectoriser emits WebAssembly SIMD), and both builds must compute the same result.
WASM_BENCH_SIMD=(checksum:-DBENCH_SCALE_CHECKSUM=300 matmul:-DBENCH_SCALE_MATMUL=24
                 blur:-DBENCH_SCALE_BLUR=60)
# The same programs at a test scale (a fraction of a second in the kernel under QEMU).
WASM_TEST_SIMD=(checksum:-DBENCH_SCALE_CHECKSUM=3 matmul:-DBENCH_SCALE_MATMUL=1
                blur:-DBENCH_SCALE_BLUR=2)

# Builds the vectorisable programs as WASI commands (tools/bench/engine/native_main.c prints
# run()'s result) at the test scale, scalar and with -msimd128, into
# build/apps/simd/NAME-scalar.wasm and NAME-simd.wasm, and natively (build/apps/simd/NAME.native,
# whose output is kept as NAME.expected). The initrd carries the WebAssembly builds and the
# expected outputs as /simd/ (the kernel test programs.simd_builds_print_what_...).
x_simd_programs_build() {
  local out="$ROOT/build/apps/simd" src="$ROOT/tools/bench/engine" entry name def
  mkdir -p "$out"
  x_apps_cflags
  for entry in "${WASM_TEST_SIMD[@]}"; do
    name="${entry%%:*}" def="${entry#*:}"
    if [[ -f "$out/$name-simd.wasm" && ! "$src/$name.c" -nt "$out/$name-simd.wasm" &&
          ! "$ROOT/tools/x.d/wasm.sh" -nt "$out/$name-simd.wasm" ]]; then
      continue
    fi
    "${APPS_CC[@]}" -O2 "$def" "$src/$name.c" "$src/native_main.c" -o "$out/$name-scalar.wasm" &&
      "${APPS_CC[@]}" -O2 -msimd128 "$def" "$src/$name.c" "$src/native_main.c" \
        -o "$out/$name-simd.wasm" &&
      clang-19 -O2 "$def" "$src/$name.c" "$src/native_main.c" -o "$out/$name.native" &&
      "$out/$name.native" >"$out/$name.expected" || {
      echo "x: the SIMD test program $name did not build" >&2
      return 1
    }
  done
}

# Runs each vectorisable program's scalar and SIMD builds on the hosted runner and checks both
# print what the native build prints. Prints one line per program; fails on any difference.
x_simd_programs_check() {
  x_simd_programs_build || return 1
  x_wasm_run_build || return 1
  local out="$ROOT/build/apps/simd" entry name want scalar simd rc=0 ops
  for entry in "${WASM_TEST_SIMD[@]}"; do
    name="${entry%%:*}"
    want="$(<"$out/$name.expected")"
    scalar="$("$WASM_RUN" "$out/$name-scalar.wasm" 2>&1)"
    simd="$("$WASM_RUN" "$out/$name-simd.wasm" 2>&1)"
    ops="$(wasm-objdump -d "$out/$name-simd.wasm" 2>/dev/null | grep -c -E 'v128|[ifu](8x16|16x8|32x4|64x2)')"
    if [[ "$scalar" == "$want" && "$simd" == "$want" ]]; then
      echo "simd $name: scalar and -msimd128 builds both print $want (native too; $ops SIMD instructions)"
    else
      echo "simd $name: FAILED: native printed '$want', the scalar build '$scalar', the -msimd128 build '$simd'"
      rc=1
    fi
  done
  return $rc
}

# Builds wasm-run as it was at git revision $1 into build/wasm-bench/ref (the reference of a
# before/after comparison in one run). Sets REF_RUN.
x_wasm_reference_build() {
  local rev="$1" dir="$ROOT/build/wasm-bench/ref" want
  want="$(git -C "$ROOT" rev-parse --verify "$rev^{commit}")" || return 1
  if [[ ! -f "$dir/src.rev" || "$(<"$dir/src.rev")" != "$want" ]]; then
    rm -rf "$dir/src" && mkdir -p "$dir/src"
    # -m: the files get the time of extraction, so that ninja rebuilds what changed since the last
    # revision built here (the archive's times are the commit's).
    git -C "$ROOT" archive "$want" | tar -x -m -C "$dir/src" || return 1
    echo "$want" >"$dir/src.rev"
  fi
  local saved_root="$ROOT"
  ROOT="$dir/src" x_configure "$dir/build" || { ROOT="$saved_root"; return 1; }
  ROOT="$saved_root"
  x_ninja "$dir/build" wasm-run || return 1
  REF_RUN="$dir/build/tools/wasm-run/wasm-run"
}

# help: bench engine [--against=REV]  time the engine against wabt's wasm-interp and native code (6 C programs), then the vectorisable programs scalar and -msimd128; --against=REV also times the engine of git revision REV in the same run
bench_engine() {
  local against=""
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --against=*) against="${1#--against=}"; shift ;;
      *) shift ;;
    esac
  done
  x_wasm_build || return 1
  local dir="$ROOT/build/wasm-bench" src="$ROOT/tools/bench/engine"
  mkdir -p "$dir"
  local run="$ROOT/build/host/tools/wasm-run/wasm-run" ref_head=""
  if [[ -n "$against" ]]; then
    x_wasm_reference_build "$against" || return 1
    ref_head="$(printf '%10s %8s' "$(git -C "$ROOT" rev-parse --short "$against")" now/ref)"
  fi
  printf '%-10s %12s %10s%s %12s %10s %10s %10s\n' program checksum engine "$ref_head" wasm-interp native interp/eng eng/native
  local geo_i=0 geo_n=0 geo_r=0 n=0 entry name def e r i nt ce ci cn cr tsv="$dir/engine.tsv"
  printf 'program\tWarden engine\twasm-interp\tnative\n' >"$tsv"
  for entry in "${WASM_BENCH[@]}"; do
    name="${entry%%:*}" def="${entry#*:}"
    clang-19 --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--export=run "$def" \
      "$src/$name.c" -o "$dir/$name.wasm" || return 1
    clang-19 -O2 "$def" "$src/$name.c" "$src/native_main.c" -o "$dir/$name.native" || return 1
    e=$(x_wasm_time3 "$dir/$name.eng.out" "$run" "$dir/$name.wasm" --invoke run)
    local refcol=""
    if [[ -n "$against" ]]; then
      r=$(x_wasm_time3 "$dir/$name.ref.out" "$REF_RUN" "$dir/$name.wasm" --invoke run)
      refcol="$(printf ' %9ss %7.3f' "$r" "$(awk "BEGIN{print $e / $r}")")"
      geo_r=$(awk "BEGIN{print $geo_r + log($e / $r)}")
    fi
    i=$(x_wasm_time3 "$dir/$name.interp.out" wasm-interp --run-all-exports "$dir/$name.wasm")
    nt=$(x_wasm_time3 "$dir/$name.native.out" "$dir/$name.native")
    cn=$(cat "$dir/$name.native.out")
    ce=$(x_wasm_invoke_result "$dir/$name.eng.out")
    ci=$(sed -E 's/.*i32:([0-9]+).*/\1/' "$dir/$name.interp.out")
    local mark="$cn"
    [[ "$ce" != "$cn" || "$ci" != "$cn" ]] && mark="MISMATCH($ce/$ci/$cn)"
    if [[ -n "$against" ]]; then
      cr=$(x_wasm_invoke_result "$dir/$name.ref.out")
      [[ "$cr" != "$cn" ]] && mark="MISMATCH(ref $cr/$cn)"
    fi
    printf '%-10s %12s %9ss%s %11ss %9ss %9.1fx %9.1fx\n' "$name" "$mark" "$e" "$refcol" "$i" "$nt" \
      "$(awk "BEGIN{print $i / $e}")" "$(awk "BEGIN{print $e / ($nt > 0.001 ? $nt : 0.001)}")"
    printf '%s\t%s\t%s\t%s\n' "$name" "$e" "$i" "$nt" >>"$tsv"
    geo_i=$(awk "BEGIN{print $geo_i + log($i / $e)}")
    geo_n=$(awk "BEGIN{print $geo_n + log($e / ($nt > 0.001 ? $nt : 0.001))}")
    n=$((n + 1))
  done
  printf 'geometric mean: engine is %.1fx faster than wasm-interp, %.1fx slower than native\n' \
    "$(awk "BEGIN{print exp($geo_i / $n)}")" "$(awk "BEGIN{print exp($geo_n / $n)}")"
  if [[ -n "$against" ]]; then
    printf 'geometric mean of now/ref (the engine at %s): %.3f (below 1: faster now; runs of one program differ by a few %% on this machine)\n' \
      "$against" "$(awk "BEGIN{print exp($geo_r / $n)}")"
  fi
  x_wasm_bench_simd "$dir" "$src" "$run" || return 1
  x_optional_packages "the chart" "${X_CHART_PACKAGES[@]}" || return 0
  "$X_CHART_PYTHON" "$ROOT/tools/bench/chart.py" "$ROOT/build/bench/engine.svg" \
    "The engine against wabt's wasm-interp and native code" "seconds (lower is better)" --log <"$tsv"
}

# The value a `wasm-run --invoke` output file holds, as an unsigned 32-bit number.
x_wasm_invoke_result() {
  sed -E 's/\(i32.const (-?[0-9]+)\)/\1/' "$1" | awk '{ v = $1; if (v < 0) v += 4294967296; printf "%.0f", v }'
}

# The vectorisable programs, scalar and -msimd128, on the engine (and the SIMD build on
# wasm-interp and natively), with the speedup of the SIMD build.
x_wasm_bench_simd() {  # dir src run
  local dir="$1" src="$2" run="$3" entry name def s v i nt cs cv ci cn mark geo=0 n=0
  echo
  printf '%-10s %12s %10s %10s %8s %12s %10s\n' program checksum scalar simd128 speedup wasm-interp native
  for entry in "${WASM_BENCH_SIMD[@]}"; do
    name="${entry%%:*}" def="${entry#*:}"
    clang-19 --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--export=run "$def" \
      "$src/$name.c" -o "$dir/$name.wasm" || return 1
    clang-19 --target=wasm32 -O2 -msimd128 -nostdlib -Wl,--no-entry -Wl,--export=run "$def" \
      "$src/$name.c" -o "$dir/$name.simd.wasm" || return 1
    clang-19 -O2 "$def" "$src/$name.c" "$src/native_main.c" -o "$dir/$name.native" || return 1
    s=$(x_wasm_time3 "$dir/$name.eng.out" "$run" "$dir/$name.wasm" --invoke run)
    v=$(x_wasm_time3 "$dir/$name.simd.out" "$run" "$dir/$name.simd.wasm" --invoke run)
    i=$(x_wasm_time3 "$dir/$name.interp.out" wasm-interp --run-all-exports "$dir/$name.simd.wasm")
    nt=$(x_wasm_time3 "$dir/$name.native.out" "$dir/$name.native")
    cn=$(cat "$dir/$name.native.out")
    cs=$(x_wasm_invoke_result "$dir/$name.eng.out")
    cv=$(x_wasm_invoke_result "$dir/$name.simd.out")
    ci=$(sed -E 's/.*i32:([0-9]+).*/\1/' "$dir/$name.interp.out")
    mark="$cn"
    [[ "$cs" != "$cn" || "$cv" != "$cn" || "$ci" != "$cn" ]] && mark="MISMATCH($cs/$cv/$ci/$cn)"
    printf '%-10s %12s %9ss %9ss %7.2fx %11ss %9ss\n' "$name" "$mark" "$s" "$v" \
      "$(awk "BEGIN{print $s / $v}")" "$i" "$nt"
    geo=$(awk "BEGIN{print $geo + log($s / $v)}")
    n=$((n + 1))
  done
  printf 'geometric mean: the -msimd128 build runs %.2fx as fast as the scalar build on the engine\n' \
    "$(awk "BEGIN{print exp($geo / $n)}")"
}
