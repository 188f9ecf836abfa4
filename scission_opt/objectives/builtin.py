"""Built-in objectives: latency, energy, bytes, throughput, price, and their weighted sum."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from ..errors import InvalidInstanceError
from ..limits import MAX_NUMBER
from .base import Needs, Terms

if TYPE_CHECKING:
    from ..evaluate import Metrics
    from ..instance import Instance
    from ..plan import Plan


def _link_costs(instance: Instance, fixed: np.ndarray, per_byte: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mask ``(S, S)`` hop costs by the links: ``inf`` fixed cost and zero per-byte cost where none."""
    link = instance.has_link
    return np.where(link, fixed, np.inf), np.where(link, per_byte, 0.0)


def _link_seconds(instance: Instance) -> tuple[np.ndarray, np.ndarray]:
    """``(fixed latency s, seconds per byte)`` of every link, ``(S, S)``, zero where no link."""
    link = instance.has_link
    fixed = np.where(link, np.nan_to_num(instance.link_latency_s, nan=0.0), 0.0)
    per_byte = np.where(link, 1.0 / np.where(link, instance.link_bytes_per_s, 1.0), 0.0)
    return fixed, per_byte


def _terms(
    instance: Instance,
    node: np.ndarray,
    fixed: np.ndarray,
    per_byte: np.ndarray,
    bottleneck: float = 0.0,
    segment: np.ndarray | None = None,
) -> Terms:
    hop_fixed, hop_per_byte = _link_costs(instance, fixed, per_byte)
    return Terms(node, hop_fixed, hop_per_byte, instance.boundary_bytes, bottleneck, segment)


def _overhead_s(instance: Instance) -> np.ndarray:
    """``(S,)``: each system's fixed cost per segment, in seconds."""
    return np.array([s.segment_overhead_s for s in instance.systems])


def require_power(instance: Instance, what: str) -> None:
    """Energy needs ``compute_w`` on every candidate first-tier system."""
    for s in instance.candidates[0]:
        if instance.systems[s].compute_w is None:
            raise InvalidInstanceError(f"required by {what}", instance.source, f"systems[{s}].compute_w")


@dataclass(frozen=True)
class Latency:
    """End-to-end latency in seconds (the default)."""

    name: str = "latency"
    needs: ClassVar[Needs] = Needs()
    unit: ClassVar[str] = "s"

    def value(self, instance: Instance, plan: Plan, metrics: Metrics) -> float:
        return metrics.latency_s

    def depends_on_origin(self, instance: Instance) -> bool:
        return False

    def terms(self, instance: Instance, origin: int | None) -> Terms:
        fixed, per_byte = _link_seconds(instance)
        return _terms(instance, instance.latency.T.copy(), fixed, per_byte, segment=_overhead_s(instance))


@dataclass(frozen=True)
class Energy:
    """First-tier energy per inference in joules (see :class:`~scission_opt.evaluate.Metrics`)."""

    name: str = "energy"
    needs: ClassVar[Needs] = Needs(power=True)
    unit: ClassVar[str] = "J"

    def value(self, instance: Instance, plan: Plan, metrics: Metrics) -> float:
        return metrics.energy_j

    def depends_on_origin(self, instance: Instance) -> bool:
        idle = {instance.systems[s].idle_w for s in instance.candidates[0]}
        return len(idle) > 1

    def terms(self, instance: Instance, origin: int | None) -> Terms:
        require_power(instance, "the energy objective")
        first = instance.candidates[0]
        # the given origin's idle power, even where filters exclude it (the evaluator still scores such a plan)
        idle = (
            instance.systems[origin].idle_w
            if origin is not None
            else (instance.systems[first[0]].idle_w if first else 0.0)
        )
        on_first = instance.system_tier == 0
        compute_w = np.array([s.compute_w or 0.0 for s in instance.systems])
        node_w = np.where(on_first, compute_w, idle)
        node = instance.latency.T * node_w[None, :]
        fixed, per_byte = _link_seconds(instance)
        tx = np.nan_to_num(instance.link_tx_w, nan=0.0)
        sent_by_first = on_first[:, None]
        # the origin pays tx power while sending and idle power during the link's fixed latency;
        # while later tiers compute or send, it waits at idle power
        byte_w = np.where(sent_by_first, tx, idle)
        return _terms(instance, node, idle * fixed, byte_w * per_byte, segment=_overhead_s(instance) * node_w)


@dataclass(frozen=True)
class Bytes:
    """Bytes sent over all hops."""

    name: str = "bytes"
    needs: ClassVar[Needs] = Needs()
    unit: ClassVar[str] = "B"

    def value(self, instance: Instance, plan: Plan, metrics: Metrics) -> float:
        return metrics.bytes_total

    def depends_on_origin(self, instance: Instance) -> bool:
        return False

    def terms(self, instance: Instance, origin: int | None) -> Terms:
        n, S = instance.n_nodes, instance.n_systems
        return _terms(instance, np.zeros((n, S)), np.zeros((S, S)), np.ones((S, S)))


@dataclass(frozen=True)
class Price:
    """Money per inference: ``price_per_s`` x compute time on each used system."""

    name: str = "price"
    needs: ClassVar[Needs] = Needs()
    unit: ClassVar[str] = "price units"

    def value(self, instance: Instance, plan: Plan, metrics: Metrics) -> float:
        return metrics.price

    def depends_on_origin(self, instance: Instance) -> bool:
        return False

    def terms(self, instance: Instance, origin: int | None) -> Terms:
        S = instance.n_systems
        price = np.array([s.price_per_s for s in instance.systems])
        node = instance.latency.T * price[None, :]
        return _terms(instance, node, np.zeros((S, S)), np.zeros((S, S)), segment=_overhead_s(instance) * price)


@dataclass(frozen=True)
class Throughput:
    """Pipelined period in seconds: the slowest stage or hop (minimising it maximises throughput)."""

    name: str = "throughput"
    needs: ClassVar[Needs] = Needs(bottleneck=True)
    unit: ClassVar[str] = "s"
    label: ClassVar[str] = "bottleneck period"

    def value(self, instance: Instance, plan: Plan, metrics: Metrics) -> float:
        return metrics.bottleneck_s

    def depends_on_origin(self, instance: Instance) -> bool:
        return False

    def terms(self, instance: Instance, origin: int | None) -> Terms:
        n, S = instance.n_nodes, instance.n_systems
        return _terms(instance, np.zeros((n, S)), np.zeros((S, S)), np.zeros((S, S)), bottleneck=1.0)


BUILTIN = {cls.name: cls for cls in (Latency, Energy, Bytes, Throughput, Price)}


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
                    f"unknown objective {key!r} (weights may name: {', '.join(BUILTIN)})",
                    field=f"objective.weights.{key}",
                )
            if not np.isfinite(w) or w < 0:
                raise InvalidInstanceError(f"must be a finite number >= 0, got {w}", field=f"objective.weights.{key}")
            if w > MAX_NUMBER:  # with every instance figure <= MAX_NUMBER too, no cost can overflow
                raise InvalidInstanceError(
                    f"must be <= {MAX_NUMBER:g} (larger values overflow the cost model), got {w:g}",
                    field=f"objective.weights.{key}",
                )

    @property
    def needs(self) -> Needs:
        """The union of the needs of the parts with a non-zero weight."""
        out = Needs()
        for key, w in self.weights:
            if w:
                out = out | BUILTIN[key].needs
        return out

    def _parts(self) -> list[tuple[float, object]]:
        return [(w, BUILTIN[key]()) for key, w in self.weights]

    def value(self, instance: Instance, plan: Plan, metrics: Metrics) -> float:
        return float(sum(w * part.value(instance, plan, metrics) for w, part in self._parts()))  # type: ignore[attr-defined]

    def depends_on_origin(self, instance: Instance) -> bool:
        return any(w and part.depends_on_origin(instance) for w, part in self._parts())  # type: ignore[attr-defined]

    def terms(self, instance: Instance, origin: int | None) -> Terms:
        n, S = instance.n_nodes, instance.n_systems
        node = np.zeros((n, S))
        fixed = np.zeros((S, S))
        per_byte = np.zeros((S, S))
        bottleneck = 0.0
        segment = np.zeros(S)
        for w, part in self._parts():
            if not w:
                continue
            t = part.terms(instance, origin)  # type: ignore[attr-defined]
            node += w * t.node
            fixed += w * np.where(np.isfinite(t.hop_fixed), t.hop_fixed, 0.0)
            per_byte += w * t.hop_per_byte
            bottleneck += w * t.bottleneck_weight
            segment += w * t.segment_cost
        return _terms(instance, node, fixed, per_byte, bottleneck, segment)
