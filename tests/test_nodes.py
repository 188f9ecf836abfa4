"""The bulk node reader accepts exactly what the per-node reader accepts, and builds the same nodes."""

from __future__ import annotations

import json
import math
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scission_opt import InvalidInstanceError, parse_instance
from scission_opt import instance as instance_module
from scission_opt._nodes import read_nodes
from scission_opt.problem import System

from .conftest import DATA

TINY = json.loads((DATA / "tiny.json").read_text())

#: Values a node field may hold in a hostile or careless file: valid ones and every kind of wrong one.
VALUES: list[Any] = [0, 1, 2, 7, 2.0, 0.5, -1, -0.5, 1e15, 1e16, 10**20, 10**40, math.nan, math.inf]
VALUES += [True, False, None, "3", [], {}, [0, 1], [1, 0], [0], [0, 0, 0], [2.0, 3], [True, 1], [0, -1]]
NAMES: list[Any] = [
    "a",
    "n0",
    "n2",
    "",
    "x" * 257,
    "x" * 256,
    "tab\there",
    "new\nline",
    "\u00a0nbsp",
    "\ue000pua",
    "é",
    3,
]
ODD_VALUES = st.sampled_from(VALUES)
ODD_NAMES = st.sampled_from(NAMES)
FIELDS = ("name", "layers", "inputs", "output_bytes", "param_bytes", "flops", "activation_bytes", "colour")


@st.composite
def node_lists(draw: st.DrawFn) -> list[Any]:
    """Three valid chain nodes, then a few mutations: a field set to an odd value, dropped, or added."""
    nodes = _chain()
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, 2))
        key = draw(st.sampled_from(FIELDS))
        action = draw(st.sampled_from(["set", "drop", "pair", "list"]))
        if not isinstance(nodes[i], dict):
            continue
        if action == "drop":
            nodes[i].pop(key, None)
        elif key == "name":
            nodes[i][key] = draw(ODD_NAMES)
        elif action == "pair" and key in ("layers", "inputs"):
            nodes[i][key] = draw(st.lists(ODD_VALUES, max_size=3))
        elif action == "list":
            nodes[i] = draw(st.sampled_from([[], "node", None, 5]))
        else:
            nodes[i][key] = draw(ODD_VALUES)
    return nodes


def _chain() -> list[Any]:
    return [
        {"name": f"n{i}", "layers": [2 * i, 2 * i + 1], "output_bytes": 100.0 - i, "param_bytes": 8} for i in range(3)
    ]


def _assert_readers_agree(nodes: list[Any]) -> None:
    fast = _outcome(_document(nodes))
    with mock.patch.object(instance_module, "read_nodes", lambda raw: None):
        slow = _outcome(_document(nodes))
    assert fast == slow


def _outcome(doc: dict[str, Any]) -> tuple[str, Any]:
    try:
        inst = parse_instance(doc, "f.json")
    except InvalidInstanceError as exc:
        return ("error", str(exc))
    return ("ok", [(n, tuple(map(type, (n.output_bytes, n.param_bytes, *n.layers, *n.inputs)))) for n in inst.nodes])


def _document(nodes: list[Any]) -> dict[str, Any]:
    doc = json.loads(json.dumps(TINY))
    doc["model"]["nodes"] = nodes
    doc.pop("constraints", None)
    return doc


@pytest.mark.parametrize("value", VALUES, ids=repr)
@pytest.mark.parametrize("key", FIELDS)
def test_readers_agree_on_every_single_odd_field(key: str, value: Any) -> None:
    nodes = _chain()
    nodes[1][key] = value
    _assert_readers_agree(nodes)


@pytest.mark.parametrize("name", NAMES, ids=repr)
def test_readers_agree_on_every_odd_name(name: Any) -> None:
    nodes = _chain()
    nodes[2]["name"] = name
    _assert_readers_agree(nodes)


@settings(max_examples=150)
@given(nodes=node_lists())
def test_readers_agree_on_mutated_lists(nodes: list[Any]) -> None:
    _assert_readers_agree(nodes)


def test_bulk_reader_takes_a_valid_list() -> None:
    """A plain valid list goes the bulk way (else the agreement test above would test nothing)."""
    nodes = read_nodes([{"name": f"n{i}", "layers": [i, i], "output_bytes": 5, "flops": None} for i in range(4)])
    assert nodes is not None
    assert [n.inputs for n in nodes] == [(), (0,), (1,), (2,)]
    assert all(type(n.output_bytes) is float and n.param_bytes == 0.0 for n in nodes)


@pytest.mark.parametrize(
    "bad",
    [
        {"name": "n1", "layers": [1, 1], "output_bytes": -1},
        {"name": "n1", "layers": [1, 0], "output_bytes": 1},
        {"name": "n1", "layers": [1, 1], "output_bytes": 1, "inputs": [1]},
        {"name": "n0", "layers": [1, 1], "output_bytes": 1},
        {"name": "n\n1", "layers": [1, 1], "output_bytes": 1},
        {"name": "n1", "layers": [1, 1], "output_bytes": 1, "flops": True},
        {"name": "n1", "layers": [1, 1], "output_bytes": 1, "colour": "red"},
    ],
)
def test_bulk_reader_leaves_doubtful_lists_to_the_per_node_reader(bad: dict[str, Any]) -> None:
    assert read_nodes([{"name": "n0", "layers": [0, 0], "output_bytes": 1}, bad]) is None


# ---- systems: the reader's field checks are the ones System makes, so it builds them unchecked ------------

SYSTEM_FIELDS = ("name", "tier", "latency_s", "memory_bytes", "compute_w", "idle_w", "price_per_s", "trusted")
SYSTEM_FIELDS += ("provenance", "segment_overhead_s")


def _system_outcome(doc: dict[str, Any]) -> tuple[str, Any]:
    try:
        inst = parse_instance(doc, "f.json")
    except InvalidInstanceError as exc:
        return ("error", str(exc))
    return ("ok", [(s, [type(v) for v in vars(s).values()], list(map(type, s.latency_s))) for s in inst.systems])


@pytest.mark.parametrize("value", [*VALUES, [0.1, 0.2, 0.3], [1, 2, 3], [0.1, -1, 0.1], "pi", "edge"], ids=repr)
@pytest.mark.parametrize("key", SYSTEM_FIELDS)
def test_systems_built_unchecked_equal_checked_ones(key: str, value: Any) -> None:
    """Replacing the unchecked build by the checking constructor changes no outcome: no check is skipped."""
    doc = json.loads(json.dumps(TINY))
    doc["systems"][1][key] = value
    fast = _system_outcome(doc)
    with mock.patch.object(System, "_checked", classmethod(lambda cls, **values: cls(**values))):
        checked = _system_outcome(doc)
    assert fast == checked
