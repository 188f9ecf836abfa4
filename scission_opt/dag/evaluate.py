"""The cost model for DAG plans (formulations/dag.md); on a chain it gives the chain model's numbers.

A plan puts every node on a tier, ``tier(u) <= tier(v)`` on every edge. Data moves
hop by hop along the *stops* (the origin, then every used later tier). A tensor
made on stop ``a`` and read last on stop ``c`` crosses every hop ``a .. c - 1``
once, however many of its readers sit there; a hop sends all its tensors as one
transfer (the link's fixed latency once, plus their bytes over the bandwidth).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InvalidInstanceError
from ..evaluate import Hop, Metrics, exceeds
from .model import structure

if TYPE_CHECKING:
    from ..instance import Instance
    from ..plan import Plan


def hop_tensors(instance: Instance, tiers: tuple[int, ...], stop_of_tier: dict[int, int], n_stops: int) -> list[list[int]]:
    """Per hop ``k`` (stop ``k`` -> stop ``k + 1``), the tensors it carries, in tensor order.

    ``tiers`` is each node's tier; ``stop_of_tier`` maps a used tier (and tier 0) to its stop.
    With ``return_output`` the model's outputs are read by a virtual sink on the last stop.
    """
    dag = structure(instance)
    last = n_stops - 1
    made_on = [0] + [stop_of_tier[t] for t in tiers]
    read_until = [max((stop_of_tier[tiers[c]] for c in readers), default=-1) for readers in dag.consumers]
    if instance.return_output:
        for v in dag.outputs:
            read_until[v + 1] = last
    carried: list[list[int]] = [[] for _ in range(max(n_stops - 1, 0))]
    for b, (a, c) in enumerate(zip(made_on, read_until)):
        for k in range(a, c):
            carried[k].append(b)
    return carried


def _compute(instance: Instance, plan: Plan, sidx: dict[str, int]) -> tuple[list[float], list[float], float]:
    T = instance.n_tiers
    compute, memory, price = [0.0] * T, [0.0] * T, 0.0
    for t in range(T):
        if not plan.used(t):
            continue
        s = sidx[plan.systems[t]]  # type: ignore[index]
        idx = np.array(plan.nodes_on(t), dtype=np.int64)
        # a tier runs its nodes as one call: its fixed cost once, then the nodes' net latencies
        compute[t] = instance.systems[s].segment_overhead_s + float(instance.latency[s, idx].sum())
        memory[t] = float(instance.param_bytes[idx].sum() + instance.activation_bytes[idx].max())
        price += instance.systems[s].price_per_s * compute[t]
    return compute, memory, price


def evaluate_dag(instance: Instance, plan: Plan) -> Metrics:
    """Every metric of a node -> tier plan on any instance, and the constraints it breaks.

    A chain plan (``plan.assignment is None``) is read as its contiguous assignment.

    Raises
    ------
    InvalidInstanceError
        If the plan does not fit the instance (shape, unknown system, an edge going back).
    """
    problem = plan.check_shape(instance)
    if problem:
        raise InvalidInstanceError(problem, "plan")
    T = instance.n_tiers
    sidx = instance.system_index
    beta = instance.boundary_bytes
    tiers = plan.node_tiers()
    violations: list[str] = []
    compute, memory, price = _compute(instance, plan, sidx)

    stops = plan.stops()
    stop_of_tier = {t: k for k, (t, _) in enumerate(stops)}
    carried = hop_tensors(instance, tiers, stop_of_tier, len(stops))
    hops: list[Hop] = []
    upload = [0.0] * T

    def add_hop(t_src: int, src: str, dst: str, tensors: tuple[int, ...], returning: bool) -> None:
        a, b = sidx[src], sidx[dst]
        nbytes = float(sum(float(beta[x]) for x in tensors))
        first = tensors[0] if tensors else -1
        if not instance.has_link[a, b]:
            violations.append(f"links: no link from {src} to {dst}")
            hops.append(Hop(src, dst, first, nbytes, float("inf"), float("inf"), returning, tensors))
            return
        transfer = float(instance.transfer_s(nbytes, a, b))
        hops.append(Hop(src, dst, first, nbytes, transfer, float(instance.link_latency_s[a, b]) + transfer, returning, tensors))
        upload[t_src] += nbytes

    for k, ((t_prev, s_prev), (_, s_next)) in enumerate(itertools.pairwise(stops)):
        add_hop(t_prev, s_prev, s_next, tuple(carried[k]), False)
    if instance.return_output and len(stops) > 1:
        t_last, s_last = stops[-1]
        add_hop(t_last, s_last, plan.origin, tuple(v + 1 for v in structure(instance).outputs), True)

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
    violations += _violations(instance, plan, tiers, compute, memory, upload, energy, latency)
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


def _violations(
    instance: Instance,
    plan: Plan,
    tiers: tuple[int, ...],
    compute: list[float],
    memory: list[float],
    upload: list[float],
    energy: float,
    latency: float,
) -> list[str]:
    """The broken constraints, worded as the chain evaluator words them."""
    T, sidx, c = instance.n_tiers, instance.system_index, instance.constraints
    out: list[str] = []
    for t, name in enumerate(plan.systems):
        if name is not None and sidx[name] not in instance.candidates[t]:
            out.append(f"system_filters: {name} may not be chosen for tier {instance.tiers[t]}")
    for t in range(T):
        if not plan.used(t):
            continue
        system = instance.systems[sidx[plan.systems[t]]]  # type: ignore[index]
        if system.memory_bytes is not None and exceeds(memory[t], system.memory_bytes):
            out.append(f"memory: {system.name} needs {memory[t]:.6g} bytes > {system.memory_bytes:.6g}")
    out += _placement_violations(instance, plan, tiers)
    if c.energy_budget_j is not None and exceeds(energy, c.energy_budget_j):
        out.append(f"energy_budget: {energy:.6g} J > {c.energy_budget_j:.6g} J")
    total_compute = sum(compute)
    for t in range(T):
        limit = c.upload_limit_bytes[t]
        if limit is not None and exceeds(upload[t], limit):
            out.append(f"upload_limits: tier {instance.tiers[t]} sends {upload[t]:.6g} bytes > {limit:.6g}")
        limit = c.compute_time_limit_s[t]
        if limit is not None and exceeds(compute[t], limit):
            out.append(f"compute_time_limits: tier {instance.tiers[t]} computes {compute[t]:.6g} s > {limit:.6g} s")
        pct = c.compute_time_limit_pct[t]
        if pct is not None and exceeds(compute[t], pct / 100.0 * total_compute):
            out.append(
                f"compute_time_pct_limits: tier {instance.tiers[t]} computes {compute[t]:.6g} s > {pct:g}% of {total_compute:.6g} s"
            )
    if c.deadline_s is not None and exceeds(latency, c.deadline_s):
        out.append(f"deadline: {latency:.6g} s > {c.deadline_s:.6g} s")
    return out


def _placement_violations(instance: Instance, plan: Plan, tiers: tuple[int, ...]) -> list[str]:
    """Privacy, pins, bans and tier usage."""
    sidx, c = instance.system_index, instance.constraints
    out: list[str] = []
    if c.privacy_nodes:
        if not instance.systems[sidx[plan.origin]].trusted:
            out.append(f"privacy: the raw input is born on untrusted {plan.origin}")
        for t in range(instance.n_tiers):
            nodes = plan.nodes_on(t)
            if nodes and nodes[0] < c.privacy_nodes and not instance.systems[sidx[plan.systems[t]]].trusted:  # type: ignore[index]
                out.append(f"privacy: node {nodes[0]} runs on untrusted {plan.systems[t]}")
    for node, t in c.pins:
        if tiers[node] != t:
            out.append(f"pins: node {node} must run on tier {instance.tiers[t]}")
    for node, t in c.bans:
        if tiers[node] == t:
            out.append(f"bans: node {node} must not run on tier {instance.tiers[t]}")
    for t in sorted(c.tiers_required):
        if not plan.used(t):
            out.append(f"tier_usage: tier {instance.tiers[t]} must be used")
    for t in sorted(c.tiers_forbidden):
        if plan.used(t):
            out.append(f"tier_usage: tier {instance.tiers[t]} must not be used")
    return out
