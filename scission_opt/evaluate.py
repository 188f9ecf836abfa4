"""The one cost model: every metric of a plan, and which constraints it breaks.

Every solver's answer is re-scored here before it is reported; solvers never
report numbers of their own. formulations/cost-model.md writes the model out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InvalidInstanceError
from .instance import Instance
from .plan import Plan

#: Relative tolerance used when checking a metric against a limit.
LIMIT_RTOL = 1e-9


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


def limit_slack(limit: float) -> float:
    """The largest value :func:`exceeds` still accepts for ``limit``; solvers prune with it."""
    return limit * (1 + LIMIT_RTOL) + 1e-12


def exceeds(value, limit):  # type: ignore[no-untyped-def]
    """``value > limit`` up to :data:`LIMIT_RTOL`; works elementwise on arrays (solvers use it too)."""
    return value > limit * (1 + LIMIT_RTOL) + 1e-12


def evaluate(instance: Instance, plan: Plan) -> Metrics:
    """Compute every metric of ``plan`` on ``instance`` and list the constraints it breaks.

    Raises
    ------
    InvalidInstanceError
        If the plan does not fit the instance at all (wrong number of tiers,
        unknown system, bounds out of range).
    """
    if plan.assignment is not None or not instance.is_chain:
        from .dag.evaluate import evaluate_dag  # DAG cost model: formulations/dag.md

        return evaluate_dag(instance, plan)
    problem = plan.check_shape(instance)
    if problem:
        raise InvalidInstanceError(problem, "plan")
    T = instance.n_tiers
    sidx = instance.system_index
    lat = instance.latency
    beta = instance.boundary_bytes
    c = instance.constraints
    violations: list[str] = []

    compute = [0.0] * T
    memory = [0.0] * T
    price = 0.0
    for t in range(T):
        if not plan.used(t):
            continue
        s = sidx[plan.systems[t]]  # type: ignore[index]
        r = plan.node_range(t)
        # one call per segment: its fixed cost, then the nodes' net latencies
        compute[t] = instance.systems[s].segment_overhead_s + float(lat[s, r.start : r.stop].sum())
        memory[t] = float(instance.param_bytes[r.start : r.stop].sum() + instance.activation_bytes[r.start : r.stop].max())
        price += instance.systems[s].price_per_s * compute[t]

    stops = plan.stops()
    hops: list[Hop] = []
    upload = [0.0] * T

    def add_hop(t_src: int, src: str, dst: str, boundary: int, returning: bool) -> None:
        a, b = sidx[src], sidx[dst]
        if not instance.has_link[a, b]:
            violations.append(f"links: no link from {src} to {dst}")
            hops.append(Hop(src, dst, boundary, float(beta[boundary]), float("inf"), float("inf"), returning))
            return
        nbytes = float(beta[boundary])
        transfer = float(instance.transfer_s(nbytes, a, b))
        hops.append(Hop(src, dst, boundary, nbytes, transfer, float(instance.link_latency_s[a, b]) + transfer, returning))
        upload[t_src] += nbytes

    for (t_prev, s_prev), (t_next, s_next) in zip(stops, stops[1:]):
        add_hop(t_prev, s_prev, s_next, plan.bounds[t_next], False)
    if instance.return_output and len(stops) > 1:
        t_last, s_last = stops[-1]
        add_hop(t_last, s_last, plan.origin, instance.n_nodes, True)

    latency = sum(compute) + sum(h.time_s for h in hops)
    bytes_total = sum(h.bytes for h in hops)

    origin = instance.systems[sidx[plan.origin]]
    sent_s = sum(h.transfer_s for h in hops if h.source == plan.origin and not h.returning)
    tx_j = sum(
        h.transfer_s * float(instance.link_tx_w[sidx[h.source], sidx[h.destination]])
        for h in hops
        if h.source == plan.origin and not h.returning and np.isfinite(h.transfer_s)
    )
    energy = (origin.compute_w or 0.0) * compute[0] + tx_j + origin.idle_w * (latency - compute[0] - sent_s)
    bottleneck = max([compute[t] for t in range(T) if plan.used(t)] + [h.time_s for h in hops] + [0.0])

    # ---- constraints --------------------------------------------------------
    for t, name in enumerate(plan.systems):
        if name is None:
            continue
        if sidx[name] not in instance.candidates[t]:
            violations.append(f"system_filters: {name} may not be chosen for tier {instance.tiers[t]}")
    for t in range(T):
        if not plan.used(t):
            continue
        system = instance.systems[sidx[plan.systems[t]]]  # type: ignore[index]
        if system.memory_bytes is not None and exceeds(memory[t], system.memory_bytes):
            violations.append(f"memory: {system.name} needs {memory[t]:.6g} bytes > {system.memory_bytes:.6g}")
    if c.privacy_nodes:
        if not origin.trusted:
            violations.append(f"privacy: the raw input is born on untrusted {origin.name}")
        for t in range(T):
            r = plan.node_range(t)
            if r and r.start < c.privacy_nodes and not instance.systems[sidx[plan.systems[t]]].trusted:  # type: ignore[index]
                violations.append(f"privacy: node {r.start} runs on untrusted {plan.systems[t]}")
    for node, t in c.pins:
        if plan.tier_of_node(node) != t:
            violations.append(f"pins: node {node} must run on tier {instance.tiers[t]}")
    for node, t in c.bans:
        if plan.tier_of_node(node) == t:
            violations.append(f"bans: node {node} must not run on tier {instance.tiers[t]}")
    for t in sorted(c.tiers_required):
        if not plan.used(t):
            violations.append(f"tier_usage: tier {instance.tiers[t]} must be used")
    for t in sorted(c.tiers_forbidden):
        if plan.used(t):
            violations.append(f"tier_usage: tier {instance.tiers[t]} must not be used")
    if c.energy_budget_j is not None and exceeds(energy, c.energy_budget_j):
        violations.append(f"energy_budget: {energy:.6g} J > {c.energy_budget_j:.6g} J")
    total_compute = sum(compute)
    for t in range(T):
        limit = c.upload_limit_bytes[t]
        if limit is not None and exceeds(upload[t], limit):
            violations.append(f"upload_limits: tier {instance.tiers[t]} sends {upload[t]:.6g} bytes > {limit:.6g}")
        limit = c.compute_time_limit_s[t]
        if limit is not None and exceeds(compute[t], limit):
            violations.append(f"compute_time_limits: tier {instance.tiers[t]} computes {compute[t]:.6g} s > {limit:.6g} s")
        pct = c.compute_time_limit_pct[t]
        if pct is not None and exceeds(compute[t], pct / 100.0 * total_compute):
            violations.append(
                f"compute_time_pct_limits: tier {instance.tiers[t]} computes {compute[t]:.6g} s > {pct:g}% of {total_compute:.6g} s"
            )
    if c.deadline_s is not None and exceeds(latency, c.deadline_s):
        violations.append(f"deadline: {latency:.6g} s > {c.deadline_s:.6g} s")

    return Metrics(
        latency_s=float(latency),
        compute_s=tuple(compute),
        hops=tuple(hops),
        bytes_total=float(bytes_total),
        upload_bytes=tuple(upload),
        energy_j=float(energy),
        memory_bytes=tuple(memory),
        bottleneck_s=float(bottleneck),
        price=float(price),
        violations=tuple(violations),
    )
