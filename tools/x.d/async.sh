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

# Builds the host tree and with it the executor's benchmark when Google Benchmark is installed
# (tools/bench-async). Sets BENCH_ASYNC.
x_bench_async_build() {
  x_host_build || return 1
  BENCH_ASYNC="$ROOT/build/host/tools/bench-async/bench_async"
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

# `./x bench executor`: the executor's workloads (host, 1 and 2 workers) beside the same workloads
# on Boost.Asio's thread_pool, in one run of bench_async, as one table (median of 3 repetitions).
# Takes about a minute. Extra arguments go to Google Benchmark (e.g. --benchmark_filter=yield).
bench_executor() {
  x_bench_async_build || return 1
  local json log
  json="$(mktemp --suffix=.json)"
  log="$(mktemp)"
  echo "x bench executor: running bench_async, 3 repetitions per figure (about a minute)..."
  # The table below replaces Google Benchmark's console report (and repeats its Boost.Asio note).
  if ! "$BENCH_ASYNC" --benchmark_repetitions=3 --benchmark_min_time=0.5 \
      --benchmark_out="$json" --benchmark_out_format=json "$@" >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    rm -f "$json" "$log"
    echo "x bench: bench_async failed" >&2
    return 1
  fi
  rm -f "$log"
  local status=0
  python3 "$ROOT/tools/bench-async/executor_table.py" "$json" || status=$?
  rm -f "$json"
  return "$status"
}
