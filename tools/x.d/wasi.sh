# WASI preview 1 (lib/wasi): the conformance suite on the hosted runner. Sourced by ./x.

WASI_SUITE_DEFAULT="$ROOT/../shared/wasi-testsuite"

# Builds only the hosted runner (wasm-run, with lib/wasi and lib/wat) in
# ${X_WASI_BUILD_DIR:-build/host}. Prints nothing on success; sets WASM_RUN.
x_wasm_run_build() { x_host_tool_build "${X_WASI_BUILD_DIR:-$ROOT/build/host}" wasm-run WASM_RUN; }

# help: wasi-tests [DIR]     WASI conformance: every test of DIR/{c,assemblyscript} (default ../shared/wasi-testsuite) on wasm-run
cmd_wasi_tests() {
  local suite="${1:-$WASI_SUITE_DEFAULT}"
  if [[ ! -d "$suite" ]]; then
    echo "x wasi-tests: the suite folder $suite is absent" >&2
    return 2
  fi
  x_wasm_run_build || return 1
  python3 "$ROOT/tools/wasi_tests.py" --runner "$WASM_RUN" "$suite"
}
# The command is spelled `./x wasi-tests`.
cmd_wasi-tests() { cmd_wasi_tests "$@"; }

test_tier_34_wasi() {
  if [[ ! -d "$WASI_SUITE_DEFAULT" ]]; then
    echo "SKIPPED: ../shared/wasi-testsuite not found"
    return 0
  fi
  x_wasm_run_build || return 1
  local log rc=0
  log="$(mktemp)"
  python3 "$ROOT/tools/wasi_tests.py" --runner "$WASM_RUN" "$WASI_SUITE_DEFAULT" >"$log" 2>&1 || rc=$?
  grep -E '^(FAIL|SKIP) ' "$log" || true
  tail -1 "$log"
  rm -f "$log"
  return $rc
}
