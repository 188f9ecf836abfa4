"""A plan: which system each tier uses and which contiguous nodes it runs."""

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
    """

    bounds: tuple[int, ...]
    systems: tuple[str | None, ...]

    def node_range(self, tier: int) -> range:
        """The nodes tier ``tier`` runs (possibly empty)."""
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
        for t in range(len(self.systems)):
            if self.bounds[t] <= node < self.bounds[t + 1]:
                return t
        raise IndexError(node)

    def check_shape(self, instance: "Instance") -> str | None:
        """Why this plan does not fit ``instance`` structurally, or ``None``."""
        T, n = instance.n_tiers, instance.n_nodes
        if len(self.bounds) != T + 1 or len(self.systems) != T:
            return f"plan has {len(self.systems)} tiers, instance has {T}"
        if self.bounds[0] != 0 or self.bounds[-1] != n:
            return f"plan bounds must run from 0 to {n}, got {self.bounds}"
        if any(b > a for a, b in zip(self.bounds[1:], self.bounds[:-1])):
            return f"plan bounds must not decrease, got {self.bounds}"
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

    def describe(self, instance: "Instance") -> str:
        """One line: ``device(raspi4)=0-6, edge(vm)=7-11, cloud(-)=unused`` with model layer ranges."""
        parts = []
        for t, tier in enumerate(instance.tiers):
            if self.used(t):
                first = instance.nodes[self.bounds[t]].layers[0]
                last = instance.nodes[self.bounds[t + 1] - 1].layers[1]
                parts.append(f"{tier}({self.systems[t]}) = layers {first}-{last}")
            else:
                parts.append(f"{tier}({self.systems[t] or '-'}) = unused")
        return ", ".join(parts)

    def to_dict(self, instance: "Instance") -> dict[str, Any]:
        """JSON-ready description, per tier: system, node range, layer range."""
        tiers = []
        for t, tier in enumerate(instance.tiers):
            entry: dict[str, Any] = {"tier": tier, "system": self.systems[t], "used": self.used(t)}
            if self.used(t):
                a, b = self.bounds[t], self.bounds[t + 1] - 1
                entry["nodes"] = [a, b]
                entry["layers"] = [instance.nodes[a].layers[0], instance.nodes[b].layers[1]]
            tiers.append(entry)
        return {"bounds": list(self.bounds), "tiers": tiers}
