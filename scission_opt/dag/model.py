"""The tensors of a DAG instance: who produces each one and who reads it.

Tensor ``b`` uses the boundary numbering of the chain model: tensor 0 is the raw
input (produced by a virtual source node on the origin), tensor ``v + 1`` is node
``v``'s output. ``instance.boundary_bytes[b]`` is its size.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..instance import Instance


@dataclass(frozen=True)
class DagStructure:
    """Producers and readers of every tensor.

    Attributes
    ----------
    consumers
        ``(n + 1,)`` tuples: for tensor ``b``, the nodes that read it
        (tensor 0: the nodes with no inputs, fed by the raw input).
    outputs
        The model's outputs: nodes whose tensor no node reads, in index order.
    edges
        Every ``(u, v)`` with ``u`` in ``v``'s inputs.
    """

    consumers: tuple[tuple[int, ...], ...]
    outputs: tuple[int, ...]
    edges: tuple[tuple[int, int], ...]

    def producer(self, tensor: int) -> int | None:
        """The node that makes ``tensor``; ``None`` for the raw input."""
        return tensor - 1 if tensor else None


@lru_cache(maxsize=64)
def structure(instance: Instance) -> DagStructure:
    """The :class:`DagStructure` of ``instance`` (cached per instance object)."""
    n = instance.n_nodes
    readers: list[list[int]] = [[] for _ in range(n + 1)]
    edges = []
    for v, node in enumerate(instance.nodes):
        if not node.inputs:
            readers[0].append(v)
        for u in dict.fromkeys(node.inputs):  # a node reading one tensor twice reads it once
            readers[u + 1].append(v)
            edges.append((u, v))
    outputs = tuple(v for v in range(n) if not readers[v + 1])
    return DagStructure(tuple(tuple(r) for r in readers), outputs, tuple(edges))
