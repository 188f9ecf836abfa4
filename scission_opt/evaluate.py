"""The one cost model: every metric of a plan, and which constraints it breaks.

Every solver's answer is re-scored here before it is reported; solvers never
report numbers of their own. formulations/cost-model.md writes the model out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .checks import LIMIT_RTOL, Figures, exceeds, limit_slack, violations
from .errors import InvalidInstanceError
from .instance import Instance
from .plan import Plan
from .route import transfers

__all__ = ["LIMIT_RTOL", "Hop", "Metrics", "evaluate", "exceeds", "limit_slack"]


@dataclass(frozen=True)
class Hop:
    """One transfer between consecutive stops of a plan."""

    source: str
    destination: str
    boundary: int  # bytes of boundary b: the raw input (b = 0) or the output of node b-1
    bytes: float
    transfer_s: float  # bandwidth part
    time_s: float  # fixed latency + transfer
    returning: bool = False  # the final output sent back to the origin
    tensors: tuple[int, ...] = ()  # DAG plans: every tensor (boundary numbering) the hop carries


@dataclass(frozen=True)
class Metrics:
    """Every figure of one plan. Per-tier tuples are indexed by tier (0 for unused tiers).

    Attributes
    ----------
    latency_s
        End-to-end latency: all compute plus every hop.
    compute_s
        Compute time per tier.
    hops
        The transfers, in order.
    bytes_total
        Bytes sent over all hops.
    upload_bytes
        Bytes sent by each tier's system.
    energy_j
        First-tier (origin) energy: ``compute_w`` x compute + ``tx_power_w`` x its
        transfer time + ``idle_w`` x the rest of the end-to-end latency.
    memory_bytes
        Per tier: parameters of its nodes plus their largest activation.
    bottleneck_s
        Pipelined period: the slowest stage or hop.
    price
        ``price_per_s`` x compute time, summed over the used systems.
    violations
        One line per broken constraint; empty when the plan is feasible.
    """

    latency_s: float
    compute_s: tuple[float, ...]
    hops: tuple[Hop, ...]
    bytes_total: float
    upload_bytes: tuple[float, ...]
    energy_j: float
    memory_bytes: tuple[float, ...]
    bottleneck_s: float
    price: float
    violations: tuple[str, ...]

    @property
    def feasible(self) -> bool:
        return not self.violations

    @property
    def compute_total_s(self) -> float:
        return float(sum(self.compute_s))

    @property
    def communication_s(self) -> float:
        return float(sum(h.time_s for h in self.hops))

    def to_dict(self) -> dict[str, Any]:
        return {
            "latency_s": self.latency_s,
            "compute_s": list(self.compute_s),
            "communication_s": self.communication_s,
            "hops": [h.__dict__ for h in self.hops],
            "bytes_total": self.bytes_total,
            "upload_bytes": list(self.upload_bytes),
            "energy_j": self.energy_j,
            "memory_bytes": list(self.memory_bytes),
            "bottleneck_s": self.bottleneck_s,
            "price": self.price,
            "violations": list(self.violations),
        }


def evaluate(instance: Instance, plan: Plan) -> Metrics:
    """Compute every metric of ``plan`` on ``instance`` and list the constraints it breaks.

    One model for chain and DAG plans (formulations/cost-model.md, formulations/dag.md): a
    used tier runs its nodes as one call (its ``segment_overhead_s`` once, then the nodes'
    net latencies); every hop sends all the tensors it carries as one transfer.

    Raises
    ------
    InvalidInstanceError
        If the plan does not fit the instance at all (wrong number of tiers,
        unknown system, bounds out of range, an edge going back).
    """
    problem = plan.check_shape(instance)
    if problem:
        raise InvalidInstanceError(problem, "plan")
    compute, memory, price = _tiers(instance, plan)
    hops, upload, missing = _hops(instance, plan)
    latency = sum(compute) + sum(h.time_s for h in hops)
    energy = _origin_energy(instance, plan, compute[0], hops, latency)
    bottleneck = max([compute[t] for t in range(instance.n_tiers) if plan.used(t)] + [h.time_s for h in hops] + [0.0])
    figures = Figures(tuple(compute), tuple(memory), tuple(upload), energy, latency, missing)
    return Metrics(
        latency_s=float(latency),
        compute_s=tuple(compute),
        hops=tuple(hops),
        bytes_total=float(sum(h.bytes for h in hops)),
        upload_bytes=tuple(upload),
        energy_j=float(energy),
        memory_bytes=tuple(memory),
        bottleneck_s=float(bottleneck),
        price=float(price),
        violations=violations(instance, plan, figures),
    )


def _tiers(instance: Instance, plan: Plan) -> tuple[list[float], list[float], float]:
    """Per tier: compute seconds and memory bytes; and the price of all compute."""
    T, sidx = instance.n_tiers, instance.system_index
    compute, memory, price = [0.0] * T, [0.0] * T, 0.0
    for t in range(T):
        if not plan.used(t):
            continue
        s = sidx[plan.systems[t]]  # type: ignore[index]
        nodes = plan.node_range(t) if plan.assignment is None else np.array(plan.nodes_on(t), dtype=np.int64)
        idx = slice(nodes.start, nodes.stop) if isinstance(nodes, range) else nodes
        # one call per tier: its fixed cost, then the nodes' net latencies
        compute[t] = instance.systems[s].segment_overhead_s + float(instance.latency[s, idx].sum())
        memory[t] = float(instance.param_bytes[idx].sum() + instance.activation_bytes[idx].max())
        price += instance.systems[s].price_per_s * compute[t]
    return compute, memory, price


def _hops(instance: Instance, plan: Plan) -> tuple[list[Hop], list[float], tuple[tuple[str, str], ...]]:
    """The priced hops, the bytes each tier sends, and the hops that have no link."""
    sidx, beta = instance.system_index, instance.boundary_bytes
    hops: list[Hop] = []
    upload = [0.0] * instance.n_tiers
    missing: list[tuple[str, str]] = []
    for tr in transfers(instance, plan):
        a, b = sidx[tr.source], sidx[tr.destination]
        nbytes = float(sum(float(beta[x]) for x in tr.tensors))
        first = tr.tensors[0] if tr.tensors else -1
        if not instance.has_link[a, b]:
            missing.append((tr.source, tr.destination))
            inf = float("inf")
            hops.append(Hop(tr.source, tr.destination, first, nbytes, inf, inf, tr.returning, tr.tensors))
            continue
        transfer = float(instance.transfer_s(nbytes, a, b))
        time_s = float(instance.link_latency_s[a, b]) + transfer
        hops.append(Hop(tr.source, tr.destination, first, nbytes, transfer, time_s, tr.returning, tr.tensors))
        upload[tr.source_tier] += nbytes
    return hops, upload, tuple(missing)


def _origin_energy(instance: Instance, plan: Plan, compute_0: float, hops: list[Hop], latency: float) -> float:
    """First-tier energy: compute power while it computes, tx power while it sends, idle power otherwise."""
    sidx = instance.system_index
    origin = instance.systems[sidx[plan.origin]]
    sent = [h for h in hops if h.source == plan.origin and not h.returning]
    sent_s = sum(h.transfer_s for h in sent)
    tx_j = sum(
        h.transfer_s * float(instance.link_tx_w[sidx[h.source], sidx[h.destination]])
        for h in sent
        if np.isfinite(h.transfer_s)
    )
    return (origin.compute_w or 0.0) * compute_0 + tx_j + origin.idle_w * (latency - compute_0 - sent_s)
