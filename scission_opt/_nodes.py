"""Reading a long node list in bulk, with the rules of the one-node-at-a-time reader.

A 100,000-node instance spends most of its load time checking nodes one field at
a time. :func:`read_nodes` checks every node's JSON shape and values column by
column (numpy for the numbers, ``str.isprintable`` for the names) and, when all
pass, builds the nodes without checking each one again. It accepts only what the
per-node reader accepts and builds the same values; anything it is not sure of
(a failing value, an integral float where an index belongs, an unusual name)
makes it return ``None``, and the caller reads the nodes one at a time, which
names the first bad field with the usual message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._fields import number_kinds
from .limits import MAX_NAME_CHARS, MAX_NUMBER
from .problem import Node

#: Every field a node may have, and those it must have (as the per-node reader's ``done()`` checks).
NODE_KEYS = frozenset({"name", "layers", "inputs", "output_bytes", "param_bytes", "flops", "activation_bytes"})
_REQUIRED = ("name", "layers", "output_bytes")


def _numbers_ok(values: Sequence[Any]) -> bool:
    """Every value a JSON number (not a boolean) that is finite and in ``[0, MAX_NUMBER]``."""
    return number_kinds(values) is not None


def _indices_ok(values: Sequence[Any]) -> bool:
    """Every value a plain ``int`` in ``[0, MAX_NUMBER]`` (integral floats are left to the per-node reader)."""
    if not values:
        return True
    if not set(map(type, values)) <= {int}:
        return False
    try:
        arr = np.asarray(values, dtype=np.int64)
    except OverflowError:
        return False
    return bool(np.all((arr >= 0) & (arr <= MAX_NUMBER)))


def _names_ok(names: list[Any]) -> bool:
    """Plain, printable, unique strings of 1 to ``MAX_NAME_CHARS`` characters."""
    if not set(map(type, names)) <= {str}:
        return False
    if not all(0 < len(name) <= MAX_NAME_CHARS and name.isprintable() for name in names):
        return False  # isprintable() is False for every unsafe category (and a few safe ones: those go the slow way)
    return len(set(names)) == len(names)


def _layers_ok(layers: list[Any]) -> bool:
    if not all(type(pair) is list and len(pair) == 2 for pair in layers):
        return False
    flat = [x for pair in layers for x in pair]
    if not _indices_ok(flat):
        return False
    arr = np.asarray(flat, dtype=np.int64).reshape(-1, 2)
    return bool(np.all(arr[:, 1] >= arr[:, 0]))


def _inputs(raw_nodes: list[dict[str, Any]]) -> list[Any] | None:
    """Each node's input list (the previous node when absent), or ``None`` unless all are earlier nodes."""
    out = [raw["inputs"] if "inputs" in raw else ([i - 1] if i else []) for i, raw in enumerate(raw_nodes)]
    if not all(type(ks) is list for ks in out):
        return None
    flat = [k for ks in out for k in ks]
    if not _indices_ok(flat):
        return None
    owner = np.repeat(np.arange(len(out)), [len(ks) for ks in out])
    if flat and not bool(np.all(np.asarray(flat, dtype=np.int64) < owner)):
        return None
    return out


def read_nodes(raw_nodes: list[Any]) -> tuple[Node, ...] | None:
    """The nodes of a parsed ``model.nodes`` list, or ``None`` when any might fail a check.

    ``None`` says nothing about validity: the caller then reads the list one
    node at a time, which accepts or refuses it with the exact message.
    """
    if not all(type(raw) is dict and raw.keys() <= NODE_KEYS for raw in raw_nodes):
        return None
    if not all(key in raw for raw in raw_nodes for key in _REQUIRED):
        return None
    names = [raw["name"] for raw in raw_nodes]
    layers = [raw["layers"] for raw in raw_nodes]
    output = [raw["output_bytes"] for raw in raw_nodes]
    params = [raw.get("param_bytes", 0.0) for raw in raw_nodes]
    flops = [raw.get("flops") for raw in raw_nodes]
    activation = [raw.get("activation_bytes") for raw in raw_nodes]
    inputs = _inputs(raw_nodes)
    if inputs is None or not _names_ok(names) or not _layers_ok(layers):
        return None
    if not (_numbers_ok(output) and _numbers_ok(params)):
        return None
    if not (_numbers_ok([v for v in flops if v is not None]) and _numbers_ok([v for v in activation if v is not None])):
        return None
    return tuple(
        Node._checked(
            name=name,
            layers=(pair[0], pair[1]),
            inputs=tuple(ks),
            output_bytes=float(out),
            param_bytes=float(param),
            flops=None if flop is None else float(flop),
            activation_bytes=None if act is None else float(act),
        )
        for name, pair, ks, out, param, flop, act in zip(
            names, layers, inputs, output, params, flops, activation, strict=True
        )
    )
