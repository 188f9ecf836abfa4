"""The README opens with the two commands, and CI runs the second one verbatim."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return [block.strip() for block in re.findall(r"```\n(.*?)```", text, flags=re.S)[:2]]


def test_readme_opens_with_two_commands() -> None:
    main_job, tests = _commands()
    assert main_job == "pip install -e . && python -m scission_opt solve instances/vgg16.json"
    assert tests.endswith("python -m pytest -q") and "[test]" in tests


def test_ci_runs_the_readme_test_command_in_a_fresh_venv() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "venv" in ci
    assert _commands()[1] in ci.splitlines()


def test_main_job_instance_is_shipped() -> None:
    assert (ROOT / "instances" / "vgg16.json").is_file()
