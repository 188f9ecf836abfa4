"""The shipped JSON Schema agrees with the loader on good files and on the bad files it can judge."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest

from scission_opt.generate import generate, with_binding_constraints

from .conftest import DATA

SCHEMA = json.loads(files("scission_opt").joinpath("schema/instance-1.json").read_text())
ROOT = Path(__file__).resolve().parents[1]

#: bad files whose fault lies within one field, so the schema alone must reject them too
SCHEMA_CATCHES = [
    "missing_tiers",
    "unknown_field",
    "negative_latency",
    "zero_bandwidth",
    "wrong_format",
    "percent_over_100",
    "unknown_weight",
]


def test_schema_is_a_valid_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


SHIPPED = [p for p in sorted((ROOT / "instances").glob("*.json")) if '"format"' in p.read_text()[:200]]


def test_every_shipped_instance_is_checked() -> None:
    assert len(SHIPPED) == 18


@pytest.mark.parametrize("path", [DATA / "tiny.json", *SHIPPED], ids=lambda p: p.name)
def test_good_files_pass(path: Path) -> None:
    jsonschema.validate(json.loads(path.read_text()), SCHEMA)


def test_written_instances_pass() -> None:
    instance = with_binding_constraints(generate(12, 4, 2, seed=1, return_output=True, idle=True, memory=True))
    jsonschema.validate(instance.to_dict(), SCHEMA)


@pytest.mark.parametrize("name", SCHEMA_CATCHES)
def test_schema_rejects_bad_files(name: str) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(json.loads((DATA / "bad" / f"{name}.json").read_text()), SCHEMA)
