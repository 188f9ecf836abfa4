"""A plan: which system each tier uses and which nodes it runs (a contiguous range, or any
monotone node -> tier assignment for a DAG)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .instance import Instance


@dataclass(frozen=True, order=True)
class Plan:
    """Assignment of contiguous node ranges to the tiers, in tier order.

    Attributes
    ----------
    bounds
        ``T + 1`` non-decreasing cut positions with ``bounds[0] == 0`` and
        ``bounds[T] == n``; tier ``t`` runs nodes ``bounds[t] .. bounds[t+1]-1``.
    systems
        Per tier, the chosen system's name, ``None`` for an unused tier.
        ``systems[0]`` is always set: the first tier's system is where the raw
        input is born (the *origin*), even when it runs no node.
    assignment
        ``None`` for a chain plan (contiguous ranges given by ``bounds``). For a
        DAG plan, the tier of every node (``tier(u) <= tier(v)`` on every edge
        ``u -> v``); ``bounds`` then holds the running node counts per tier, so
        :meth:`used` keeps its meaning. Build one with :meth:`from_assignment`.
    """

    bounds: tuple[int, ...]
    systems: tuple[str | None, ...]
    assignment: tuple[int, ...] | None = None

    @classmethod
    def from_assignment(cls, assignment: tuple[int, ...] | list[int], systems: tuple[str | None, ...]) -> Plan:
        """A DAG plan from each node's tier and each tier's system (``None`` for unused later tiers)."""
        assignment = tuple(int(t) for t in assignment)
        counts = [0] * len(systems)
        for t in assignment:
            if 0 <= t < len(counts):
                counts[t] += 1
        bounds = [0]
        for c in counts:
            bounds.append(bounds[-1] + c)
        return cls(tuple(bounds), tuple(systems), assignment)

    def node_tiers(self) -> tuple[int, ...]:
        """The tier of every node (for a chain plan, derived from its bounds)."""
        if self.assignment is not None:
            return self.assignment
        return tuple(t for t in range(len(self.systems)) for _ in self.node_range(t))

    def nodes_on(self, tier: int) -> tuple[int, ...]:
        """The nodes tier ``tier`` runs, in index (topological) order."""
        if self.assignment is None:
            return tuple(self.node_range(tier))
        return tuple(v for v, t in enumerate(self.assignment) if t == tier)

    def node_range(self, tier: int) -> range:
        """The nodes tier ``tier`` runs (possibly empty); chain plans only."""
        if self.assignment is not None:
            raise ValueError("a DAG plan has no node ranges; use nodes_on()")
        return range(self.bounds[tier], self.bounds[tier + 1])

    def used(self, tier: int) -> bool:
        """A tier is used if and only if it holds at least one node."""
        return self.bounds[tier + 1] > self.bounds[tier]

    @property
    def origin(self) -> str:
        assert self.systems[0] is not None
        return self.systems[0]

    def stops(self) -> list[tuple[int, str]]:
        """The ``(tier, system)`` pairs data passes through: the origin, then every used later tier."""
        out = [(0, self.origin)]
        out += [(t, s) for t, s in enumerate(self.systems) if t > 0 and self.used(t) and s is not None]
        return out

    def tier_of_node(self, node: int) -> int:
        if self.assignment is not None:
            return self.assignment[node]
        for t in range(len(self.systems)):
            if self.bounds[t] <= node < self.bounds[t + 1]:
                return t
        raise IndexError(node)

    def check_shape(self, instance: Instance) -> str | None:
        """Why this plan does not fit ``instance`` structurally, or ``None``."""
        T, n = instance.n_tiers, instance.n_nodes
        if len(self.bounds) != T + 1 or len(self.systems) != T:
            return f"plan has {len(self.systems)} tiers, instance has {T}"
        if self.bounds[0] != 0 or self.bounds[-1] != n:
            return f"plan bounds must run from 0 to {n}, got {self.bounds}"
        if any(b > a for a, b in zip(self.bounds[1:], self.bounds[:-1])):
            return f"plan bounds must not decrease, got {self.bounds}"
        if self.assignment is not None:
            problem = self._check_assignment(instance)
            if problem:
                return problem
        for t, name in enumerate(self.systems):
            if t == 0 and name is None:
                return "the first tier must name a system (the origin of the raw input)"
            if t > 0 and (name is None) == self.used(t):
                return f"tier {instance.tiers[t]!r}: a system must be named exactly when the tier runs nodes"
            if name is not None:
                if name not in instance.system_index:
                    return f"unknown system {name!r}"
                if instance.systems[instance.system_index[name]].tier != instance.tiers[t]:
                    return f"system {name!r} is not in tier {instance.tiers[t]!r}"
        return None

    def _check_assignment(self, instance: Instance) -> str | None:
        assert self.assignment is not None
        T = len(self.systems)
        if len(self.assignment) != instance.n_nodes:
            return f"plan assigns {len(self.assignment)} nodes, instance has {instance.n_nodes}"
        if any(not 0 <= t < T for t in self.assignment):
            return f"plan assigns a node to a tier outside 0..{T - 1}"
        if self != Plan.from_assignment(self.assignment, self.systems):
            return "plan bounds must count the nodes of each tier of its assignment"
        for v, node in enumerate(instance.nodes):
            for u in node.inputs:
                if self.assignment[u] > self.assignment[v]:
                    return f"node {v} (tier {self.assignment[v]}) reads node {u} from a later tier {self.assignment[u]}"
        return None

    def describe(self, instance: Instance) -> str:
        """One line: ``device(raspi4)=0-6, edge(vm)=7-11, cloud(-)=unused`` with model layer ranges."""
        if self.assignment is not None:
            return ", ".join(
                f"{tier}({self.systems[t] or '-'}) = "
                + (f"{len(self.nodes_on(t))} nodes" if self.used(t) else "unused")
                for t, tier in enumerate(instance.tiers)
            )
        parts = []
        for t, tier in enumerate(instance.tiers):
            if self.used(t):
                first = instance.nodes[self.bounds[t]].layers[0]
                last = instance.nodes[self.bounds[t + 1] - 1].layers[1]
                parts.append(f"{tier}({self.systems[t]}) = layers {first}-{last}")
            else:
                parts.append(f"{tier}({self.systems[t] or '-'}) = unused")
        return ", ".join(parts)

    def to_dict(self, instance: Instance) -> dict[str, Any]:
        """JSON-ready description, per tier: system, node range, layer range (DAG plans: node list)."""
        if self.assignment is not None:
            dag_tiers = [
                {"tier": tier, "system": self.systems[t], "used": self.used(t), "nodes": list(self.nodes_on(t))}
                for t, tier in enumerate(instance.tiers)
            ]
            return {"assignment": list(self.assignment), "tiers": dag_tiers}
        tiers = []
        for t, tier in enumerate(instance.tiers):
            entry: dict[str, Any] = {"tier": tier, "system": self.systems[t], "used": self.used(t)}
            if self.used(t):
                a, b = self.bounds[t], self.bounds[t + 1] - 1
                entry["nodes"] = [a, b]
                entry["layers"] = [instance.nodes[a].layers[0], instance.nodes[b].layers[1]]
            tiers.append(entry)
        return {"bounds": list(self.bounds), "tiers": tiers}
