"""Exact solver: the pruned arc-flow model (see ``_mip``) solved by OR-Tools CP-SAT.

CP-SAT needs integers, so every row is scaled here (formulations/chain-mip.md):

* Limits (memory, deadline, energy, compute time, compute share) are rounded
  *conservatively*: a block's unit is ``u = (largest coefficient or limit) /
  2**B`` with ``B = min(40, 60 - log2(terms in its largest row))``, so no
  activity can overflow; coefficients are rounded up and the limit (with the
  evaluator's own tolerance, ``1e-9`` relative) down. A plan CP-SAT accepts
  therefore always passes the evaluator. The price: a plan whose value lies
  within ``k * u`` of a limit, ``k`` being the number of its arcs in the row
  (at most ``n + 1``), may be rejected although it is feasible: about
  ``n * 2**-40`` relative to the block's largest value, below the evaluator's
  own ``1e-9`` up to about 1000 nodes, so a plan exactly at a limit is kept.
* The objective is rounded to the nearest multiple of
  ``u_obj = max(ref / 2**30, max cost / 2**36)``, ``ref`` being the
  shortest-path lower bound of the objective (the largest arc cost when that
  bound is 0 or far smaller). The bottleneck variable of the throughput and
  weighted objectives is measured in ``u_obj / w``. CP-SAT stops at a gap of
  2 units. Optimality tolerance: the plan reported as optimal is within
  ``(n + 4) * u_obj`` (rounding of at most ``n + 1`` arc costs and of the
  bottleneck rows, plus the gap), i.e. about ``(n + 4) * 2**-30`` relative to
  the lower bound (1e-6 at 1000 nodes, 1.3e-8 at 10), of the best plan CP-SAT
  may accept; the reported bound is lowered by that amount so that it stays a
  true lower bound.
* Memory-window, flow and cut rows are integral already.

The solve uses 2 workers with presolve off (the notes measured it slower on
large models), and CP-SAT 9.15's presolve returned a worse plan as OPTIMAL on
about 0.3% of small random models (seeds 2021, 2135, 2692, 3371 of
``tests/solvers/test_mip.random_case`` with 2**30-sized coefficients, and one
with 2**40-sized coefficients before the bits were lowered); none of several
thousand failed with presolve off. The best known plan is given as a hint.
"""

from __future__ import annotations

import importlib.util
import math
import time
from typing import TYPE_CHECKING

import numpy as np

from ..objectives import Objective
from ._mip import ArcModel, ArcSolver, BackendAnswer

if TYPE_CHECKING:
    from ..instance import Instance

#: Resolution of the objective relative to its reference value.
OBJECTIVE_BITS = 30
#: Largest integer coefficient of an arc in the objective is 2**MAX_COEF_BITS (CP-SAT's presolve
#: returned a wrong optimum on a small model with 2**40-sized coefficients).
MAX_COEF_BITS = 36
#: Largest resolution of a limit row relative to its largest coefficient.
LIMIT_BITS = 40
#: CP-SAT presolve (see the module docstring for why it is off).
PRESOLVE = False
WORKERS = 2
#: Smallest unit: values below it (denormals, say) round to 0.
_TINY = 1e-300
#: CP-SAT stops when its bound is this many objective units below the incumbent.
GAP_UNITS = 2


def _objective_unit(model: ArcModel) -> float:
    """The objective's resolution ``u_obj`` (see the module docstring)."""
    cost = np.abs(model.cost)
    biggest = float(cost.max()) if len(cost) else 0.0
    w = model.bottleneck_weight
    for block in model.blocks:
        if block.kind == "bottleneck":
            arc = block.col < model.n_arcs
            sums = np.zeros(block.n_rows)
            np.add.at(sums, block.row[arc], np.abs(block.val[arc]))
            biggest = max(biggest, w * float(sums.max(initial=0.0)))
    ref = abs(model.lower_bound) if math.isfinite(model.lower_bound) else 0.0
    if not ref >= 1e-6 * biggest:
        ref = biggest  # a lower bound of 0 (or far below the costs) says nothing about the scale
    unit = max(ref / 2.0**OBJECTIVE_BITS, biggest / 2.0**MAX_COEF_BITS, _TINY)
    return unit if math.isfinite(unit) else 1.0


def _build(model: ArcModel) -> dict:
    from ortools.sat.python import cp_model

    cp = cp_model.CpModel()
    proto = cp.proto
    m = model.n_arcs
    u_obj = _objective_unit(model)
    # ---- variables: one boolean per arc, then the extra columns ---------------------------
    proto.merge_text_format("variables{domain:[0,1]} " * m)
    units: dict[str, float] = {}
    for block in model.blocks:
        if block.kind == "limit":
            counts = np.bincount(block.row, minlength=block.n_rows) if len(block.row) else np.zeros(1, np.int64)
            bits = min(LIMIT_BITS, 60 - math.ceil(math.log2(int(counts.max()) + 2)))
            arc = block.col < m
            big = max(float(np.abs(block.val[arc]).max(initial=0.0)), float(np.abs(block.hi[np.isfinite(block.hi)]).max(initial=0.0)))
            units[block.name] = max(big if big > 0 else 1.0, _TINY * 2.0**bits) / 2.0**bits
        elif block.kind == "bottleneck":
            units[block.name] = u_obj / model.bottleneck_weight
    extra_ub: list[int] = []
    for extra in model.extras:
        unit = units.get(extra.block, 1.0)  # columns of exact blocks are integral as they stand
        ub = math.ceil(extra.ub / unit) if math.isfinite(extra.ub) else None
        if ub is None:
            # the bottleneck never needs to exceed the largest single time in its rows
            block = next(b for b in model.blocks if b.name == extra.block)
            sums = np.zeros(block.n_rows)
            arc = block.col < m
            np.add.at(sums, block.row[arc], np.abs(block.val[arc]))
            ub = math.ceil(float(sums.max(initial=0.0)) / unit) + 1
        # a floor on Z never makes a plan infeasible; it only lifts plans whose rounded
        # bottleneck falls below it, by less than the rounding tolerance
        lb = max(0, math.floor(extra.lb / unit))
        var = proto.variables.add()
        var.domain.extend([min(lb, int(ub)), int(ub)])
        extra_ub.append(int(ub))
    ub_all = np.concatenate([np.ones(m, dtype=np.int64), np.array(extra_ub, dtype=np.int64)])

    # ---- rows ------------------------------------------------------------------------------
    infeasible = [False]

    def add_rows(row: np.ndarray, col: np.ndarray, coef: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        order = np.argsort(row, kind="stable")
        row, col, coef = row[order], col[order], coef[order]
        starts = np.searchsorted(row, np.arange(len(lo) + 1))
        cols, coefs = col.tolist(), coef.tolist()
        # exact activity bounds keep the row domains small (CP-SAT's presolve misbehaved with +-2**62)
        low = np.zeros(len(lo), dtype=np.int64)
        high = np.zeros(len(lo), dtype=np.int64)
        np.add.at(low, row, np.minimum(coef, 0) * ub_all[col])
        np.add.at(high, row, np.maximum(coef, 0) * ub_all[col])
        lo = np.where(lo < low, low, lo)
        hi = np.where(hi > high, np.maximum(high, lo), hi)
        lo_l, hi_l = lo.tolist(), hi.tolist()
        for r in range(len(lo)):
            a, b = starts[r], starts[r + 1]
            if a == b:
                if lo_l[r] > 0 or hi_l[r] < 0:
                    infeasible[0] = True  # e.g. a limit below zero after rounding
                continue
            ct = proto.constraints.add()
            ct.linear.vars.extend(cols[a:b])
            ct.linear.coeffs.extend(coefs[a:b])
            ct.linear.domain.extend([lo_l[r], hi_l[r]])

    for block in model.blocks:
        arc = block.col < m
        if block.kind == "exact":
            coef = np.rint(block.val).astype(np.int64)
            lo = np.where(np.isfinite(block.lo), np.rint(block.lo), -(2**62)).astype(np.int64)
            hi = np.where(np.isfinite(block.hi), np.rint(block.hi), 2**62).astype(np.int64)
        elif block.kind == "limit":
            unit = units[block.name]
            coef = np.where(arc, np.ceil(block.val / unit), np.rint(block.val)).astype(np.int64)
            lo = np.full(block.n_rows, -(2**62), dtype=np.int64)
            hi = np.floor(block.hi / unit).astype(np.int64)
        else:  # bottleneck rows: times in the objective's unit, the Z column itself unscaled
            unit = units[block.name]
            coef = np.where(arc, np.rint(block.val / unit), np.rint(block.val)).astype(np.int64)
            lo = np.full(block.n_rows, -(2**62), dtype=np.int64)
            hi = np.zeros(block.n_rows, dtype=np.int64)
        if len(hi) and (np.abs(coef).max(initial=0) > 2**62):
            raise AssertionError("a scaled row overflows")
        add_rows(block.row, block.col, coef, lo, hi)

    # exactly one arc enters each node (implied by the flow rows; it helps CP-SAT propagate)
    into = np.flatnonzero(model.kind != 2)
    layers = model.node[into]
    order = np.argsort(layers, kind="stable")
    split = np.searchsorted(layers[order], np.arange(model.instance.n_nodes + 1))
    members = into[order].tolist()
    for b in range(model.instance.n_nodes):
        ct = proto.constraints.add()
        ct.exactly_one.literals.extend(members[split[b] : split[b + 1]])

    # ---- objective ------------------------------------------------------------------------
    obj = np.rint(model.cost / u_obj).astype(np.int64)
    nz = np.flatnonzero(obj)
    vars_ = nz.tolist()
    coeffs = obj[nz].tolist()
    for j, extra in enumerate(model.extras):
        if extra.obj:
            vars_.append(m + j)
            coeffs.append(1)  # Z is measured in u_obj / w, so w * Z costs exactly Z units
    proto.objective.vars.extend(vars_)
    proto.objective.coeffs.extend(coeffs)
    return {"cp": cp, "u_obj": u_obj, "n_cuts": 0, "infeasible": infeasible[0]}


def _run_cpsat(model: ArcModel, seconds: float, state: dict) -> BackendAnswer:
    from ortools.sat.python import cp_model

    started = time.perf_counter()
    if "cp" not in state:
        state.update(_build(model))
    cp = state["cp"]
    if state["infeasible"]:
        return BackendAnswer("infeasible", bound=math.inf)
    for cut in model.cuts[state["n_cuts"] :]:
        ct = cp.proto.constraints.add()
        ct.linear.vars.extend(cut.tolist())
        ct.linear.coeffs.extend([1] * len(cut))
        ct.linear.domain.extend([0, len(cut) - 1])
    state["n_cuts"] = len(model.cuts)
    cp.proto.clear_solution_hint()
    if model.hint is not None:
        # a known feasible plan: its arcs at 1, the others at 0
        cp.proto.solution_hint.vars.extend(range(model.n_arcs))
        values = np.zeros(model.n_arcs, dtype=np.int64)
        values[model.hint] = 1
        cp.proto.solution_hint.values.extend(values.tolist())
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.num_workers = WORKERS
    params.absolute_gap_limit = GAP_UNITS
    if math.isfinite(seconds):
        seconds -= time.perf_counter() - started
        if seconds <= 0:
            return BackendAnswer("unknown")
        # CP-SAT overshoots its limit a little on large models (it finishes an LP first)
        params.max_time_in_seconds = max(0.95 * seconds - 0.05, 0.01)
    params.cp_model_presolve = PRESOLVE
    status = solver.solve(cp)
    u_obj = state["u_obj"]
    slack = (model.instance.n_nodes + 2 + GAP_UNITS) * u_obj
    if status == cp_model.INFEASIBLE:
        return BackendAnswer("infeasible", bound=math.inf)
    if status == cp_model.MODEL_INVALID:
        raise RuntimeError(f"CP-SAT rejected the model: {cp.validate()}")
    bound = solver.best_objective_bound * u_obj - slack
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return BackendAnswer("unknown", bound=bound if status != cp_model.UNKNOWN else math.nan)
    values = np.fromiter(solver.response_proto.solution, dtype=np.int64)[: model.n_arcs]
    chosen = np.flatnonzero(values > 0)
    return BackendAnswer("optimal" if status == cp_model.OPTIMAL else "feasible", chosen, bound=bound)


class CPSAT(ArcSolver):
    """Exact solver: pruned arc-flow model with integer-scaled data, solved by OR-Tools CP-SAT."""

    name = "cpsat"
    backend = staticmethod(_run_cpsat)

    def is_available(self) -> bool:
        return importlib.util.find_spec("ortools") is not None

    def unsupported(self, instance: "Instance", objective: Objective) -> str | None:
        from .._native import cpsat_conflict

        return cpsat_conflict() or super().unsupported(instance, objective)
