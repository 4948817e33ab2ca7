# The kernel-object model (lib/ipc): its tests under ThreadSanitizer (the plain and ASan builds
# run them with the others), in the executor's TSan build folder. Sourced by ./x.

test_tier_17_ipc_tsan() {
  local dir="$ROOT/build/host-tsan"
  x_configure "$dir" tsan || return 1
  x_ninja "$dir" ipc_test || return 1
  # halt_on_error: a data race fails the run even if every assertion passed.
  TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}" "$dir/tests/ipc_test" --gtest_brief=1 2>&1 |
    tail -n 25
  return "${PIPESTATUS[0]}"
}
