# The text-format library (lib/wat): its test tier and the encoder check. Sourced by ./x.

X_PACKAGES+=(wabt)

# lib/wat's unit tests and its spec-suite checks (every wasm-2.0 script reads, every
# assert_malformed text module is rejected, encodings equal wast2json's, defined modules pass
# wasm-validate), then `wasm-spec --check-encoder` (cmd_wat-check in tools/x.d/wasm.sh): every
# valid text module of the 2.0 scripts (simd/ aside) encoded and accepted by wasm-validate, every
# assert_malformed text module rejected with line and column. Builds only wat_test and
# wasm-spec, so another library's half-finished state cannot block it. The spec checks skip,
# saying so, when ../shared/wasm-spec-tests is absent.
test_tier_32_wat() {
  local dir="${SPEC_HOST_DIR:-$ROOT/build/host}"
  x_configure "$dir" || return 1
  x_ninja "$dir" tests/wat_test || return 1
  local rc=0
  "$dir/tests/wat_test" --gtest_brief=1 2>&1 | grep -v '^Running main' | tail -n 40
  [[ ${PIPESTATUS[0]} -eq 0 ]] || rc=1
  if [[ -d "$WASM_SUITE_DEFAULT" ]]; then
    echo "encoder check (wasm-spec --check-encoder):"
    local out
    out="$(cmd_wat-check 2>&1)" || rc=1
    echo "$out" | tail -n 5
  else
    echo "wat: SKIPPED the encoder check: $WASM_SUITE_DEFAULT is absent"
  fi
  return $rc
}
