# The text-format library (lib/wat): its test tier. Sourced by ./x.

X_PACKAGES+=(wabt)

# lib/wat's unit tests and its spec-suite checks (every wasm-2.0 script reads, every
# assert_malformed text module is rejected, encodings equal wast2json's, defined modules pass
# wasm-validate). Builds only wat_test, so another library's half-finished state cannot block it.
# The spec checks skip, saying so, when ../shared/wasm-spec-tests is absent.
test_tier_32_wat() {
  local dir="$ROOT/build/host"
  x_configure "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang-19 \
    -DCMAKE_CXX_COMPILER=clang++-19 || return 1
  local log
  log="$(mktemp)"
  if ! ninja -C "$dir" -j "${JOBS:-2}" tests/wat_test >"$log" 2>&1; then
    grep -E -A12 'FAILED|error' "$log" | head -80
    rm -f "$log"
    echo "x: build failed in $dir" >&2
    return 1
  fi
  rm -f "$log"
  "$dir/tests/wat_test" --gtest_brief=1 2>&1 | grep -v '^Running main' | tail -n 40
  return "${PIPESTATUS[0]}"
}
