# The programs in apps/ (WebAssembly, C against Debian's wasi-libc): their build and test tier.
# Sourced by ./x.

X_PACKAGES+=(wasi-libc libclang-rt-19-dev-wasm32 wabt)
# The HTTP clients of the network tests: curl (apps/tests/httpd_test.py, the kernel's network
# tests), wrk and ab (apache2-utils) for the load test and `./x bench net`.
X_PACKAGES+=(curl wrk apache2-utils)

# A program is apps/src/NAME.c or a folder apps/src/NAME/ of .c files; every program also links
# apps/lib/*.c (the startup code that enters the working directory) and sees apps/include.
#
# Debian's wasi-libc lives where clang-19 looks by default (/usr/include/wasm32-wasi,
# /usr/lib/wasm32-wasi); a wasi-sdk style sysroot is used instead when WASI_SYSROOT names one or
# /usr/share/wasi-sysroot exists. Sets APPS_CC, APPS_CFLAGS and APPS_COMMON (apps/lib/*.c).
x_apps_cflags() {
  APPS_CC=(clang-19 --target=wasm32-wasi)
  local sysroot="${WASI_SYSROOT:-}"
  [[ -z "$sysroot" && -d /usr/share/wasi-sysroot/include ]] && sysroot=/usr/share/wasi-sysroot
  [[ -n "$sysroot" ]] && APPS_CC+=(--sysroot="$sysroot")
  APPS_CFLAGS=(-std=c11 -D_POSIX_C_SOURCE=200809L -O2 -g0 -Wall -Wextra -Werror
               -Wno-unused-parameter -I"$ROOT/apps/include" -I"$ROOT/apps/lib")
  APPS_COMMON=("$ROOT"/apps/lib/*.c)
  [[ -e "${APPS_COMMON[0]}" ]] || APPS_COMMON=()
}

# Ends a build of programs from folder $2 into folder $1 (KIND names them in the message): a
# program whose source ($2/NAME.c, $2/NAME.wat or the folder $2/NAME) is gone must not linger in
# the initrd; fails, naming them, when the programs after KIND did not build.
x_apps_finish() {  # out src kind [failed...]
  local out="$1" src="$2" kind="$3" bin name
  shift 3
  for bin in "$out"/*.wasm; do
    [[ -e "$bin" ]] || continue
    name="$(basename "$bin" .wasm)"
    [[ -e "$src/$name.c" || -e "$src/$name.wat" || -d "$src/$name" ]] || rm -f "$bin"
  done
  if [[ $# -gt 0 ]]; then
    echo "x apps: these $kind did not build: $*" >&2
    return 1
  fi
}

# Compiles and links one program; prints the compiler's messages and fails on any error. The link
# is a separate step without -O so that clang does not run binaryen's wasm-opt over the result:
# wasm-opt would drop the name section, which the kernel uses to name functions in trap reports.
x_apps_link() {  # name out sources...
  local name="$1" out="$2"; shift 2
  local tmp src objs=() log
  tmp="$(mktemp -d)"
  log="$tmp/log"
  for src in "$@"; do
    objs+=("$tmp/$(basename "$src" .c).$((${#objs[@]})).o")
    if ! "${APPS_CC[@]}" "${APPS_CFLAGS[@]}" -c "$src" -o "${objs[-1]}" >"$log" 2>&1; then
      cat "$log" >&2
      echo "x apps: FAILED to compile ${src#"$ROOT"/} (program $name)" >&2
      rm -rf "$tmp"
      return 1
    fi
    if [[ -s "$log" ]]; then cat "$log" >&2; fi  # warnings that are not errors (none with -Werror)
  done
  # Linked under its final name (the name section records it), then moved into place whole.
  if ! "${APPS_CC[@]}" -Wl,--strip-debug "${objs[@]}" -o "$tmp/$name.wasm" >"$log" 2>&1; then
    cat "$log" >&2
    echo "x apps: FAILED to link $name" >&2
    rm -rf "$tmp"
    return 1
  fi
  mv "$tmp/$name.wasm" "$out"
  rm -rf "$tmp"
}

# Builds every program into build/apps/bin/NAME.wasm. A program is rebuilt when its output is
# older than any of its sources, apps/include, apps/lib or this script. Prints one line per program
# built; fails (after trying the others) when any program does not build.
x_apps_build() {
  local out="$ROOT/build/apps/bin" src name srcs bin failed=()
  mkdir -p "$out"
  x_apps_cflags
  for src in "$ROOT"/apps/src/*; do
    name="$(basename "$src" .c)"
    if [[ -d "$src" ]]; then
      srcs=("$src"/*.c)
    elif [[ "$src" == *.c ]]; then
      srcs=("$src")
    else
      continue
    fi
    bin="$out/$name.wasm"
    if [[ -f "$bin" ]] && [[ -z "$(find "$src" "$ROOT/apps/include" "$ROOT/apps/lib" \
        "$ROOT/tools/x.d/apps.sh" -newer "$bin" -print -quit 2>/dev/null)" ]]; then
      continue
    fi
    if x_apps_link "$name" "$bin" "${srcs[@]}" "${APPS_COMMON[@]}"; then
      echo "apps: built bin/$name.wasm ($(stat -c %s "$bin") bytes)"
    else
      failed+=("$name")
    fi
  done
  x_apps_finish "$out" "$ROOT/apps/src" programs "${failed[@]}"
}

# The programs the kernel's tests and benchmarks run, each packed into the initrd under its own
# folder: apps/hostile (programs that attack the kernel, run by the kernel's hostile.* tests,
# kernel/ktest/hostile_*.cc) as /hostile/NAME.wasm, apps/bench (the guest side of `./x bench`
# figures) as /bench/NAME.wasm, apps/disk (file-system checks: fsconf, run on the hosted runner by
# tier 40_apps and in Warden by tests/boot/boot_test.py) as /disk/NAME.wasm. NAME.c is built like
# an app (C against wasi-libc), NAME.wat is assembled by wabt's wat2wasm, into
# build/apps/FOLDER/NAME.wasm. Fails when one does not build.
x_test_programs_build() {  # folder (hostile, bench or disk)
  local folder="$1" out="$ROOT/build/apps/$1" src name bin failed=()
  mkdir -p "$out"
  x_apps_cflags
  for src in "$ROOT/apps/$folder"/*.c "$ROOT/apps/$folder"/*.wat; do
    [[ -e "$src" ]] || continue
    name="$(basename "${src%.*}")"
    bin="$out/$name.wasm"
    if [[ -f "$bin" && ! "$src" -nt "$bin" && ! "$ROOT/apps/include/warden.h" -nt "$bin" ]]; then
      continue
    fi
    if [[ "$src" == *.wat ]]; then
      # (The 3.0 features the hostile programs use; the others need none.)
      wat2wasm --enable-multi-memory --enable-tail-call --enable-memory64 "$src" -o "$bin" ||
        failed+=("$name")
    elif ! x_apps_link "$name" "$bin" "$src" "${APPS_COMMON[@]}"; then
      failed+=("$name")
    fi
  done
  x_apps_finish "$out" "$ROOT/apps/$folder" "$folder programs" "${failed[@]}"
}

# help: apps                 build the WebAssembly programs in apps/ into build/apps/bin (incremental)
cmd_apps() {
  x_apps_build || return 1
  echo "apps: $(ls "$ROOT/build/apps/bin" | wc -l) programs in build/apps/bin"
}

# The programs build; every module is valid (wabt's wasm-validate) and imports only from
# wasi_snapshot_preview1 and warden; the shell's parser and line editor pass their host tests
# (apps/tests/sh_test.c, native, under ASan and UBSan); the file tools pass theirs on the hosted
# runner (apps/tests/tools_test.sh, wasm-run), and so does httpd, serving a scratch folder on
# 127.0.0.1 (apps/tests/httpd_test.py, wasm-run --tcplisten).
test_tier_40_apps() {
  x_apps_build || return 1
  local bin bad=0 imports
  for bin in "$ROOT"/build/apps/bin/*.wasm; do
    if ! wasm-validate "$bin" >/dev/null 2>&1; then
      echo "apps: $(basename "$bin") is not a valid module:"
      wasm-validate "$bin" 2>&1 | head -5
      bad=1
    fi
    imports="$(wasm-objdump -x -j Import "$bin" 2>/dev/null | sed -n 's/.* <- \([^.]*\)\..*/\1/p' |
      sort -u | grep -v -x -e wasi_snapshot_preview1 -e warden || true)"
    if [[ -n "$imports" ]]; then
      echo "apps: $(basename "$bin") imports from modules other than WASI and warden: $imports"
      bad=1
    fi
  done
  local count
  count="$(find "$ROOT/build/apps/bin" -name '*.wasm' | wc -l)"
  echo "apps: $count programs valid, importing only WASI and warden"
  local test="$ROOT/build/apps/sh_test"
  clang-19 -std=c11 -D_POSIX_C_SOURCE=200809L -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter \
    -fsanitize=address,undefined -fno-sanitize-recover=undefined -I"$ROOT/apps/src/sh" \
    "$ROOT/apps/tests/sh_test.c" "$ROOT/apps/src/sh/parse.c" "$ROOT/apps/src/sh/line.c" \
    -o "$test" || return 1
  "$test" || bad=1
  x_wasm_run_build || return 1
  bash "$ROOT/apps/tests/tools_test.sh" "$WASM_RUN" "$ROOT/build/apps/bin" || bad=1
  timeout 300 python3 "$ROOT/apps/tests/httpd_test.py" "$WASM_RUN" "$ROOT/build/apps/bin" || bad=1
  # The file-system conformance checks (apps/disk/fsconf.c) on a Linux folder: the reference that
  # Warden's file systems are held to (tests/boot/boot_test.py runs the same program in Warden).
  x_test_programs_build disk || return 1
  local dir
  dir="$(mktemp -d)"
  "$WASM_RUN" "$ROOT/build/apps/disk/fsconf.wasm" --dir "$dir::/d" -- /d || bad=1
  rm -rf "$dir"
  return $bad
}
