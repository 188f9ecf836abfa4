"""benchmarks/memory.py (repository tooling): one small run through its ``main``, figures checked for sense."""

from __future__ import annotations

import re
from pathlib import Path

from benchmarks.memory import main


def test_small_run_writes_a_row_per_command(tmp_path: Path) -> None:
    out = tmp_path / "memory.md"
    argv = ["--sizes", "12", "--solvers", "dp", "--time-limit", "5", "--hard-cap", "120"]
    assert main([*argv, "--work", str(tmp_path / "work"), "--out", str(out)]) == 0
    text = out.read_text()
    assert "PYTHONPATH=. python benchmarks/memory.py --sizes 12" in text
    assert re.search(r"load average at start \d", text)
    rows = [line.split(" | ") for line in text.splitlines() if line.startswith("| 12 |")]
    assert [row[2] for row in rows] == ["validate", "solve --solver dp"]
    for row in rows:
        assert row[3] == "0"  # exit code: a valid file, a plan
        assert 0 < float(row[4]) < 120  # wall seconds
        assert 0 <= float(row[5]) <= float(row[4])  # reading the file (a number, not "-"): part of the wall time
        assert 10 < float(row[6].replace(",", "")) < 4000  # peak RSS, MB: an interpreter, under 4 GB
    assert "valid synthetic instance" in rows[0][7]
    assert all("optimal" in row[7] for row in rows[1:])
