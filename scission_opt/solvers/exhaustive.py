"""The reference solver: every choice of systems and every split, vectorised with numpy.

For each origin system, each set of used later tiers and each choice of one
system per used tier, all splits are scored at once from prefix sums (one numpy
array over the splits, not a Python object per scenario). It supports every
constraint and every objective; objectives that are not additive are scored by
the evaluator one feasible scenario at a time.
"""

from __future__ import annotations

import heapq
import itertools
import math
import time
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from ..budget import Budget
from ..evaluate import evaluate, exceeds
from ..objectives import Objective, is_additive
from ..plan import Plan
from ..result import SolveResult, Status
from .base import Feature, allowed_nodes, chain_problem, finish, require_supported, terms_by_origin

if TYPE_CHECKING:
    from ..instance import Instance


#: Splits scored per numpy pass; bounds memory (a few arrays of this many rows per pass).
CHUNK_ROWS = 1 << 20


def _split_chunks(n: int, k: int) -> Iterator[np.ndarray]:
    """All ``0 <= c_1 < ... < c_k <= n - 1`` (starts of the used later tiers), as ``(M, k)`` arrays
    of at most :data:`CHUNK_ROWS` rows."""
    if math.comb(n, k) <= CHUNK_ROWS:
        yield _small_splits(n, k)
        return
    combos = itertools.combinations(range(n), k)
    while True:
        flat = np.fromiter(itertools.chain.from_iterable(itertools.islice(combos, CHUNK_ROWS)), dtype=np.int64)
        if flat.size == 0:
            return
        yield flat.reshape(-1, k)


@lru_cache(maxsize=64)
def _small_splits(n: int, k: int) -> np.ndarray:
    if k == 0:
        return np.zeros((1, 0), dtype=np.int64)
    flat = np.fromiter(itertools.chain.from_iterable(itertools.combinations(range(n), k)), dtype=np.int64)
    return flat.reshape(-1, k)


def _subsets(instance: Instance) -> list[tuple[int, ...]]:
    """Sets of later tiers that may be used together, honouring required and forbidden tiers."""
    c = instance.constraints
    later = [t for t in range(1, instance.n_tiers) if t not in c.tiers_forbidden and instance.candidates[t]]
    required = {t for t in c.tiers_required if t > 0}
    out = []
    for k in range(len(later) + 1):
        for subset in itertools.combinations(later, k):
            if required <= set(subset) and k <= instance.n_nodes:
                out.append(subset)
    return out


def count_scenarios(instance: Instance) -> int:
    """How many (system choice, split) scenarios an enumeration must score, before constraints."""
    n = instance.n_nodes
    total = 0
    for subset in _subsets(instance):
        combos = math.prod(len(instance.candidates[t]) for t in subset)
        total += combos * math.comb(n, len(subset))
    return total * len(instance.candidates[0])


def _plan(instance: Instance, origin: int, subset: tuple[int, ...], combo: tuple[int, ...], cuts: np.ndarray) -> Plan:
    n, T = instance.n_nodes, instance.n_tiers
    start = {t: int(cuts[j]) for j, t in enumerate(subset)}
    bounds = [0] * (T + 1)
    bounds[T] = n
    nxt = n
    for t in range(T - 1, 0, -1):
        nxt = start.get(t, nxt)
        bounds[t] = nxt
    names: list[str | None] = [None] * T
    names[0] = instance.systems[origin].name
    for t, s in zip(subset, combo):
        names[t] = instance.systems[s].name
    return Plan(tuple(bounds), tuple(names))


class Exhaustive:
    """Enumerates every plan; the reference every other solver is tested against."""

    name = "exhaustive"
    features = frozenset(Feature) - {Feature.DAG}

    def is_available(self) -> bool:
        return True

    def unsupported(self, instance: Instance, objective: Objective) -> str | None:
        return chain_problem(instance, segment_overhead=True)

    def solve(
        self,
        instance: Instance,
        objective: Objective,
        *,
        top_k: int = 1,
        time_limit: float | None = None,
        budget: Budget | None = None,
    ) -> SolveResult:
        started = time.perf_counter()
        if budget is not None:
            time_limit = budget.remaining_or_none()
        require_supported(self, instance, objective)
        n, S = instance.n_nodes, instance.n_systems
        c = instance.constraints
        systems = instance.systems
        tier_of = instance.system_tier

        ok = allowed_nodes(instance)
        bad = np.zeros((S, n + 1), dtype=np.int64)
        bad[:, 1:] = np.cumsum(~ok.T, axis=1)
        comp_prefix = np.zeros((S, n + 1))
        comp_prefix[:, 1:] = np.cumsum(instance.latency, axis=1)
        overhead = np.array([system.segment_overhead_s for system in systems])
        capped = [s for s in range(S) if systems[s].memory_bytes is not None]
        if capped:
            param_prefix = np.concatenate([[0.0], np.cumsum(instance.param_bytes)])
            act = instance.activation_bytes
            act_max = np.zeros((n + 1, n + 1))
            for a in range(n):
                act_max[a, a + 1 :] = np.maximum.accumulate(act[a:])
        beta = instance.boundary_bytes
        link_fixed = instance.link_latency_s
        link_bps = instance.link_bytes_per_s
        tx_w = np.nan_to_num(instance.link_tx_w, nan=0.0)
        additive = is_additive(objective)
        subsets = _subsets(instance)

        best: list[tuple[float, int, Plan]] = []  # max-heap of the top_k by (-value)
        counter = itertools.count()
        timed_out = False

        def offer(values: np.ndarray, make_plan) -> None:  # type: ignore[no-untyped-def]
            if values.size == 0:
                return
            k = min(top_k, values.size)
            idx = np.argpartition(values, k - 1)[:k] if k < values.size else np.arange(values.size)
            for i in idx:
                v = float(values[i])
                if len(best) < top_k:
                    heapq.heappush(best, (-v, next(counter), make_plan(int(i))))
                elif v < -best[0][0]:
                    heapq.heapreplace(best, (-v, next(counter), make_plan(int(i))))

        for group_origins, terms in terms_by_origin(instance, objective):
            if additive:
                cost_prefix = np.zeros((S, n + 1))
                cost_prefix[:, 1:] = np.cumsum(terms.node.T, axis=1)  # type: ignore[attr-defined]
            for o in group_origins:
                origin = systems[o]
                for subset in subsets:
                    k = len(subset)
                    for cuts in _split_chunks(n, k):
                        if k == 0:
                            if 0 in c.tiers_forbidden:
                                continue
                        else:
                            keep = np.ones(len(cuts), dtype=bool)
                            if 0 in c.tiers_forbidden:
                                keep &= cuts[:, 0] == 0
                            if 0 in c.tiers_required:
                                keep &= cuts[:, 0] > 0
                            cuts = cuts[keep]
                        if len(cuts) == 0:
                            continue
                        starts = np.concatenate([np.zeros((len(cuts), 1), dtype=np.int64), cuts], axis=1)
                        ends = np.concatenate([cuts, np.full((len(cuts), 1), n, dtype=np.int64)], axis=1)
                        for combo in itertools.product(*(instance.candidates[t] for t in subset)):
                            if time_limit is not None and time.perf_counter() - started > time_limit:
                                timed_out = True
                                break
                            stage = (o, *combo)
                            if not all(instance.has_link[a, b] for a, b in zip(stage, stage[1:])):
                                continue
                            returning = instance.return_output and k > 0
                            if returning and not instance.has_link[stage[-1], o]:
                                continue
                            feasible = np.ones(len(cuts), dtype=bool)
                            comp = np.empty((len(cuts), k + 1))
                            for j, s in enumerate(stage):
                                first, stop = starts[:, j], ends[:, j]
                                # a used stage pays its system's fixed cost once (one segment)
                                comp[:, j] = comp_prefix[s, stop] - comp_prefix[s, first] + overhead[s] * (stop > first)
                                feasible &= bad[s, stop] == bad[s, first]
                                cap = systems[s].memory_bytes
                                if cap is not None:
                                    mem = param_prefix[stop] - param_prefix[first] + act_max[first, stop]
                                    feasible &= ~exceeds(mem, cap)
                            hop_time = np.empty((len(cuts), k + int(returning)))
                            hop_bytes = np.empty_like(hop_time)
                            for j in range(k):
                                src, dst = stage[j], stage[j + 1]
                                hop_bytes[:, j] = beta[cuts[:, j]]
                                hop_time[:, j] = link_fixed[src, dst] + hop_bytes[:, j] / link_bps[src, dst]
                            if returning:
                                hop_bytes[:, k] = beta[n]
                                hop_time[:, k] = link_fixed[stage[-1], o] + beta[n] / link_bps[stage[-1], o]
                            latency = comp.sum(axis=1) + hop_time.sum(axis=1)
                            # upload per stage: stage j sends hop j; the last stage sends the return hop
                            for j, s in enumerate(stage):
                                limit = c.upload_limit_bytes[tier_of[s]]
                                if limit is None:
                                    continue
                                if j < k:
                                    feasible &= ~exceeds(hop_bytes[:, j], limit)
                                elif returning:
                                    feasible &= ~exceeds(hop_bytes[:, k], limit)
                            total_comp = comp.sum(axis=1)
                            for j, s in enumerate(stage):
                                t = tier_of[s]
                                if c.compute_time_limit_s[t] is not None:
                                    feasible &= ~exceeds(comp[:, j], c.compute_time_limit_s[t])
                                if c.compute_time_limit_pct[t] is not None:
                                    feasible &= ~exceeds(comp[:, j], c.compute_time_limit_pct[t] / 100.0 * total_comp)
                            # a tier whose pct limit is set but which is unused computes 0 s: always fine
                            if c.deadline_s is not None:
                                feasible &= ~exceeds(latency, c.deadline_s)
                            if c.energy_budget_j is not None:
                                sent = hop_bytes[:, 0] / link_bps[o, stage[1]] if k else np.zeros(len(cuts))
                                tx = tx_w[o, stage[1]] if k else 0.0
                                energy = (
                                    (origin.compute_w or 0.0) * comp[:, 0]
                                    + tx * sent
                                    + origin.idle_w * (latency - comp[:, 0] - sent)
                                )
                                feasible &= ~exceeds(energy, c.energy_budget_j)
                            if not feasible.any():
                                continue
                            rows = np.flatnonzero(feasible)

                            def make_plan(i: int, rows=rows, subset=subset, combo=combo, cuts=cuts, o=o) -> Plan:  # type: ignore[no-untyped-def]
                                return _plan(instance, o, subset, combo, cuts[rows[i]])

                            if additive:
                                value = np.zeros(len(rows))
                                for j, s in enumerate(stage):
                                    ran = ends[rows, j] > starts[rows, j]
                                    value += cost_prefix[s, ends[rows, j]] - cost_prefix[s, starts[rows, j]]
                                    value += terms.segment_cost[s] * ran  # type: ignore[attr-defined]
                                for j in range(k):
                                    src, dst = stage[j], stage[j + 1]
                                    value += (
                                        terms.hop_fixed[src, dst] + terms.hop_per_byte[src, dst] * beta[cuts[rows, j]]
                                    )  # type: ignore[attr-defined]
                                if returning:
                                    value += terms.hop_fixed[stage[-1], o] + terms.hop_per_byte[stage[-1], o] * beta[n]  # type: ignore[attr-defined]
                                if terms.bottleneck_weight:  # type: ignore[attr-defined]
                                    used = np.concatenate([comp[rows], hop_time[rows]], axis=1)
                                    value += terms.bottleneck_weight * used.max(axis=1)  # type: ignore[attr-defined]
                            else:
                                value = np.array(
                                    [
                                        objective.value(instance, p, evaluate(instance, p))
                                        for p in map(make_plan, range(len(rows)))
                                    ]
                                )
                            offer(value, make_plan)
                        if timed_out:
                            break
                    if timed_out:
                        break
                if timed_out:
                    break
            if timed_out:
                break

        plans = [p for _, _, p in sorted(best, key=lambda x: -x[0])]
        if timed_out:
            status = Status.FEASIBLE if plans else Status.TIME_LIMIT
            message = f"stopped at the time limit of {time_limit:g} s before enumerating every plan"
        else:
            status = Status.OPTIMAL if plans else Status.INFEASIBLE
            message = ""
        return finish(
            instance,
            objective,
            self.name,
            plans,
            status=status,
            started=started,
            top_k=top_k,
            message=message,
            bound=math.nan,
            method="exhaustive enumeration",
        )
