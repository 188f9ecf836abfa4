"""A Scission-style enumerator, for comparison only: a Python object per scenario, then filter and sort.

Scission (Lockhart et al., "Scission: Performance-driven and Context-aware
Cloud-Edge Distribution of Deep Neural Networks", IEEE/ACM UCC 2020, arXiv
2008.03523) takes every (device, edge, cloud) system triple and every pair of
split points, builds one record per scenario
with its latency summed block by block, filters the records by the user's
criteria and sorts them. This module does the same for ``T`` tiers: every
choice of one system per tier (Scission chooses a system even for a tier it
leaves empty) and every ``T - 1`` non-decreasing split points.

Two things differ from Scission on purpose, so that the answers can be
compared with the exact solvers':

* a tier counts as used if and only if it holds blocks (Scission tests whether
  its summed time is 0 and so drops real transfers after 0 s blocks);
* scenarios that differ only in the system named for an empty tier are the
  same plan; the top-k keeps one of them (Scission would print duplicates).

It supports the latency objective and the constraints the benchmark families
use (privacy, memory, upload limits, the first-tier energy budget), plus
system filters, tier usage and absolute compute-time limits; anything else is
refused by :meth:`ScissionBaseline.unsupported`. It is not a solver of the
package and is never used outside benchmarks/.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scission_opt.evaluate import exceeds
from scission_opt.plan import Plan
from scission_opt.result import SolveResult, Status
from scission_opt.solvers.base import finish

if TYPE_CHECKING:
    from scission_opt.instance import Instance
    from scission_opt.objectives import Objective

#: How often (in scenarios) the enumeration looks at the clock.
CLOCK_EVERY = 4096


def count_scission_scenarios(instance: Instance) -> int:
    """Scenarios Scission's enumeration builds: one system per tier times every set of split points."""
    n, T = instance.n_nodes, instance.n_tiers
    return math.prod(len(c) for c in instance.candidates) * math.comb(n + T - 1, T - 1)


@dataclass
class Scenario:
    """One configuration, as Scission keeps it: systems, block ranges, and its figures."""

    systems: tuple[int, ...]  # one system index per tier, used or not
    bounds: tuple[int, ...]  # T + 1 cut positions; tier t runs blocks bounds[t] .. bounds[t+1]-1
    compute_s: list[float]
    bytes_sent: list[float]  # per tier: bytes its system sends
    latency_s: float
    energy_j: float
    memory_bytes: list[float]
    feasible: bool = True

    def plan(self, instance: Instance) -> Plan:
        names = tuple(
            instance.systems[s].name if t == 0 or self.bounds[t + 1] > self.bounds[t] else None
            for t, s in enumerate(self.systems)
        )
        return Plan(self.bounds, names)


def _build(
    instance: Instance,
    lat: list[list[float]],
    params: list[float],
    act: list[float],
    beta: list[float],
    systems: tuple[int, ...],
    cuts: tuple[int, ...],
) -> Scenario:
    """Score one scenario the way Scission does: sum each tier's blocks, add a hop per used tier."""
    n, T = instance.n_nodes, instance.n_tiers
    bounds = (0, *cuts, n)
    compute = [0.0] * T
    memory = [0.0] * T
    sent = [0.0] * T
    stops = [0]
    for t in range(T):
        a, b = bounds[t], bounds[t + 1]
        if b > a:
            compute[t] = sum(lat[systems[t]][a:b])
            memory[t] = sum(params[a:b]) + max(act[a:b])
            if t > 0:
                stops.append(t)
    latency = sum(compute)
    origin = systems[0]
    origin_transfer = 0.0
    origin_tx_j = 0.0
    feasible = True
    for t_src, t_dst in itertools.pairwise(stops):
        src, dst = systems[t_src], systems[t_dst]
        if not instance.has_link[src, dst]:
            feasible = False
            continue
        nbytes = beta[bounds[t_dst]]  # the first block of the receiving tier's input
        transfer = nbytes / float(instance.link_bytes_per_s[src, dst])
        latency += float(instance.link_latency_s[src, dst]) + transfer
        sent[t_src] += nbytes
        if t_src == 0:
            origin_transfer += transfer
            tx = float(instance.link_tx_w[src, dst])
            origin_tx_j += transfer * (0.0 if math.isnan(tx) else tx)
    first = instance.systems[origin]
    energy = (
        (first.compute_w or 0.0) * compute[0] + origin_tx_j + first.idle_w * (latency - compute[0] - origin_transfer)
    )
    return Scenario(systems, bounds, compute, sent, latency, energy, memory, feasible)


def _passes(instance: Instance, sc: Scenario) -> bool:
    """Scission's filter step, for the criteria the benchmark families use."""
    if not sc.feasible:
        return False
    c = instance.constraints
    T = instance.n_tiers
    for t in range(T):
        used = sc.bounds[t + 1] > sc.bounds[t]
        if used and t in c.tiers_forbidden:
            return False
        if not used and t in c.tiers_required:
            return False
        system = instance.systems[sc.systems[t]]
        if used and system.memory_bytes is not None and exceeds(sc.memory_bytes[t], system.memory_bytes):
            return False
        if c.upload_limit_bytes[t] is not None and exceeds(sc.bytes_sent[t], c.upload_limit_bytes[t]):
            return False
        if c.compute_time_limit_s[t] is not None and exceeds(sc.compute_s[t], c.compute_time_limit_s[t]):
            return False
        if c.privacy_nodes and not system.trusted and (t == 0 or (used and sc.bounds[t] < c.privacy_nodes)):
            return False
    return c.energy_budget_j is None or not exceeds(sc.energy_j, c.energy_budget_j)


class ScissionBaseline:
    """Enumerate every scenario as an object, filter, sort: the cost of doing it Scission's way."""

    name = "scission_baseline"

    def is_available(self) -> bool:
        return True

    def unsupported(self, instance: Instance, objective: Objective) -> str | None:
        if objective.name != "latency":
            return "the Scission-style baseline ranks by latency only"
        if not instance.is_chain:
            return "the model is not a chain"
        if instance.return_output:
            return "returning the output is not modelled by the baseline"
        c = instance.constraints
        if c.pins or c.bans or c.deadline_s is not None or any(v is not None for v in c.compute_time_limit_pct):
            return "pins, bans, deadlines and percentage time limits are not modelled by the baseline"
        return None

    def scenarios(self, instance: Instance, *, deadline: float | None = None) -> list[Scenario] | None:
        """Every scenario as an object (``None`` if ``deadline``, a ``perf_counter`` time, passes first)."""
        n, T = instance.n_nodes, instance.n_tiers
        lat = [list(map(float, row)) for row in instance.latency]
        params = list(map(float, instance.param_bytes))
        act = list(map(float, instance.activation_bytes))
        beta = list(map(float, instance.boundary_bytes))
        out: list[Scenario] = []
        for systems in itertools.product(*instance.candidates):
            for cuts in itertools.combinations_with_replacement(range(n + 1), T - 1):
                out.append(_build(instance, lat, params, act, beta, systems, cuts))
                if deadline is not None and len(out) % CLOCK_EVERY == 0 and time.perf_counter() > deadline:
                    return None
        return out

    def top(self, instance: Instance, k: int, *, deadline: float | None = None) -> list[Scenario] | None:
        """The ``k`` fastest distinct feasible plans, after filtering and sorting every scenario."""
        every = self.scenarios(instance, deadline=deadline)
        if every is None:
            return None
        kept = [sc for sc in every if _passes(instance, sc)]
        kept.sort(key=lambda sc: sc.latency_s)
        best: list[Scenario] = []
        seen: set[Plan] = set()
        for sc in kept:
            plan = sc.plan(instance)
            if plan not in seen:
                seen.add(plan)
                best.append(sc)
                if len(best) == k:
                    break
        return best

    def solve(
        self,
        instance: Instance,
        objective: Objective,
        *,
        top_k: int = 1,
        time_limit: float | None = None,
    ) -> SolveResult:
        started = time.perf_counter()
        why = self.unsupported(instance, objective)
        if why:
            raise ValueError(why)
        deadline = None if time_limit is None else started + time_limit
        best = self.top(instance, top_k, deadline=deadline)
        if best is None:
            return SolveResult(
                status=Status.TIME_LIMIT,
                solver=self.name,
                objective_name=objective.name,
                wall_time_s=time.perf_counter() - started,
                message=f"stopped at the time limit of {time_limit:g} s while enumerating",
            )
        plans = [sc.plan(instance) for sc in best]
        return finish(
            instance,
            objective,
            self.name,
            plans,
            status=Status.OPTIMAL,
            started=started,
            top_k=top_k,
        )
