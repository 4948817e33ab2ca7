#!/usr/bin/env python3
"""WASI preview 1 conformance: runs ../shared/wasi-testsuite's precompiled tests on wasm-run.

usage: wasi_tests.py --runner PATH/wasm-run [DIR]

DIR (default ../shared/wasi-testsuite) holds c/ and assemblyscript/: every NAME.wasm is a test,
NAME.json (optional) gives args, env, root (preopened as the guest's "/", the only preopen),
exit_code (default 0), stdout and stderr. stdout and stderr are compared only when the JSON gives
them, as the suite's own runner does (wasi-testsuite's test-runner: its stdout validator passes
when no stdout is specified). Tests run on a temporary copy of each folder, with `*.cleanup`
removed before and after. Prints PASS/FAIL/SKIP per test and `N passed, N failed, N skipped`;
exits 1 when a test failed, 2 when DIR holds none of the suites.
"""
import argparse
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
SUITES = ["c", "assemblyscript"]
# Tests this runner does not run, with the reason (none at present).
SKIP = {}


def clean(folder):
    for p in folder.rglob("*.cleanup"):
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink()


def short(data):
    text = data.decode("utf-8", "replace")
    return json.dumps(text if len(text) <= 80 else text[:77] + "...")


def run_test(runner, folder, wasm):
    spec = {}
    cfg = wasm.with_suffix(".json")
    if cfg.exists():
        spec = json.loads(cfg.read_text())
    cmd = [str(runner), wasm.name]
    if "root" in spec:
        cmd += ["--dir", f"{spec['root']}::/"]
    for key, value in spec.get("env", {}).items():
        cmd += ["--env", f"{key}={value}"]
    cmd += ["--"] + [str(a) for a in spec.get("args", [])]
    try:
        proc = subprocess.run(cmd, cwd=folder, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=120, env={})
    except subprocess.TimeoutExpired:
        return "timed out after 120 s"
    want_code = spec.get("exit_code", 0)
    problems = []
    if proc.returncode != want_code:
        problems.append(f"expected exit code {want_code}, got {proc.returncode}")
    for stream, got in (("stdout", proc.stdout), ("stderr", proc.stderr)):
        if stream not in spec:
            continue
        want = spec[stream].encode()
        if got != want:
            problems.append(f"expected {stream} {short(want)}, got {short(got)}")
    return "; ".join(problems)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runner", required=True)
    parser.add_argument("dir", nargs="?", default=str(ROOT.parent / "shared" / "wasi-testsuite"))
    opts = parser.parse_args()
    suite = pathlib.Path(opts.dir).resolve()
    runner = pathlib.Path(opts.runner).resolve()
    passed = failed = skipped = 0
    if not any((suite / name).is_dir() for name in SUITES):
        print(f"wasi_tests.py: {suite} holds none of {', '.join(SUITES)}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="wasi-tests-") as tmp:
        for name in SUITES:
            src = suite / name
            if not src.is_dir():
                continue
            folder = pathlib.Path(tmp) / name
            shutil.copytree(src, folder, symlinks=True)
            # The data may be read-only; the copy must be writable for the tests that write.
            for p in [folder, *folder.rglob("*")]:
                if not p.is_symlink():
                    p.chmod(p.stat().st_mode | 0o200)
            clean(folder)
            for wasm in sorted(folder.glob("*.wasm")):
                test = f"{name}/{wasm.stem}"
                if test in SKIP:
                    print(f"SKIP {test}: {SKIP[test]}")
                    skipped += 1
                    continue
                problem = run_test(runner, folder, wasm)
                clean(folder)
                if problem:
                    print(f"FAIL {test}: {problem}")
                    failed += 1
                else:
                    print(f"PASS {test}")
                    passed += 1
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
