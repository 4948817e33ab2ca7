#!/usr/bin/env python3
"""tools/wasi_tests.py compares what a test's JSON gives, and only that: the exit code (default 0)
always, stdout and stderr only when specified. Runs the comparison against a fake runner."""
import json
import os
import pathlib
import stat
import sys
import tempfile
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "tools"))
import wasi_tests  # noqa: E402


class CompareTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = pathlib.Path(self.tmp.name)
        self.runner = self.dir / "runner"
        # Prints "out" and "err" and exits 3, whatever it runs.
        self.runner.write_text("#!/bin/sh\nprintf out\nprintf err >&2\nexit 3\n")
        self.runner.chmod(self.runner.stat().st_mode | stat.S_IEXEC)
        self.wasm = self.dir / "t.wasm"
        self.wasm.write_bytes(b"")

    def tearDown(self):
        self.tmp.cleanup()

    def run_with(self, spec):
        self.wasm.with_suffix(".json").write_text(json.dumps(spec))
        return wasi_tests.run_test(self.runner, self.dir, self.wasm)

    def test_unspecified_streams_are_not_compared(self):
        self.assertEqual(self.run_with({"exit_code": 3}), "")

    def test_specified_streams_must_match_exactly(self):
        self.assertEqual(self.run_with({"exit_code": 3, "stdout": "out", "stderr": "err"}), "")
        self.assertIn("expected stdout", self.run_with({"exit_code": 3, "stdout": ""}))
        self.assertIn("expected stderr", self.run_with({"exit_code": 3, "stderr": "er"}))

    def test_exit_code_defaults_to_zero(self):
        self.assertIn("expected exit code 0, got 3", self.run_with({}))


if __name__ == "__main__":
    unittest.main()
