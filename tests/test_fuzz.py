"""Fuzzing the instance reader and ``solve`` (issue 13): nothing escapes but the project's own errors.

Byte-level mutations (flipped, deleted, duplicated bytes and hostile tokens
spliced in) and structural ones (a field deleted, retyped or set to a hostile
value) of valid instances go through :func:`load_instance`; what validates is
solved. Only :class:`~scission_opt.errors.ScissionError` may come out. CI runs a
bounded number of examples; ``SCISSION_FUZZ=1`` runs many (``SCISSION_FUZZ=5000``
sets the number).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scission_opt.errors import ScissionError
from scission_opt.instance import Instance, load_instance
from scission_opt.solve import solve

from .conftest import DATA
from .strategies import instance_dicts

_FUZZ = os.environ.get("SCISSION_FUZZ", "")
EXAMPLES = (int(_FUZZ) if _FUZZ.isdigit() and int(_FUZZ) > 1 else 2000) if _FUZZ else 25
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

#: Values a hostile file might hold where a well-formed one holds something else.
HOSTILE: list[Any] = [
    None,
    True,
    -1,
    0,
    -0.0,
    1e308,
    -1e308,
    1e-320,
    10**400,
    "",
    "x\ny",
    "\u202e",
    "\ud800",
    "a" * 5000,
    "latency",
    "this:x",
    "..x:y",
    [],
    {},
    [[[[[[]]]]]],
    {"a": {"b": {}}},
    [0, 0],
    [-1, 2],
    [1, 0],
]

#: Tokens spliced into the text by the byte-level mutator.
TOKENS = [
    b"[" * 2000,
    b"{" * 50,
    b"9" * 400,
    b"9" * 5000,
    b"1e999",
    b"NaN",
    b"-Infinity",
    b'"\\n"',
    b'"\\ud800"',
    b"\xff\xfe",
    b"\x00",
    b"null",
    b",",
    b"}",
    b"]",
    b'"this:x"',
]


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


def _solve_if_valid(path: Path) -> None:
    try:
        instance = load_instance(path)
    except ScissionError:
        return
    assert isinstance(instance, Instance)
    try:
        result = solve(instance, time_limit=5, explain=False)
    except ScissionError:
        return
    if result.plan is not None:
        assert result.metrics is not None and result.metrics.feasible


# ---- byte level ---------------------------------------------------------------------------------

SEED_FILES = [DATA / "tiny.json", *sorted((DATA / "bad").glob("*.json"))]


@st.composite
def mutated_bytes(draw: Any) -> bytes:
    data = bytearray(draw(st.sampled_from(SEED_FILES)).read_bytes())
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "delete", "duplicate", "token"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif kind == "duplicate":
            data[at:at] = data[at : at + draw(st.integers(1, 80))]
        else:
            data[at:at] = draw(st.sampled_from(TOKENS))
    return bytes(data)


@FUZZ
@given(data=mutated_bytes())
def test_byte_mutations(scratch: Path, data: bytes) -> None:
    path = scratch / "bytes.json"
    path.write_bytes(data)
    _solve_if_valid(path)


# ---- structure --------------------------------------------------------------------------------------


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value[:6]):
            out += _paths(item, (*prefix, i))
    return out


@st.composite
def mutated_documents(draw: Any) -> Any:
    doc = draw(instance_dicts(max_nodes=5, max_tiers=3, max_systems=2))
    if draw(st.booleans()):
        doc["objective"] = draw(
            st.sampled_from([{"name": "weighted", "weights": {"latency": 1.0, "energy": 2.0}}, {"name": "throughput"}])
        )
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        kind = draw(st.sampled_from(["set", "delete", "copy"]))
        if kind == "set":
            parent[key] = draw(st.sampled_from(HOSTILE))
        elif kind == "delete":
            del parent[key]
        elif isinstance(parent, list):
            parent.append(parent[key])
        else:
            parent[f"{key}_copy"] = parent[key]
    return doc


@FUZZ
@given(doc=mutated_documents())
def test_structural_mutations(scratch: Path, doc: Any) -> None:
    path = scratch / "structure.json"
    path.write_text(json.dumps(doc, allow_nan=True))
    _solve_if_valid(path)


@FUZZ
@given(doc=instance_dicts(max_nodes=6, max_tiers=3, max_systems=2))
def test_valid_documents_round_trip_and_solve(scratch: Path, doc: Any) -> None:
    path = scratch / "valid.json"
    path.write_text(json.dumps(doc))
    instance = load_instance(path)  # a valid document must load
    assert instance.to_dict() == doc
    _solve_if_valid(path)
