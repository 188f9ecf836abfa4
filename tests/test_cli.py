"""The command line, through main([...]) and once as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scission_opt.cli import main

from .conftest import DATA

TINY = str(DATA / "tiny.json")


def test_solve_prints_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", TINY]) == 0
    out = capsys.readouterr().out
    assert "optimal" in out and "latency = 1.4" in out
    assert "pi -> gpu" in out and "cloud" in out


def test_solve_json_top_k(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", TINY, "--top", "3", "--json", "--solver", "exhaustive"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "optimal"
    values = [p["objective"] for p in data["plans"]]
    assert len(values) == 3 and values == sorted(values)
    assert values[0] == pytest.approx(1.4)
    assert data["plans"][0]["plan"]["tiers"][2] == {
        "tier": "cloud",
        "system": "gpu",
        "used": True,
        "nodes": [0, 2],
        "layers": [0, 5],
    }


def test_weighted_objective_from_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["solve", TINY, "--objective", "weighted", "--weight", "latency=1", "--weight", "energy=2", "--json"]) == 0
    )
    data = json.loads(capsys.readouterr().out)
    m = data["plans"][0]["metrics"]
    assert data["objective"] == pytest.approx(m["latency_s"] + 2 * m["energy_j"])


@pytest.mark.parametrize(
    "argv, words",
    [
        (["solve", TINY, "--weight", "latency"], "expected NAME=NUMBER"),
        (["solve", TINY, "--objective", "speed"], "unknown objective 'speed'"),
        (["solve", TINY, "--objective", "no_such_module:thing"], "cannot import"),
    ],
)
def test_bad_options_one_line_exit_2(argv: list[str], words: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0]


def test_unknown_solver_is_an_argparse_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["solve", TINY, "--solver", "gurobi"])
    assert info.value.code == 2
    assert "invalid choice: 'gurobi'" in capsys.readouterr().err


def test_infeasible_exit_1_with_explanation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(Path(TINY).read_text())
    data["constraints"] = {"deadline_s": 1.3, "privacy_nodes": 1}
    path = tmp_path / "infeasible.json"
    path.write_text(json.dumps(data))
    assert main(["solve", str(path)]) == 1
    out = capsys.readouterr().out
    assert "infeasible" in out and "deadline" in out


def test_validate_and_generate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "g.json"
    assert main(["generate", "-o", str(out), "--nodes", "12", "--systems", "2", "--seed", "4", "--constrained"]) == 0
    assert main(["validate", str(out)]) == 0
    text = capsys.readouterr().out
    assert "12 nodes" in text and "privacy" in text and "energy_budget" in text
    assert json.loads(out.read_text())["provenance"].startswith("synthetic")


def test_compare_agrees(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", TINY, "--top", "2"]) == 0
    out = capsys.readouterr().out
    assert "exhaustive" in out and "DIFFERS" not in out and "agrees" in out


def test_module_entry_point_runs_as_a_process() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "scission_opt", "solve", TINY, "--json"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["objective"] == pytest.approx(1.4)


def test_closed_pipe_is_quiet(tmp_path: Path) -> None:
    """``solve ... | head -c 10``: no traceback when the reader stops early (output well over a pipe buffer)."""
    instance = tmp_path / "g.json"
    assert main(["generate", "-o", str(instance), "--nodes", "12", "--systems", "2"]) == 0
    proc = subprocess.run(
        f"{sys.executable} -m scission_opt solve {instance} --json --top 300 --solver exhaustive | head -c 10",
        shell=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr
