"""Exact DAG partitioning with CP-SAT: every constraint and every additive objective.

The model (formulations/dag.md, "MIP") in the order data, variables, constraints, objective:

- ``z[v,s]`` node ``v`` on system ``s``; ``x[v,t] = sum_{s in t} z[v,s]``, one tier per node;
  ``tier(u) <= tier(v)`` on every edge as ``sum_t t x[u,t] <= sum_t t x[v,t]``;
- ``y[s]`` system chosen (exactly one origin; one per used later tier), ``used[t]`` tier used
  (``x[v,t] <= used[t] <= sum_v x[v,t]``), ``stop[t]`` (``stop[0] = 1``, ``stop[t] = used[t]``);
- ``u[s,s']`` the hop from ``s`` to ``s'`` is taken: both chosen, both stops, no stop between;
- ``q[b,s,s']`` tensor ``b`` crosses that hop:
  ``q >= [tier(producer) < tier(s')] + [tier(reader) >= tier(s')] + u[s,s'] - 2`` for each reader
  (a model output with ``return_output`` is read on the last stop, so only its producer counts);
  every cost and limit grows with ``q``, so minimisation keeps ``q`` at the crossing itself and
  each tensor is charged once per hop;
- ``ret[s,o]``: the result returns from the last stop ``s`` to the origin ``o``.

Times, bytes, energy and costs are linear in these. CP-SAT needs integers: a limit row is
rounded conservatively (coefficients up, limit with the evaluator's tolerance down, about
2^-52 of its largest term per term, fewer bits for rows of over 250 terms so that no row can
overflow), so every plan CP-SAT accepts passes the evaluator; the
objective is rounded to about 2^-40 of the sum of its largest terms, and the reported bound
is lowered by the largest rounding error of a plan.
"""

from __future__ import annotations

import itertools
import math
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from ..budget import Budget
from ..evaluate import limit_slack
from ..objectives import Objective, is_additive
from ..plan import Plan
from ..result import SolveResult, Status
from ..solvers.base import allowed_nodes, finish, require_supported, terms_by_origin
from .model import structure

if TYPE_CHECKING:
    from ..instance import Instance
    from ..objectives import Terms

WORKERS = 2
#: Bits of resolution of a limit row (at most: a row's terms must sum below 2^60) and of the objective.
ROW_BITS = 52
OBJECTIVE_BITS = 40


class DagCPSAT:
    """CP-SAT on the compact DAG model, one model per group of origins with equal terms."""

    name = "dag-cpsat"

    def is_available(self) -> bool:
        import importlib.util

        return importlib.util.find_spec("ortools") is not None

    def unsupported(self, instance: Instance, objective: Objective) -> str | None:
        if not is_additive(objective):
            return f"objective {objective.name!r} is not additive; use dag-exhaustive"
        for _, terms in terms_by_origin(instance, objective):
            t: Any = terms
            if (np.asarray(t.hop_per_byte) < 0).any() or t.bottleneck_weight < 0:
                return "negative per-byte costs are not modelled"
        return None

    def solve(
        self, instance: Instance, objective: Objective, *, top_k: int = 1, time_limit: float | None = None
    ) -> SolveResult:
        started = time.perf_counter()
        require_supported(self, instance, objective, top_k)
        budget = Budget(time_limit)
        found: list[tuple[float, Plan]] = []
        bound, proven = math.inf, True
        for origins, terms in terms_by_origin(instance, objective):
            if not origins:
                continue
            model = _DagModel(instance, tuple(origins), terms)  # type: ignore[arg-type]
            group_plans, group_bound, group_proven = model.solve(top_k, budget)
            found += group_plans
            bound = min(bound, group_bound)
            proven = proven and group_proven
        found.sort(key=lambda item: item[0])
        plans = [plan for _, plan in found]
        if proven:
            status = Status.OPTIMAL if plans else Status.INFEASIBLE
        else:
            status = Status.FEASIBLE if plans else Status.TIME_LIMIT
        if not plans or not math.isfinite(bound):
            bound = math.nan
        return finish(instance, objective, self.name, plans, status=status, started=started, bound=bound, top_k=top_k)


class _DagModel:
    """The CP-SAT model for one group of origins (see the module docstring for the symbols)."""

    def __init__(self, instance: Instance, origins: tuple[int, ...], terms: Terms) -> None:
        from ortools.sat.python import cp_model

        self.cp_model = cp_model
        self.instance, self.origins, self.terms = instance, origins, terms
        self.m = cp_model.CpModel()
        self.unit_count = 0  # objective terms that can be non-zero together (for the rounding error)
        self._variables()
        self._placement()
        self._hops()
        self._quantities()
        self._limits()
        self._objective()

    # ---- variables -----------------------------------------------------------------------
    def _variables(self) -> None:
        inst, m = self.instance, self.m
        n, T = inst.n_nodes, inst.n_tiers
        ok = allowed_nodes(inst)
        cands = [list(self.origins)] + [list(inst.candidates[t]) for t in range(1, T)]
        self.cands = cands
        self.z: dict[tuple[int, int], Any] = {}
        for v in range(n):
            for t in range(T):
                for s in cands[t]:
                    if ok[v, s]:
                        self.z[v, s] = m.new_bool_var(f"z{v}_{s}")
        self.y = {s: m.new_bool_var(f"y{s}") for t in range(T) for s in cands[t]}
        self.used = [m.new_bool_var(f"used{t}") for t in range(T)]
        self.tier_of = inst.system_tier
        self.x = [[sum(self.z[v, s] for s in cands[t] if (v, s) in self.z) for t in range(T)] for v in range(n)]

    def _placement(self) -> None:
        inst, m, T = self.instance, self.m, self.instance.n_tiers
        c = inst.constraints
        for v in range(inst.n_nodes):
            self._add(sum(self.x[v]) == 1)
            for t in range(T):
                self._add(self.x[v][t] <= self.used[t])
        for t in range(T):
            self._add(self.used[t] <= sum(self.x[v][t] for v in range(inst.n_nodes)))
            if t in c.tiers_required:
                m.add(self.used[t] == 1)
            if t in c.tiers_forbidden:
                m.add(self.used[t] == 0)
        m.add_exactly_one(self.y[s] for s in self.cands[0])
        for t in range(1, T):
            m.add(sum(self.y[s] for s in self.cands[t]) == self.used[t])
        for (_, s), var in self.z.items():
            m.add_implication(var, self.y[s])
        for u, v in structure(inst).edges:
            self._add(sum(t * self.x[u][t] for t in range(T)) <= sum(t * self.x[v][t] for t in range(T)))
        # y0[s]: the origin s also runs nodes (pays its segment cost)
        self.y0 = {}
        for s in self.cands[0]:
            var = m.new_bool_var(f"y0_{s}")
            m.add_multiplication_equality(var, [self.y[s], self.used[0]])
            self.y0[s] = var

    def _stop(self, t: int) -> Any:
        return 1 if t == 0 else self.used[t]

    def _hops(self) -> None:
        inst, m, T = self.instance, self.m, self.instance.n_tiers
        link = inst.has_link
        self.u: dict[tuple[int, int], Any] = {}
        for a, b in itertools.combinations(range(T), 2):
            between = [self.used[c] for c in range(a + 1, b)]
            for s, s2 in itertools.product(self.cands[a], self.cands[b]):
                if not link[s, s2]:
                    continue
                # taken iff both systems are chosen and no tier between them is used
                var = m.new_bool_var(f"u{s}_{s2}")
                m.add(var >= self.y[s] + self.y[s2] - sum(between) - 1)
                m.add_implication(var, self.y[s])
                m.add_implication(var, self.y[s2])
                for c in between:
                    m.add_implication(var, c.negated())
                self.u[s, s2] = var
        for b in range(1, T):  # a used later tier is entered by exactly one hop (none: a missing link)
            entering = [var for (s, s2), var in self.u.items() if self.tier_of[s2] == b]
            self._add(sum(entering) == self.used[b])
        self.ret: dict[tuple[int, int], Any] = {}
        if inst.return_output:
            for t in range(1, T):
                later = [self.used[c] for c in range(t + 1, T)]
                for s, o in itertools.product(self.cands[t], self.cands[0]):
                    var = m.new_bool_var(f"ret{s}_{o}")
                    m.add(var >= self.y[s] + self.y[o] - sum(later) - 1)
                    if not link[s, o]:
                        m.add(var == 0)
                    self.ret[s, o] = var
        self._crossings()

    def _crossings(self) -> None:
        inst, m, T = self.instance, self.m, self.instance.n_tiers
        dag = structure(inst)
        self.q: dict[tuple[int, int, int], Any] = {}
        for b, readers in enumerate(dag.consumers):
            out = not readers and b > 0 and inst.return_output
            if not readers and not out:
                continue
            for (s, s2), hop in self.u.items():
                t = int(self.tier_of[s2])
                before = 1 if b == 0 else sum(self.x[b - 1][c] for c in range(t))
                var = m.new_bool_var(f"q{b}_{s}_{s2}")
                if out:
                    m.add(var >= before + hop - 1)
                for r in readers:
                    m.add(var >= before + sum(self.x[r][c] for c in range(t, T)) + hop - 2)
                self.q[b, s, s2] = var

    # ---- linear quantities ------------------------------------------------------------------
    def _quantities(self) -> None:
        """Per tier compute time, per hop bytes and times, latency, as ``(terms, constant)``."""
        inst = self.instance
        lat, beta = inst.latency, inst.boundary_bytes
        self.compute: list[list[tuple[Any, float]]] = []
        for t in range(inst.n_tiers):
            row = [(var, float(lat[s, v])) for (v, s), var in self.z.items() if self.tier_of[s] == t]
            for s in self.cands[t]:
                seg = inst.systems[s].segment_overhead_s
                if seg:
                    row.append((self.y0[s] if t == 0 else self.y[s], seg))
            self.compute.append(row)
        self.hop_bytes: dict[tuple[int, int], list[tuple[Any, float]]] = {pair: [] for pair in self.u}
        for (b, s, s2), var in self.q.items():
            self.hop_bytes[s, s2].append((var, float(beta[b])))
        self.out_bytes = float(sum(beta[v + 1] for v in structure(inst).outputs))
        self.hop_time = {pair: self._hop_time(pair, self.u[pair], self.hop_bytes[pair]) for pair in self.u}
        self.ret_time = {
            pair: [(var, float(inst.hop_s(self.out_bytes, *pair)))]
            for pair, var in self.ret.items()
            if inst.has_link[pair]
        }
        self.latency = [term for row in self.compute for term in row]
        self.latency += [term for row in self.hop_time.values() for term in row]
        self.latency += [term for row in self.ret_time.values() for term in row]

    def _hop_time(self, pair: tuple[int, int], hop: Any, nbytes: list[tuple[Any, float]]) -> list[tuple[Any, float]]:
        inst = self.instance
        rate = float(inst.link_bytes_per_s[pair])
        return [(hop, float(inst.link_latency_s[pair]))] + [(var, b / rate) for var, b in nbytes]

    # ---- constraints ------------------------------------------------------------------------
    def _le(self, row: list[tuple[Any, float]], limit: float, enforce: Any = None) -> None:
        """``sum coef * var <= limit`` up to the evaluator's tolerance, rounded conservatively."""
        budget = limit_slack(limit) if limit >= 0 else limit * (1 - 1e-9) + 1e-12
        merged: dict[int, list[Any]] = {}
        for var, coef in row:
            entry = merged.setdefault(var.index, [var, 0.0])
            entry[1] += coef
        row = [(var, coef) for var, coef in merged.values() if coef != 0.0]
        if not row:
            if budget < 0:
                self._false(enforce)
            return
        big = max(max(abs(c) for _, c in row), abs(budget))
        bits = min(ROW_BITS, 60 - math.ceil(math.log2(len(row) + 2)))
        unit = big / 2.0**bits
        coefs = [math.ceil(c / unit) for _, c in row]
        ct = self.m.add(sum(c * v for c, (v, _) in zip(coefs, row)) <= math.floor(budget / unit))
        if enforce is not None:
            ct.only_enforce_if(enforce)

    def _false(self, enforce: Any = None) -> None:
        """A constraint that cannot hold (only when ``enforce`` holds)."""
        ct = self.m.add(self.m.new_constant(0) >= 1)
        if enforce is not None:
            ct.only_enforce_if(enforce)

    def _add(self, relation: Any) -> None:
        """Add a relation that may have folded to a Python bool (no variable on either side)."""
        if isinstance(relation, bool):
            if not relation:
                self._false()
            return
        self.m.add(relation)

    def _limits(self) -> None:
        inst, c = self.instance, self.instance.constraints
        for t in range(inst.n_tiers):
            if c.compute_time_limit_s[t] is not None:
                self._le(self.compute[t], c.compute_time_limit_s[t])  # type: ignore[arg-type]
            pct = c.compute_time_limit_pct[t]
            if pct is not None:
                share = pct / 100.0 * (1 + 1e-9)
                total = [(v, -share * w) for row in self.compute for v, w in row]
                self._le(self.compute[t] + total, 0.0)
            if c.upload_limit_bytes[t] is not None:
                self._upload_limit(t, c.upload_limit_bytes[t])  # type: ignore[arg-type]
        self._memory()
        if c.deadline_s is not None:
            self._le(self.latency, c.deadline_s)
        if c.energy_budget_j is not None:
            for o in self.cands[0]:
                self._le(self._energy(o), c.energy_budget_j, self.y[o])

    def _upload_limit(self, t: int, limit: float) -> None:
        row = [(var, b) for (s, s2), rows in self.hop_bytes.items() if self.tier_of[s] == t for var, b in rows]
        row += [(var, self.out_bytes) for (s, _), var in self.ret.items() if self.tier_of[s] == t]
        self._le(row, limit)

    def _memory(self) -> None:
        """Parameters plus the peak activation: ``g_k`` = some of the ``k`` largest activations runs on ``s``."""
        inst, m = self.instance, self.m
        act, params = inst.activation_bytes, inst.param_bytes
        for s in self.y:
            cap = inst.systems[s].memory_bytes
            nodes = sorted(((v, var) for (v, s2), var in self.z.items() if s2 == s), key=lambda item: -act[item[0]])
            if cap is None or not nodes:
                continue
            row = [(var, float(params[v])) for v, var in nodes]
            prev = None
            for k, (v, var) in enumerate(nodes):
                g = m.new_bool_var(f"g{s}_{k}")
                m.add_implication(var, g)
                if prev is not None:
                    m.add_implication(prev, g)
                drop = float(act[v]) - (float(act[nodes[k + 1][0]]) if k + 1 < len(nodes) else 0.0)
                row.append((g, drop))
                prev = g
            self._le(row, cap)

    def _energy(self, o: int) -> list[tuple[Any, float]]:
        """First-tier energy when ``o`` is the origin (formulations/cost-model.md)."""
        inst = self.instance
        sysm = inst.systems[o]
        cw, idle = sysm.compute_w or 0.0, sysm.idle_w
        row: list[tuple[Any, float]] = [(v, idle * w) for v, w in self.latency]
        row += [(v, (cw - idle) * w) for v, w in self.compute[0]]
        tx = np.nan_to_num(inst.link_tx_w, nan=0.0)
        for (s, s2), rows in self.hop_bytes.items():
            if s != o:
                continue
            rate = float(inst.link_bytes_per_s[s, s2])
            row += [(var, (float(tx[s, s2]) - idle) * b / rate) for var, b in rows]
        return row

    # ---- objective --------------------------------------------------------------------------
    def _objective(self) -> None:
        inst, terms = self.instance, self.terms
        node = np.asarray(terms.node)
        seg = terms.segment_cost
        obj: list[tuple[Any, float]] = [(var, float(node[v, s])) for (v, s), var in self.z.items()]
        obj += [(self.y0[s] if self.tier_of[s] == 0 else self.y[s], float(seg[s])) for s in self.y]
        obj += [(var, float(terms.hop_fixed[pair])) for pair, var in self.u.items()]
        obj += [
            (var, float(terms.hop_per_byte[s, s2]) * float(inst.boundary_bytes[b]))
            for (b, s, s2), var in self.q.items()
        ]
        obj += [
            (var, float(terms.hop_fixed[s, o] + terms.hop_per_byte[s, o] * self.out_bytes))
            for (s, o), var in self.ret.items()
            if inst.has_link[s, o]
        ]
        magnitude = sum(abs(c) for _, c in obj)
        w = terms.bottleneck_weight
        bottleneck_rows = self.compute + list(self.hop_time.values()) + list(self.ret_time.values())
        if w:
            magnitude += w * max((sum(abs(c) for _, c in row) for row in bottleneck_rows), default=0.0)
        # (capped: costs of denormal size would overflow the scale; they round to 0 instead)
        self.scale = min(2.0**OBJECTIVE_BITS / magnitude, 1e300) if magnitude > 0 else 1.0
        expr = [(round(c * self.scale), var) for var, c in obj if round(c * self.scale)]
        if w:
            # the bottleneck in objective units: Z * (1 / (scale * w)) seconds >= every stage and hop
            z_max = 2 * int(2.0**OBJECTIVE_BITS)  # the largest row, each coefficient rounded up: below 2^40 + n
            zed = self.m.new_int_var(0, z_max, "bottleneck")
            unit = 1.0 / (self.scale * w)
            for row in bottleneck_rows:  # in Z's own unit, coefficients rounded up: Z never too small
                coefs = [(math.ceil(c / unit), var) for var, c in row if c]
                if coefs:
                    self.m.add(sum(c * var for c, var in coefs) <= zed)
            expr.append((1, zed))
        self.m.minimize(sum(c * v for c, v in expr))
        # at most one z per node, one q per (tensor, hop), a hop per tier, a system per tier
        T = inst.n_tiers
        self.error = 0.5 * (inst.n_nodes + (inst.n_nodes + 1) * (T - 1) + 3 * T + 2) / self.scale
        self.error += (2 * inst.n_nodes + 2) / self.scale if w else 0.0  # rounding up inside the largest row
        if magnitude == 0:
            self.error = 0.0  # every cost is 0: nothing was rounded

    # ---- solve and read back ------------------------------------------------------------------
    def solve(self, top_k: int, budget: Budget) -> tuple[list[tuple[float, Plan]], float, bool]:
        cp_model = self.cp_model
        out: list[tuple[float, Plan]] = []
        bound = math.inf
        for _ in range(top_k):
            solver = cp_model.CpSolver()
            params = solver.parameters
            params.num_workers = WORKERS
            params.cp_model_presolve = False
            remaining = budget.remaining_or_none()
            if remaining is not None:
                if remaining <= 0:
                    return out, bound, False
                params.max_time_in_seconds = max(remaining, 0.01)
            status = solver.solve(self.m)
            if status == cp_model.INFEASIBLE:
                return out, (bound if out else math.inf), True
            if status == cp_model.MODEL_INVALID:
                raise RuntimeError(f"CP-SAT rejected the DAG model: {self.m.validate()}")
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                return out, bound, False
            if not out:
                bound = solver.best_objective_bound / self.scale - self.error
            plan, chosen = self._read(solver)
            out.append((solver.objective_value / self.scale, plan))
            if status != cp_model.OPTIMAL:
                return out, bound, False
            self.m.add_bool_or([lit.negated() for lit in chosen])  # the next plan differs somewhere
        return out, bound, True

    def _read(self, solver: Any) -> tuple[Plan, list[Any]]:
        inst = self.instance
        tiers = [0] * inst.n_nodes
        names: list[str | None] = [None] * inst.n_tiers
        chosen = []
        for (v, s), var in self.z.items():
            if solver.value(var):
                tiers[v] = int(self.tier_of[s])
                chosen.append(var)
        for s, var in self.y.items():
            if solver.value(var):
                names[int(self.tier_of[s])] = inst.systems[s].name
                if self.tier_of[s] == 0:
                    chosen.append(var)
        return Plan.from_assignment(tuple(tiers), tuple(names)), chosen
