"""Hypothesis strategies for DAG instances: random DAGs, series-parallel graphs, Inception-like cells.

Each reuses :func:`tests.strategies.instance_dicts` for systems, links and constraints and
replaces the chain's ``inputs`` by a DAG's, built constructively in topological order.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from scission_opt.instance import Instance, parse_instance
from tests.strategies import instance_dicts


def _random_inputs(draw: Any, n: int) -> list[list[int]]:
    out: list[list[int]] = [[]]
    for v in range(1, n):
        if draw(st.integers(0, 6)) == 0:
            out.append([])  # fed by the raw input too
            continue
        k = draw(st.integers(1, min(3, v)))
        out.append(sorted(draw(st.lists(st.integers(0, v - 1), min_size=k, max_size=k, unique=True))))
    return out


def _series_parallel_inputs(draw: Any, n: int) -> list[list[int]]:
    """Blocks of parallel branches between a fork node and a join node."""
    out: list[list[int]] = [[]]
    head = 0
    while len(out) < n:
        room = n - len(out)
        if room < 3 or draw(st.booleans()):
            out.append([head])
            head = len(out) - 1
            continue
        branches, ends = draw(st.integers(2, 3)), []
        for _ in range(branches):
            if len(out) >= n - 1:
                break
            prev = head
            for _ in range(draw(st.integers(1, 2))):
                if len(out) >= n - 1:
                    break
                out.append([prev])
                prev = len(out) - 1
            ends.append(prev)
        out.append(sorted(set(ends)))
        head = len(out) - 1
    return out


def _inception_inputs(draw: Any, n: int) -> list[list[int]]:
    """Cells: a stem node, branches of length 0-2 from the cell input, a concat of every branch end."""
    out: list[list[int]] = [[]]
    cell_in = 0
    while len(out) < n:
        ends = []
        for _ in range(draw(st.integers(2, 4))):
            length = draw(st.integers(0, 2))
            prev = cell_in
            for _ in range(length):
                if len(out) >= n - 1:
                    break
                out.append([prev])
                prev = len(out) - 1
            ends.append(prev)
        if len(out) >= n:
            break
        out.append(sorted(set(ends)))
        cell_in = len(out) - 1
    return out[:n]


SHAPES = {"random": _random_inputs, "series_parallel": _series_parallel_inputs, "inception": _inception_inputs}


@st.composite
def dag_dicts(draw: Any, max_nodes: int = 6, shape: str | None = None, **kwargs: Any) -> dict[str, Any]:
    """A random valid DAG instance (as a dict)."""
    data = draw(instance_dicts(max_nodes=max_nodes, **kwargs))
    nodes = data["model"]["nodes"]
    kind = shape or draw(st.sampled_from(sorted(SHAPES)))
    inputs = SHAPES[kind](draw, len(nodes))
    for node, ins in zip(nodes, inputs):
        node["inputs"] = ins
    return data


@st.composite
def dags(draw: Any, **kwargs: Any) -> Instance:
    return parse_instance(draw(dag_dicts(**kwargs)), "<hypothesis-dag>")
