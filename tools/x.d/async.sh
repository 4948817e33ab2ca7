# The executor (lib/async): its ThreadSanitizer test tier and its benchmark. Sourced by ./x.

X_PACKAGES+=(libbenchmark-dev libboost-dev)

# Builds the test binary $1 (async_test, ipc_test) under ThreadSanitizer in build/host-tsan and
# runs it; its status.
x_tsan_test() {
  local dir="$ROOT/build/host-tsan"
  x_configure "$dir" tsan || return 1
  x_ninja "$dir" "$1" || return 1
  # halt_on_error: a data race fails the run even if every assertion passed.
  TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}" "$dir/tests/$1" --gtest_brief=1 2>&1 |
    tail -n 25
  return "${PIPESTATUS[0]}"
}

# The executor's tests under ThreadSanitizer (the plain and ASan builds run them with the others).
test_tier_16_async_tsan() { x_tsan_test async_test; }

# Builds the executor's benchmark (tools/bench-async; only when Google Benchmark is installed)
# in the host tree: that target alone. Sets BENCH_ASYNC.
x_bench_async_build() {
  local dir="$ROOT/build/host"
  x_configure "$dir" || return 1
  BENCH_ASYNC="$dir/tools/bench-async/bench_async"
  # The whole list first: under pipefail, `| grep -q` can stop reading early and fail ninja with
  # SIGPIPE (a fresh tree's list is long enough for it).
  local targets
  targets="$(ninja -C "$dir" -t targets all 2>/dev/null)" || true
  if ! grep -q '^bench_async:' <<<"$targets"; then
    echo "x bench: no target bench_async in $dir (is libbenchmark-dev installed?)" >&2
    return 1
  fi
  x_ninja "$dir" bench_async || return 1
  if [[ ! -x "$BENCH_ASYNC" ]]; then
    echo "x bench: $BENCH_ASYNC was not built (is libbenchmark-dev installed?)" >&2
    return 1
  fi
}

# Prints the executor's benchmark figures (host, 1 and 2 workers). The lead's `./x bench` calls
# this; extra arguments go to Google Benchmark (e.g. --benchmark_filter=ping_pong).
bench_async() {
  x_bench_async_build || return 1
  "$BENCH_ASYNC" --benchmark_counters_tabular=true "$@"
}

# The tokio reference (tools/bench-async/tokio): packages that only the benchmark needs, so
# ./x setup (and CI) leaves them out and `./x bench executor` installs them the first time it
# runs (x_optional_packages in ./x).
X_TOKIO_PACKAGES=(librust-tokio-dev cargo)

# Builds the tokio reference offline with Debian's cargo and rustc (/usr/bin: another cargo on
# PATH writes a lock file Debian's cannot read) against Debian's crate registry, all under
# build/bench/tokio: a CARGO_HOME whose config.toml replaces crates.io with the directory
# /usr/share/cargo/registry, a copy of the crate (so that Cargo.lock stays out of the tree) and
# the target folder. Sets TOKIO_REFERENCE and TOKIO_LABEL; without the packages prints why the
# reference is skipped and fails.
x_tokio_build() {
  x_optional_packages "the tokio reference" "${X_TOKIO_PACKAGES[@]}" || return 1
  local dir="$ROOT/build/bench/tokio" log
  mkdir -p "$dir/cargo-home" "$dir/crate"
  printf '%s\n' '[source.crates-io]' 'replace-with = "debian"' '' '[source.debian]' \
    'directory = "/usr/share/cargo/registry"' '' '[net]' 'offline = true' \
    >"$dir/cargo-home/config.toml"
  cp -rp "$ROOT/tools/bench-async/tokio/Cargo.toml" "$ROOT/tools/bench-async/tokio/src" \
    "$dir/crate/"
  log="$(mktemp)"
  if ! CARGO_HOME="$dir/cargo-home" RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc \
      /usr/bin/cargo build --release --offline --manifest-path "$dir/crate/Cargo.toml" \
      --target-dir "$dir/target" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    rm -f "$log"
    echo "x bench: the tokio reference skipped: it did not build (above)"
    return 1
  fi
  rm -f "$log"
  TOKIO_REFERENCE="$dir/target/release/tokio-reference"
  local version
  version="$(grep -A1 '^name = "tokio"$' "$dir/crate/Cargo.lock" |
    sed -n 's/^version = "\(.*\)"/\1/p')"
  TOKIO_LABEL="tokio ${version:-?} multi_thread runtime"
}

# `./x bench executor`: the executor's workloads (host, 1 and 2 workers) beside the same
# workloads on Boost.Asio's thread_pool (in bench_async) and on tokio's multi-threaded runtime
# (x_tokio_build), as one table and a chart (build/bench/executor.svg). The programs run in
# turn, X_BENCH_ROUNDS rounds (default 3; each round runs every figure once, in random order);
# each figure is the median of its rounds. Then the kernel's figures (x_executor_kernel_figures;
# X_BENCH_KERNEL=0 leaves them out). About four minutes. Extra arguments go to Google Benchmark
# (e.g. --benchmark_filter=yield; the tokio reference takes it as a plain substring).
bench_executor() {
  x_bench_async_build || return 1
  local tokio="" filter="" arg
  x_tokio_build && tokio="$TOKIO_REFERENCE"
  x_optional_packages "the chart" "${X_CHART_PACKAGES[@]}" || true
  for arg in "$@"; do
    [[ "$arg" == --benchmark_filter=* ]] && filter="${arg#--benchmark_filter=}"
  done
  local rounds="${X_BENCH_ROUNDS:-3}" round dir
  dir="$(mktemp -d)"
  echo "x bench executor: $rounds rounds of bench_async (Warden, Boost.Asio)${tokio:+ and the tokio reference}, in turn..."
  for ((round = 1; round <= rounds; round++)); do
    if ! "$BENCH_ASYNC" --benchmark_min_time=0.5 --benchmark_enable_random_interleaving=true \
        --benchmark_out="$dir/async-$round.json" --benchmark_out_format=json "$@" \
        >"$dir/log" 2>&1; then
      tail -n 20 "$dir/log" >&2
      rm -rf "$dir"
      echo "x bench: bench_async failed" >&2
      return 1
    fi
    if [[ -n "$tokio" ]] && ! "$tokio" --min-time=0.5 --filter="$filter" \
        --reference="$TOKIO_LABEL" --out="$dir/tokio-$round.json" 2>"$dir/log"; then
      tail -n 20 "$dir/log" >&2
      rm -rf "$dir"
      echo "x bench: the tokio reference failed" >&2
      return 1
    fi
  done
  # The table below replaces Google Benchmark's console report (and repeats its Boost.Asio note).
  local status=0
  "$X_CHART_PYTHON" "$ROOT/tools/bench-async/executor_table.py" --svg "$ROOT/build/bench/executor.svg" \
    "$dir"/*.json || status=$?
  rm -rf "$dir"
  [[ "$status" == 0 ]] || return "$status"
  [[ "${X_BENCH_KERNEL:-1}" == 0 ]] && return 0
  echo
  x_executor_kernel_figures
}

# The kernel half of `./x bench executor`: boots the kernel (no initrd) at --smp 1, 2 and 4 with
# the manual test bench.executor (kernel/ktest/executor_bench.cc) and prints its figures as one
# table and a chart (build/bench/executor-kernel.svg).
x_executor_kernel_figures() {
  x_kernel_build || return 1
  local dir smp
  dir="$(mktemp -d)"
  echo "x bench executor: the kernel's executor under QEMU at --smp 1, 2 and 4..."
  for smp in 1 2 4; do
    if ! python3 "$ROOT/tools/qemu/qemu.py" --kernel "$KERNEL_ELF" --smp "$smp" --mem 256M \
        --timeout 600 -- "test=bench.executor" | tr -d '\r' >"$dir/smp$smp.log" ||
        ! grep -q '^ktest: 1 passed, 0 failed' "$dir/smp$smp.log"; then
      tail -n 20 "$dir/smp$smp.log" >&2
      rm -rf "$dir"
      echo "x bench: bench.executor failed at --smp $smp" >&2
      return 1
    fi
  done
  local status=0
  "$X_CHART_PYTHON" "$ROOT/tools/bench-async/kernel_table.py" --svg "$ROOT/build/bench/executor-kernel.svg" \
    "$dir"/smp*.log || status=$?
  rm -rf "$dir"
  return "$status"
}
