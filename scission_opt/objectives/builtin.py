"""Built-in objectives: latency, energy, bytes, throughput, price, and their weighted sum."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InvalidInstanceError
from .base import Terms

if TYPE_CHECKING:
    from ..evaluate import Metrics
    from ..instance import Instance
    from ..plan import Plan


def _with_links(instance: "Instance", hop: np.ndarray) -> np.ndarray:
    """Set hop costs to ``inf`` where no link exists."""
    return np.where(instance.has_link[None, :, :], hop, np.inf)


def _hop_parts(instance: "Instance") -> tuple[np.ndarray, np.ndarray]:
    """``(fixed, transfer)`` seconds of every hop, ``(n+1, S, S)``, zero where no link."""
    lat = np.nan_to_num(instance.link_latency_s, nan=0.0)
    bps = np.where(instance.has_link, instance.link_bytes_per_s, np.inf)
    transfer = instance.boundary_bytes[:, None, None] / bps[None, :, :]
    fixed = np.broadcast_to(lat, transfer.shape)
    return fixed, transfer


def require_power(instance: "Instance", what: str) -> None:
    """Energy needs ``compute_w`` on every candidate first-tier system."""
    for s in instance.candidates[0]:
        if instance.systems[s].compute_w is None:
            raise InvalidInstanceError(f"required by {what}", instance.source, f"systems[{s}].compute_w")


@dataclass(frozen=True)
class Latency:
    """End-to-end latency in seconds (the default)."""

    name: str = "latency"

    def value(self, instance: "Instance", plan: "Plan", metrics: "Metrics") -> float:
        return metrics.latency_s

    def depends_on_origin(self, instance: "Instance") -> bool:
        return False

    def terms(self, instance: "Instance", origin: int | None) -> Terms:
        fixed, transfer = _hop_parts(instance)
        return Terms(instance.latency.T.copy(), _with_links(instance, fixed + transfer))


@dataclass(frozen=True)
class Energy:
    """First-tier energy per inference in joules (see :class:`~scission_opt.evaluate.Metrics`)."""

    name: str = "energy"

    def value(self, instance: "Instance", plan: "Plan", metrics: "Metrics") -> float:
        return metrics.energy_j

    def depends_on_origin(self, instance: "Instance") -> bool:
        idle = {instance.systems[s].idle_w for s in instance.candidates[0]}
        return len(idle) > 1

    def terms(self, instance: "Instance", origin: int | None) -> Terms:
        require_power(instance, "the energy objective")
        first = instance.candidates[0]
        idle = instance.systems[origin if origin is not None else first[0]].idle_w if first else 0.0
        on_first = instance.system_tier == 0
        compute_w = np.array([s.compute_w or 0.0 for s in instance.systems])
        node_w = np.where(on_first, compute_w, idle)
        node = instance.latency.T * node_w[None, :]
        fixed, transfer = _hop_parts(instance)
        tx = np.nan_to_num(instance.link_tx_w, nan=0.0)
        sent_by_first = on_first[None, :, None]
        hop = np.where(sent_by_first, tx[None] * transfer + idle * fixed, idle * (fixed + transfer))
        return Terms(node, _with_links(instance, hop))


@dataclass(frozen=True)
class Bytes:
    """Bytes sent over all hops."""

    name: str = "bytes"

    def value(self, instance: "Instance", plan: "Plan", metrics: "Metrics") -> float:
        return metrics.bytes_total

    def depends_on_origin(self, instance: "Instance") -> bool:
        return False

    def terms(self, instance: "Instance", origin: int | None) -> Terms:
        n, S = instance.n_nodes, instance.n_systems
        hop = np.broadcast_to(instance.boundary_bytes[:, None, None], (n + 1, S, S))
        return Terms(np.zeros((n, S)), _with_links(instance, hop))


@dataclass(frozen=True)
class Price:
    """Money per inference: ``price_per_s`` x compute time on each used system."""

    name: str = "price"

    def value(self, instance: "Instance", plan: "Plan", metrics: "Metrics") -> float:
        return metrics.price

    def depends_on_origin(self, instance: "Instance") -> bool:
        return False

    def terms(self, instance: "Instance", origin: int | None) -> Terms:
        n, S = instance.n_nodes, instance.n_systems
        price = np.array([s.price_per_s for s in instance.systems])
        return Terms(instance.latency.T * price[None, :], _with_links(instance, np.zeros((n + 1, S, S))))


@dataclass(frozen=True)
class Throughput:
    """Pipelined period in seconds: the slowest stage or hop (minimising it maximises throughput)."""

    name: str = "throughput"

    def value(self, instance: "Instance", plan: "Plan", metrics: "Metrics") -> float:
        return metrics.bottleneck_s

    def depends_on_origin(self, instance: "Instance") -> bool:
        return False

    def terms(self, instance: "Instance", origin: int | None) -> Terms:
        n, S = instance.n_nodes, instance.n_systems
        return Terms(np.zeros((n, S)), _with_links(instance, np.zeros((n + 1, S, S))), bottleneck_weight=1.0)


BUILTIN = {cls.name: cls for cls in (Latency, Energy, Bytes, Throughput, Price)}  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Weighted:
    """A weighted sum of built-in objectives, e.g. ``{"latency": 1.0, "energy": 0.5}``."""

    weights: tuple[tuple[str, float], ...]
    name: str = "weighted"

    def __post_init__(self) -> None:
        if not self.weights:
            raise InvalidInstanceError("the weighted objective needs at least one weight", field="objective.weights")
        for key, w in self.weights:
            if key not in BUILTIN:
                raise InvalidInstanceError(
                    f"unknown objective {key!r} (weights may name: {', '.join(BUILTIN)})", field=f"objective.weights.{key}"
                )
            if not np.isfinite(w) or w < 0:
                raise InvalidInstanceError(f"must be a finite number >= 0, got {w}", field=f"objective.weights.{key}")

    def _parts(self) -> list[tuple[float, object]]:
        return [(w, BUILTIN[key]()) for key, w in self.weights]

    def value(self, instance: "Instance", plan: "Plan", metrics: "Metrics") -> float:
        return float(sum(w * part.value(instance, plan, metrics) for w, part in self._parts()))  # type: ignore[attr-defined]

    def depends_on_origin(self, instance: "Instance") -> bool:
        return any(w and part.depends_on_origin(instance) for w, part in self._parts())  # type: ignore[attr-defined]

    def terms(self, instance: "Instance", origin: int | None) -> Terms:
        n, S = instance.n_nodes, instance.n_systems
        node = np.zeros((n, S))
        hop = np.zeros((n + 1, S, S))
        bottleneck = 0.0
        for w, part in self._parts():
            if not w:
                continue
            t = part.terms(instance, origin)  # type: ignore[attr-defined]
            node += w * t.node
            hop += w * np.where(np.isfinite(t.hop), t.hop, 0.0)
            bottleneck += w * t.bottleneck_weight
        return Terms(node, _with_links(instance, hop), bottleneck_weight=bottleneck)
