# The kernel-object model (lib/ipc): its tests under ThreadSanitizer (the plain and ASan builds
# run them with the others). Sourced by ./x.

# Same build folder and configuration as the executor's tier (tools/x.d/async.sh).
test_tier_17_ipc_tsan() {
  local dir="$ROOT/build/host-tsan"
  if [[ ! -f "$dir/build.ninja" ]]; then
    cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
      -DWARDEN_SANITIZE=thread >/dev/null || return 1
  fi
  x_ninja "$dir" ipc_test || return 1
  # halt_on_error: a data race fails the run even if every assertion passed.
  TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}" "$dir/tests/ipc_test" --gtest_brief=1 2>&1 |
    tail -n 25
  return "${PIPESTATUS[0]}"
}
