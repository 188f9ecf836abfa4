"""Command-line options and help: --version, --weight only with a weighted objective, real help, --plot's message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import scission_opt
from scission_opt.cli import main

TINY = str(Path(__file__).parent / "data" / "tiny.json")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"python -m scission_opt {scission_opt.__version__}"


@pytest.mark.parametrize(
    "argv",
    [
        ["solve", TINY, "--weight", "energy=2"],
        ["solve", TINY, "--objective", "energy", "--weight", "energy=2"],
        ["compare", TINY, "--weight", "latency=1", "--time-limit", "5"],
    ],
)
def test_weight_without_a_weighted_objective_is_an_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: --weight applies only to --objective weighted")
    assert captured.out == ""


def test_weight_with_an_instance_whose_objective_is_weighted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(Path(TINY).read_text())
    data["objective"] = {"name": "weighted", "weights": {"latency": 1.0}}
    path = tmp_path / "weighted.json"
    path.write_text(json.dumps(data))
    assert main(["solve", str(path), "--weight", "latency=1", "--weight", "energy=2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    m = out["plans"][0]["metrics"]
    assert out["objective"] == pytest.approx(m["latency_s"] + 2 * m["energy_j"])


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("compare", ["seconds", "(default 60)", "(default 1)", "examples:", "python -m scission_opt compare "]),
        ("validate", ["one line", "example:", "python -m scission_opt validate "]),
        ("generate", ["(default 25)", "(default 3)", "(default 1)", "(default 0)", "seconds", "bytes", "examples:",
                      "python -m scission_opt generate -o "]),
    ],
)  # fmt: skip
def test_help_has_units_defaults_and_examples(
    command: str, words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for word in words:
        assert " ".join(word.split()) in text, word


@pytest.mark.parametrize("as_json", [False, True])
def test_solve_plot_says_where_it_wrote_on_stderr(
    tmp_path: Path, as_json: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("matplotlib")
    chart = tmp_path / "plan.svg"
    assert main(["solve", TINY, "--plot", str(chart), *(["--json"] if as_json else [])]) == 0
    captured = capsys.readouterr()
    assert chart.is_file()
    assert captured.err.strip() == f"wrote {chart}: chart of the best plan"
    if as_json:
        json.loads(captured.out)  # stdout holds nothing but the JSON
