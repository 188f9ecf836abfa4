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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from ..budget import Budget
from ..errors import UnsupportedError
from ..evaluate import evaluate, exceeds
from ..limits import MAX_EXHAUSTIVE_SCENARIOS
from ..objectives import Objective, Terms
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


@dataclass(frozen=True)
class Scenario:
    """One origin, one set of used later tiers with one system each, and a chunk of splits.

    ``cuts[r, j]`` is where the ``j``-th used later tier starts in split ``r``.
    """

    origin: int
    subset: tuple[int, ...]
    combo: tuple[int, ...]
    cuts: np.ndarray

    @property
    def stage(self) -> tuple[int, ...]:
        """The systems data passes through: the origin, then one per used later tier."""
        return (self.origin, *self.combo)


def scenarios(instance: Instance, group: list[int]) -> Iterator[Scenario]:
    """Every scenario with an origin in ``group`` whose links exist, honouring required and forbidden tiers."""
    n = instance.n_nodes
    for o in group:
        for subset in _subsets(instance):
            for cuts in _split_chunks(n, len(subset)):
                cuts = _keep_cuts(instance, cuts)
                if len(cuts) == 0:
                    continue
                for combo in itertools.product(*(instance.candidates[t] for t in subset)):
                    stage = (o, *combo)
                    if not all(instance.has_link[a, b] for a, b in zip(stage, stage[1:])):
                        continue
                    if instance.return_output and subset and not instance.has_link[stage[-1], o]:
                        continue
                    yield Scenario(o, subset, combo, cuts)


def _keep_cuts(instance: Instance, cuts: np.ndarray) -> np.ndarray:
    """Drop splits that leave a forbidden tier 0 used or a required tier 0 empty."""
    c = instance.constraints
    if cuts.shape[1] == 0:
        return cuts[:0] if 0 in c.tiers_forbidden else cuts
    keep = np.ones(len(cuts), dtype=bool)
    if 0 in c.tiers_forbidden:
        keep &= cuts[:, 0] == 0
    if 0 in c.tiers_required:
        keep &= cuts[:, 0] > 0
    return cuts[keep]


class _Scorer:
    """Scores every split of a scenario at once: feasibility, then the objective, from prefix sums."""

    def __init__(self, instance: Instance, objective: Objective) -> None:
        n, S = instance.n_nodes, instance.n_systems
        self.instance, self.objective = instance, objective
        ok = allowed_nodes(instance)
        self.bad = np.zeros((S, n + 1), dtype=np.int64)
        self.bad[:, 1:] = np.cumsum(~ok.T, axis=1)
        self.comp_prefix = np.zeros((S, n + 1))
        self.comp_prefix[:, 1:] = np.cumsum(instance.latency, axis=1)
        self.overhead = np.array([system.segment_overhead_s for system in instance.systems])
        self.param_prefix = np.concatenate([[0.0], np.cumsum(instance.param_bytes)])
        self.act_max = np.zeros((0, 0))
        if any(system.memory_bytes is not None for system in instance.systems):
            act = instance.activation_bytes
            self.act_max = np.zeros((n + 1, n + 1))
            for a in range(n):
                self.act_max[a, a + 1 :] = np.maximum.accumulate(act[a:])
        self.tx_w = np.nan_to_num(instance.link_tx_w, nan=0.0)
        self.cost_prefix = np.zeros((S, n + 1))
        self.terms: Terms | None = None

    def use_terms(self, terms: Terms | None) -> None:
        self.terms = terms
        if terms is not None:
            self.cost_prefix[:, 1:] = np.cumsum(terms.node.T, axis=1)

    def score(self, sc: Scenario) -> tuple[np.ndarray, np.ndarray]:
        """``(rows, values)``: the feasible splits of ``sc`` and their objective values."""
        inst = self.instance
        n, k, cuts = inst.n_nodes, len(sc.subset), sc.cuts
        rows_all = len(cuts)
        starts = np.concatenate([np.zeros((rows_all, 1), dtype=np.int64), cuts], axis=1)
        ends = np.concatenate([cuts, np.full((rows_all, 1), n, dtype=np.int64)], axis=1)
        returning = inst.return_output and k > 0
        comp, feasible = self._stages(sc, starts, ends)
        hop_time, hop_bytes = self._hops(sc, returning)
        latency = comp.sum(axis=1) + hop_time.sum(axis=1)
        feasible &= self._limits(sc, comp, hop_bytes, latency, returning)
        rows = np.flatnonzero(feasible)
        if rows.size == 0:
            return rows, np.zeros(0)
        if self.terms is None:
            plans = [_plan(inst, sc.origin, sc.subset, sc.combo, cuts[r]) for r in rows]
            values = np.array([self.objective.value(inst, p, evaluate(inst, p)) for p in plans])
            return rows, values
        return rows, self._additive(sc, rows, starts, ends, comp, hop_time, returning)

    def _stages(self, sc: Scenario, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Compute time per stage (a used stage pays its fixed cost once) and the per-segment checks."""
        inst = self.instance
        feasible = np.ones(len(starts), dtype=bool)
        comp = np.empty((len(starts), len(sc.stage)))
        for j, s in enumerate(sc.stage):
            first, stop = starts[:, j], ends[:, j]
            comp[:, j] = self.comp_prefix[s, stop] - self.comp_prefix[s, first] + self.overhead[s] * (stop > first)
            feasible &= self.bad[s, stop] == self.bad[s, first]
            cap = inst.systems[s].memory_bytes
            if cap is not None:
                mem = self.param_prefix[stop] - self.param_prefix[first] + self.act_max[first, stop]
                feasible &= ~exceeds(mem, cap)
        return comp, feasible

    def _hops(self, sc: Scenario, returning: bool) -> tuple[np.ndarray, np.ndarray]:
        inst = self.instance
        beta, k, stage = inst.boundary_bytes, len(sc.subset), sc.stage
        hop_time = np.empty((len(sc.cuts), k + int(returning)))
        hop_bytes = np.empty_like(hop_time)
        pairs = [(stage[j], stage[j + 1], beta[sc.cuts[:, j]]) for j in range(k)]
        if returning:
            pairs.append((stage[-1], sc.origin, np.full(len(sc.cuts), beta[inst.n_nodes])))
        for j, (src, dst, nbytes) in enumerate(pairs):
            hop_bytes[:, j] = nbytes
            hop_time[:, j] = inst.link_latency_s[src, dst] + nbytes / inst.link_bytes_per_s[src, dst]
        return hop_time, hop_bytes

    def _limits(
        self, sc: Scenario, comp: np.ndarray, hop_bytes: np.ndarray, latency: np.ndarray, returning: bool
    ) -> np.ndarray:
        """Upload, compute-time (absolute and percent), deadline and energy checks."""
        inst, c = self.instance, self.instance.constraints
        k = len(sc.subset)
        feasible = np.ones(len(comp), dtype=bool)
        total = comp.sum(axis=1)
        for j, s in enumerate(sc.stage):
            t = inst.system_tier[s]
            limit = c.upload_limit_bytes[t]
            sends = j < k or returning  # stage j sends hop j; the last stage sends the return hop
            if limit is not None and sends:
                feasible &= ~exceeds(hop_bytes[:, j], limit)
            if c.compute_time_limit_s[t] is not None:
                feasible &= ~exceeds(comp[:, j], c.compute_time_limit_s[t])
            if c.compute_time_limit_pct[t] is not None:  # an unused tier computes 0 s: always fine
                feasible &= ~exceeds(comp[:, j], c.compute_time_limit_pct[t] / 100.0 * total)
        if c.deadline_s is not None:
            feasible &= ~exceeds(latency, c.deadline_s)
        if c.energy_budget_j is not None:
            origin = inst.systems[sc.origin]
            o = sc.origin
            sent = hop_bytes[:, 0] / inst.link_bytes_per_s[o, sc.stage[1]] if k else np.zeros(len(comp))
            tx = self.tx_w[o, sc.stage[1]] if k else 0.0
            energy = (origin.compute_w or 0.0) * comp[:, 0] + tx * sent + origin.idle_w * (latency - comp[:, 0] - sent)
            feasible &= ~exceeds(energy, c.energy_budget_j)
        return feasible

    def _additive(
        self,
        sc: Scenario,
        rows: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
        comp: np.ndarray,
        hop_time: np.ndarray,
        returning: bool,
    ) -> np.ndarray:
        terms = self.terms
        assert terms is not None
        inst, k, stage = self.instance, len(sc.subset), sc.stage
        beta = inst.boundary_bytes
        value = np.zeros(len(rows))
        for j, s in enumerate(stage):
            ran = ends[rows, j] > starts[rows, j]
            value += self.cost_prefix[s, ends[rows, j]] - self.cost_prefix[s, starts[rows, j]]
            value += terms.segment_cost[s] * ran
        for j in range(k):
            src, dst = stage[j], stage[j + 1]
            value += terms.hop_fixed[src, dst] + terms.hop_per_byte[src, dst] * beta[sc.cuts[rows, j]]
        if returning:
            value += (
                terms.hop_fixed[stage[-1], sc.origin] + terms.hop_per_byte[stage[-1], sc.origin] * beta[inst.n_nodes]
            )
        if terms.bottleneck_weight:
            used = np.concatenate([comp[rows], hop_time[rows]], axis=1)
            value += terms.bottleneck_weight * used.max(axis=1)
        return value


class _Best:
    """The ``k`` best plans seen so far (a max-heap on the value)."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.heap: list[tuple[float, int, Plan]] = []
        self.counter = itertools.count()

    def offer(self, values: np.ndarray, make_plan: Callable[[int], Plan]) -> None:
        if values.size == 0:
            return
        k = min(self.k, values.size)
        idx = np.argpartition(values, k - 1)[:k] if k < values.size else np.arange(values.size)
        for i in idx:
            v = float(values[i])
            if len(self.heap) < self.k:
                heapq.heappush(self.heap, (-v, next(self.counter), make_plan(int(i))))
            elif v < -self.heap[0][0]:
                heapq.heapreplace(self.heap, (-v, next(self.counter), make_plan(int(i))))

    def plans(self) -> list[Plan]:
        return [p for _, _, p in sorted(self.heap, key=lambda x: -x[0])]


class Exhaustive:
    """Enumerates every plan; the reference every other solver is tested against."""

    name = "exhaustive"
    features = frozenset(Feature) - {Feature.DAG}

    def is_available(self) -> bool:
        return True

    def unsupported(self, instance: Instance, objective: Objective) -> str | None:
        return chain_problem(instance)

    def solve(
        self,
        instance: Instance,
        objective: Objective,
        *,
        top_k: int = 1,
        time_limit: float | None = None,
        budget: Budget | None = None,
    ) -> SolveResult:
        """Score every scenario; stops (status ``feasible`` or ``time_limit``) when the budget runs out."""
        started = time.perf_counter()
        budget = budget or Budget(time_limit)
        require_supported(self, instance, objective, top_k)
        if budget.limit_s is None and (count := count_scenarios(instance)) > MAX_EXHAUSTIVE_SCENARIOS:
            raise UnsupportedError(
                f"{instance.source}: exhaustive would score {count:.3g} scenarios (more than"
                f" {MAX_EXHAUSTIVE_SCENARIOS:.0e}): give a time limit, or use auto"
            )
        scorer = _Scorer(instance, objective)
        best = _Best(top_k)
        timed_out = False
        for group, terms in terms_by_origin(instance, objective):
            scorer.use_terms(terms)  # type: ignore[arg-type]
            for sc in scenarios(instance, group):
                if budget.expired():
                    timed_out = True
                    break
                rows, values = scorer.score(sc)

                def make_plan(i: int, rows: np.ndarray = rows, sc: Scenario = sc) -> Plan:
                    return _plan(instance, sc.origin, sc.subset, sc.combo, sc.cuts[rows[i]])

                best.offer(values, make_plan)
            if timed_out:
                break
        plans = best.plans()
        if timed_out:
            status = Status.FEASIBLE if plans else Status.TIME_LIMIT
            message = f"stopped at the time limit of {budget.limit_s:g} s before enumerating every plan"
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
