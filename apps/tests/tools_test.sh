#!/usr/bin/env bash
# Host tests of the file tools in apps/src (rm, mkdir, cp, sort, ...) on wasm-run, the hosted
# runner (WASI over Linux): each tool runs against a scratch directory that it sees as /tmp, and
# its output, its messages and its exit status are checked. Files are made with the tools
# themselves (tee, touch, cp) and read back with cat. Run by `./x test` (tier 40_apps,
# tools/x.d/apps.sh).
#
# usage: tools_test.sh WASM_RUN BIN_DIR     (BIN_DIR: build/apps/bin)
set -u
RUN="$1"
BIN="$2"
SCRATCH="$(mktemp -d)"
ERRFILE="$(mktemp)"
trap 'rm -rf "$SCRATCH" "$ERRFILE"' EXIT
checks=0
failures=0

# run NAME ARGS...: runs the tool NAME with ARGS (standard input is this script's); sets OUT
# (standard output), ERR (standard error) and STATUS.
run() {
  local name="$1"
  shift
  OUT="$("$RUN" "$BIN/$name.wasm" --dir "$SCRATCH::/tmp" -- "$@" 2>"$ERRFILE")"
  STATUS=$?
  ERR="$(cat "$ERRFILE")"
}

# feed TEXT NAME ARGS...: run with TEXT (printf's format) on standard input.
feed() {
  local text="$1"
  shift
  run "$@" < <(printf "$text")
}

# expect WHAT STATUS OUT [ERR]: checks the last run's status, output and (when given) messages.
expect() {
  local what="$1" status="$2" out="$3"
  checks=$((checks + 1))
  if [[ "$STATUS" != "$status" || "$OUT" != "$out" || ($# -ge 4 && "$ERR" != "$4") ]]; then
    failures=$((failures + 1))
    echo "FAIL $what"
    echo "  status $STATUS (expected $status)"
    echo "  output: $(printf '%q' "$OUT")"
    echo "  expected: $(printf '%q' "$out")"
    if [[ $# -ge 4 ]]; then
      echo "  messages: $(printf '%q' "$ERR")"
      echo "  expected: $(printf '%q' "$4")"
    fi
  fi
}

# --- true, false, date, yes -------------------------------------------------------------------
run true
expect "true" 0 ""
run false
expect "false" 1 ""
run date
checks=$((checks + 1))
if [[ $STATUS -ne 0 || ! "$OUT" =~ ^[A-Z][a-z]{2}\ [A-Z][a-z]{2}\ [\ 0-9][0-9]\ [0-9]{2}:[0-9]{2}:[0-9]{2}\ UTC\ [0-9]{4}$ ]]; then
  failures=$((failures + 1))
  echo "FAIL date: '$OUT' (status $STATUS) is not like 'Tue Mar  4 15:09:26 UTC 2025'"
fi
run date +%Y
expect "date +FORMAT: the year, UTC" 0 "$(date -u +%Y)"
run date -u
expect "date: a bad argument" 2 "" "usage: date [+FORMAT]"
# yes | head: the reader ends, yes's next write gets EPIPE and yes ends quietly with status 0. (The
# runner would die of SIGPIPE instead; ignored here, the write fails with EPIPE as in Warden.)
OUT="$(trap '' PIPE; "$RUN" "$BIN/yes.wasm" -- hello world 2>"$ERRFILE" | head -n 3;
       echo "status ${PIPESTATUS[0]}")"
STATUS=0
ERR="$(cat "$ERRFILE")"
expect "yes | head -n 3: three lines, then EPIPE ends yes with status 0" 0 \
  "$(printf 'hello world\nhello world\nhello world\nstatus 0')" ""

# --- mkdir, rmdir, touch ----------------------------------------------------------------------
run mkdir /tmp/d
expect "mkdir" 0 ""
run mkdir /tmp/d
expect "mkdir of an existing directory" 1 "" "mkdir: /tmp/d: File exists"
run mkdir -p /tmp/d /tmp/p/q/r/
expect "mkdir -p: existing and missing parents" 0 ""
run mkdir /tmp/x/y
expect "mkdir without its parent" 1 "" "mkdir: /tmp/x/y: No such file or directory"
run mkdir
expect "mkdir without a directory" 2 "" "usage: mkdir [-p] DIR..."
run mkdir -z /tmp/z
expect "mkdir -z" 2 "" "$(printf 'mkdir: unknown option -z\nusage: mkdir [-p] DIR...')"
run touch /tmp/d/a /tmp/d/b
expect "touch creates files" 0 ""
run touch /tmp/d/a /tmp/d
expect "touch of existing files and directories" 0 ""
run touch /tmp/nodir/a
expect "touch in a missing directory" 1 "" "touch: /tmp/nodir/a: No such file or directory"
run ls /tmp/d /tmp/p/q
expect "ls after mkdir and touch" 0 "$(printf '/tmp/d:\na\nb\n\n/tmp/p/q:\nr/')"
run rmdir /tmp/p/q/r /tmp/d
expect "rmdir: an empty and a full directory" 1 "" "rmdir: /tmp/d: Directory not empty"
run rmdir /tmp/p/q/r
expect "rmdir of a missing directory" 1 "" "rmdir: /tmp/p/q/r: No such file or directory"

# --- tee, cat, cp, mv, rm ---------------------------------------------------------------------
feed 'one\ntwo\n' tee /tmp/d/a /tmp/d/c
expect "tee: to standard output and files" 0 "$(printf 'one\ntwo')"
feed 'three\n' tee -a /tmp/d/a
expect "tee -a" 0 "three"
run cat /tmp/d/a /tmp/d/c
expect "cat what tee wrote" 0 "$(printf 'one\ntwo\nthree\none\ntwo')"
feed 'x\n' tee /tmp/d/a /tmp/nodir/f
expect "tee: a file that cannot open" 1 "x" "tee: /tmp/nodir/f: No such file or directory"
run cat /tmp/d/a
expect "tee truncates" 0 "x"
run cp /tmp/d/c /tmp/d/e
expect "cp FILE FILE" 0 ""
run cp /tmp/d/c /tmp/d/e /tmp/p
expect "cp FILE... DIR" 0 ""
run cat /tmp/d/e /tmp/p/c /tmp/p/e
expect "cat the copies" 0 "$(printf 'one\ntwo\none\ntwo\none\ntwo')"
run cp /tmp/d/missing /tmp/d/f
expect "cp of a missing file" 1 "" "cp: /tmp/d/missing: No such file or directory"
run cp /tmp/d/c /tmp/d/e /tmp/d/a
expect "cp to a file that is no directory" 1 "" "cp: /tmp/d/a: Not a directory"
run cp /tmp/d/c /tmp/d/c
expect "cp onto itself" 1 "" "cp: /tmp/d/c and /tmp/d/c are the same file"
run cp /tmp/d /tmp/d2
expect "cp of a directory without -r" 1 "" "cp: /tmp/d: is a directory (-r copies it and what it holds)"
run cp -r /tmp/p /tmp/d /tmp/copy
expect "cp -r DIR... into a missing DIR" 1 "" "cp: /tmp/copy: No such file or directory"
run cp -r /tmp/p /tmp/copy
expect "cp -r DIR DIR" 0 ""
run ls /tmp/copy /tmp/copy/q
expect "ls the copied tree" 0 "$(printf '/tmp/copy:\nc\ne\nq/\n\n/tmp/copy/q:')"
run cp -r /tmp/copy /tmp/copy/q
expect "cp -r into itself" 1 "" "cp: /tmp/copy/q/copy: not copied into itself"
run mv /tmp/d/c /tmp/d/moved
expect "mv FILE FILE" 0 ""
run mv /tmp/d/moved /tmp/d/e /tmp/p/q
expect "mv FILE... DIR" 0 ""
run ls /tmp/d /tmp/p/q
expect "ls after mv" 0 "$(printf '/tmp/d:\na\nb\n\n/tmp/p/q:\ne\nmoved')"
run mv /tmp/d/nothing /tmp/d/x
expect "mv of a missing file" 1 "" "mv: /tmp/d/nothing: No such file or directory"
run mv /tmp/p /tmp/d/b/
expect "mv into a file" 1 "" "mv: /tmp/p to /tmp/d/b/: Not a directory"
run rm /tmp/x
expect "rm of a missing file" 1 "" "rm: /tmp/x: No such file or directory"
run rm -f /tmp/x
expect "rm -f of a missing file" 0 "" ""
run rm /tmp/p
expect "rm of a directory without -r" 1 "" "rm: /tmp/p: is a directory (-r removes it and what it holds)"
run rm /tmp/d/a /tmp/d/b
expect "rm FILE..." 0 ""
run rm -r /tmp/p /tmp/copy /tmp/d
expect "rm -r" 0 ""
run rm -r /tmp/.. /tmp/.
expect "rm refuses . and .." 1 "" \
  "$(printf "rm: /tmp/..: refusing to remove '/', '.' or '..'\nrm: /tmp/.: refusing to remove '/', '.' or '..'")"
run ls /tmp
expect "rm -r left nothing" 0 ""

# --- head, tail, sort, uniq -------------------------------------------------------------------
feed '1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n' tee /tmp/twelve
run head /tmp/twelve
expect "head: ten lines" 0 "$(seq 1 10)"
run head -n 3 /tmp/twelve
expect "head -n 3" 0 "$(seq 1 3)"
run head -c 5 /tmp/twelve
expect "head -c 5" 0 "$(printf '1\n2\n3')"
feed 'a\nb\nc' head -n 2
expect "head -n 2 of standard input" 0 "$(printf 'a\nb')"
run head -n 1 /tmp/twelve /tmp/twelve
expect "head of two files" 0 "$(printf '==> /tmp/twelve <==\n1\n\n==> /tmp/twelve <==\n1')"
run head -n x /tmp/twelve
expect "head -n x" 2 "" "$(printf 'head: -n x: not a count\nusage: head [-n N | -c N] [FILE...]')"
run head -n
expect "head -n without a value" 2 "" "$(printf 'head: option -n needs a value\nusage: head [-n N | -c N] [FILE...]')"
run head /tmp/none
expect "head of a missing file" 1 "" "head: /tmp/none: No such file or directory"
run tail -n 3 /tmp/twelve
expect "tail -n 3" 0 "$(seq 10 12)"
run tail /tmp/twelve
expect "tail: ten lines" 0 "$(seq 3 12)"
feed 'a\nb\nc' tail -n 2
expect "tail of a last line without a newline" 0 "$(printf 'b\nc')"
run tail -n 0 /tmp/twelve
expect "tail -n 0" 0 ""
# 200,000 lines (1.3 MB) through tail's window; the last 2 only are kept.
run tail -n 2 < <(seq 1 200000)
expect "tail -n 2 of 200,000 lines" 0 "$(printf '199999\n200000')"
feed 'pear\napple\nfig\napple\n' sort
expect "sort" 0 "$(printf 'apple\napple\nfig\npear')"
feed 'pear\napple\nfig\napple' sort -r -u
expect "sort -r -u" 0 "$(printf 'pear\nfig\napple')"
feed '10 b\n9\n-1.5\n10 a\nx\n' sort -n
expect "sort -n" 0 "$(printf -- '-1.5\nx\n9\n10 a\n10 b')"
feed '3\n1\n3\n2\n' tee /tmp/numbers
run sort -n -u -r /tmp/numbers /tmp/twelve
expect "sort -nur of two files" 0 "$(seq 12 -1 1)"
run sort /tmp/none
expect "sort of a missing file" 1 "" "sort: /tmp/none: No such file or directory"
# More than sort holds (16 MiB): an error, nothing printed.
run sort < <(head -c 17000000 /dev/zero | tr '\0' 'x' | fold -w 100)
expect "sort past its bound" 1 "" "sort: standard input: input over 16 MiB (sort holds all of it in memory)"
# Short lines reach the bound sooner: each costs sort a record beside its text.
run sort < <(head -c 1200000 /dev/zero | tr '\0' '\n')
expect "sort of 1,200,000 empty lines" 1 "" "sort: standard input: input over 16 MiB (sort holds all of it in memory)"
feed 'nan\n2\n-inf\n1\n' sort -n
expect "sort -n with nan and -inf" 0 "$(printf -- '-inf\nnan\n1\n2')"
feed 'a\na\nb\na\n\n\n' uniq
expect "uniq" 0 "$(printf 'a\nb\na\n')"
feed 'a\na\nb\na\n' tee /tmp/letters
run uniq -c /tmp/letters
expect "uniq -c" 0 "$(printf '      2 a\n      1 b\n      1 a')"
run uniq /tmp/letters /tmp/other
expect "uniq with two files" 2 "" "usage: uniq [-c] [FILE]"

# --- wc, cksum --------------------------------------------------------------------------------
feed 'one two\nthree\n' wc
expect "wc of standard input" 0 "      2       3      14"
feed 'one two\nthree\n' wc -l
expect "wc -l of standard input: the count alone" 0 "2"
run wc -lc /tmp/letters /tmp/twelve
expect "wc -lc of two files, and a total" 0 \
  "$(printf '      4       8 /tmp/letters\n     12      27 /tmp/twelve\n     16      35 total')"
run wc -x
expect "wc -x" 2 "" "$(printf 'wc: unknown option -x\nusage: wc [-lwc] [FILE...]')"
cp "$SCRATCH/twelve" "$SCRATCH/twelve.host"
run cksum /tmp/twelve
expect "cksum of a file: the POSIX checksum, as the host's cksum gives it" 0 \
  "$(cd "$SCRATCH" && cksum twelve.host | sed 's| twelve.host| /tmp/twelve|')"
feed '' cksum
expect "cksum of empty standard input" 0 "4294967295 0"
run rm /tmp/twelve /tmp/twelve.host /tmp/numbers /tmp/letters
expect "rm the inputs" 0 ""

echo "tools_test: $checks checks, $failures failed"
[[ $failures -eq 0 ]]
