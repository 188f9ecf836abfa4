"""The command line on a DAG instance: validate, solve (auto), compare, export without a layer model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scission_opt.cli import main
from tests.dag.test_evaluate import _diamond


@pytest.fixture
def diamond_file(tmp_path: Path) -> Path:
    path = tmp_path / "diamond.json"
    _diamond(return_output=True).save(path)
    return path


def test_validate_and_solve_a_dag(diamond_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(diamond_file)]) == 0
    assert "DAG" in capsys.readouterr().out
    assert main(["solve", str(diamond_file), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["solver"] == "dag-mincut" and out["status"] == "optimal"


def test_compare_has_every_dag_solver_agree(diamond_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(diamond_file), "--top", "2"]) == 0
    out = capsys.readouterr().out
    for name in ("dag-mincut", "dag-cpsat", "dag-exhaustive"):
        assert name in out
    assert "DIFFERS" not in out


def test_export_needs_a_layer_level_instance(
    diamond_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the diamond's model name is not a Keras application: one error line, exit 2
    pytest.importorskip("keras")
    code = main(["solve", str(diamond_file), "--export-models", str(tmp_path / "parts")])
    assert code == 2
    assert capsys.readouterr().err.startswith("error: ")
