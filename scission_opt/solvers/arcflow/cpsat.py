"""CP-SAT backend: the arc-flow model with integer-scaled data, solved by OR-Tools CP-SAT.

CP-SAT needs integers. Limit rows are rounded conservatively (coefficients up,
right-hand sides down), so a plan CP-SAT accepts always passes the evaluator;
the objective is rounded to a unit ``u_obj`` and the reported bound lowered by
the rounding error so that it stays a true lower bound. formulations/chain-mip.md
("CP-SAT backend and its scaling") gives the units, the tolerances and why
presolve is off. A scaled value that would not fit in 64 bits is refused with
:class:`~scission_opt.errors.UnsupportedError` naming the row family, never
rounded silently.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

import numpy as np

from ...errors import UnsupportedError
from .driver import BackendAnswer
from .group import OutOfTime
from .model import ArcModel, RowBlock

#: Resolution of the objective relative to its reference value.
OBJECTIVE_BITS = 30
#: Largest integer coefficient of an arc in the objective is 2**MAX_COEF_BITS.
MAX_COEF_BITS = 36
#: Largest resolution of a limit row relative to its largest coefficient.
LIMIT_BITS = 40
#: CP-SAT stops when its bound is this many objective units below the incumbent.
GAP_UNITS = 2
#: Seconds per arc variable that declaring the variables takes at least (2.5 s for 500,000 arcs here, loaded).
_S_PER_VARIABLE = 2e-6
#: Rows written between two looks at the clock.
_CHUNK = 20_000
#: Smallest unit: values below it (denormals, say) round to 0.
_TINY = 1e-300
#: Integers beyond this magnitude are refused (CP-SAT's domains end at 2**62).
_INT_MAX = 2**61
_FREE = 2**62


class Params:
    """CP-SAT settings: 2 workers (this is a 2-core machine), presolve off, memory capped.

    A model with more than ``one_worker_arcs`` arcs gets one worker: every worker
    keeps its own LP, and on a 1000-node, 48-system model with a percentage time
    limit two workers grew to 1.7 GB in 60 s (3.1-3.7 GB before the cap), one to
    about 1 GB; the ``lean`` settings take it under 1 GB. ``max_memory_in_mb`` is
    CP-SAT's own cap, which it checks only now and then. A timer stops the search at the time limit, which CP-SAT
    alone overran by up to 13 s on the same model.
    """

    workers: int = 2
    one_worker_arcs: int = 100_000
    presolve: bool = False
    max_memory_mb: int = 512
    #: Above ``one_worker_arcs`` also no LP relaxation, probing or symmetry detection: on the
    #: 1000-node, 48-system coupling cases (30 s limit, measured here under load 3-4) peak RSS went
    #: from 1.19 GB to 0.91 GB (throughput, proven in 8.5 s instead of 26 s), 0.36 to 0.29 GB
    #: (deadline, energy: 3.7 s instead of 12.5 s); the percentage limit stays unproven either way.
    lean: dict[str, int] = {"linearization_level": 0, "cp_model_probing_level": 0, "symmetry_level": 0}  # noqa: RUF012


def _row_sums(block: RowBlock, m: int) -> np.ndarray:
    arc = block.col < m
    sums = np.zeros(block.n_rows)
    np.add.at(sums, block.row[arc], np.abs(block.val[arc]))
    return sums


def objective_unit(model: ArcModel) -> float:
    """The objective's resolution ``u_obj = max(ref / 2**30, largest cost / 2**36)``."""
    cost = np.abs(model.cost)
    biggest = float(cost.max()) if len(cost) else 0.0
    w = model.bottleneck_weight
    for block in model.blocks:
        if block.kind == "bottleneck":
            biggest = max(biggest, w * float(_row_sums(block, model.n_arcs).max(initial=0.0)))
    ref = abs(model.lower_bound) if math.isfinite(model.lower_bound) else 0.0
    if not ref >= 1e-6 * biggest:
        ref = biggest  # a lower bound of 0 (or far below the costs) says nothing about the scale
    unit = max(ref / 2.0**OBJECTIVE_BITS, biggest / 2.0**MAX_COEF_BITS, _TINY)
    if not math.isfinite(unit) or not math.isfinite(biggest):
        raise UnsupportedError("objective: costs too large to scale to integers (not finite)")
    return unit


def _to_int(values: np.ndarray, what: str) -> np.ndarray:
    """``values`` (already scaled and rounded) as int64, refusing anything that does not fit."""
    if len(values) and not (np.isfinite(values).all() and np.abs(values).max() <= _INT_MAX):
        raise UnsupportedError(f"{what}: a value scaled to CP-SAT's integers does not fit in 64 bits")
    return values.astype(np.int64)


def _units(model: ArcModel, u_obj: float) -> dict[str, float]:
    """The unit of each scaled row block (limit rows: conservative; bottleneck rows: ``u_obj / w``)."""
    units: dict[str, float] = {}
    for block in model.blocks:
        if block.kind == "limit":
            counts = np.bincount(block.row, minlength=block.n_rows) if len(block.row) else np.zeros(1, np.int64)
            bits = min(LIMIT_BITS, 60 - math.ceil(math.log2(int(counts.max()) + 2)))
            arc = block.col < model.n_arcs
            finite_hi = block.hi[np.isfinite(block.hi)]
            big = max(float(np.abs(block.val[arc]).max(initial=0.0)), float(np.abs(finite_hi).max(initial=0.0)))
            units[block.name] = max(big if big > 0 else 1.0, _TINY * 2.0**bits) / 2.0**bits
        elif block.kind == "bottleneck":
            units[block.name] = u_obj / model.bottleneck_weight
    return units


def _extra_domains(model: ArcModel, units: dict[str, float]) -> list[tuple[int, int]]:
    out = []
    for extra in model.extras:
        unit = units.get(extra.block, 1.0)  # columns of exact blocks are integral as they stand
        if math.isfinite(extra.ub):
            ub = extra.ub / unit
        else:  # the bottleneck never needs to exceed the largest single time in its rows
            block = next(b for b in model.blocks if b.name == extra.block)
            ub = float(_row_sums(block, model.n_arcs).max(initial=0.0)) / unit + 1
        if not ub <= _INT_MAX:
            raise UnsupportedError(f"{extra.block}: the range of column {extra.name} does not fit CP-SAT's integers")
        # a floor on Z never makes a plan infeasible; it only lifts plans whose rounded
        # bottleneck falls below it, by less than the rounding tolerance
        lb = max(0, math.floor(extra.lb / unit))
        out.append((min(lb, math.ceil(ub)), math.ceil(ub)))
    return out


def _scaled(block: RowBlock, m: int, units: dict[str, float], u_obj: float, slack_units: int) -> tuple:
    """Integer ``(coef, lo, hi)`` of one block."""
    arc = block.col < m
    free = np.full(block.n_rows, -_FREE, dtype=np.int64)
    if block.kind == "exact":
        lo = np.where(np.isfinite(block.lo), np.rint(block.lo), -_FREE).astype(np.int64)
        hi = np.where(np.isfinite(block.hi), np.rint(block.hi), _FREE).astype(np.int64)
        return _to_int(np.rint(block.val), block.name), lo, hi
    if block.kind == "limit":
        unit = units[block.name]
        coef = np.where(arc, np.ceil(block.val / unit), np.rint(block.val))
        return _to_int(coef, block.name), free, _to_int(np.floor(block.hi / unit), block.name)
    if block.kind == "bottleneck":  # times in the objective's unit, the Z column itself unscaled
        coef = np.where(arc, np.rint(block.val / units[block.name]), np.rint(block.val))
        return _to_int(coef, block.name), free, np.zeros(block.n_rows, dtype=np.int64)
    # "objective": the objective's own integer coefficients >= the bound, less the rounding error
    coef = np.where(arc, np.rint(block.val / u_obj), 1.0)
    lo = np.floor(block.lo / u_obj) - slack_units
    return _to_int(coef, block.name), _to_int(lo, block.name), np.full(block.n_rows, _FREE, dtype=np.int64)


def _add_rows(
    proto: Any,
    ub_all: np.ndarray,
    row: np.ndarray,
    col: np.ndarray,
    coef: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    deadline: float = math.inf,
) -> bool:
    """Add rows to the CP-SAT proto; returns False when an empty row can never hold.

    Raises :class:`OutOfTime` past ``deadline`` (a 500,000-arc model takes seconds to write).
    """
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
    ok = True
    for r, (lo_r, hi_r) in enumerate(zip(lo.tolist(), hi.tolist(), strict=True)):
        if r % _CHUNK == 0 and time.perf_counter() > deadline:
            raise OutOfTime
        a, b = starts[r], starts[r + 1]
        if a == b:
            ok = ok and lo_r <= 0 <= hi_r  # e.g. a limit below zero after rounding
            continue
        ct = proto.constraints.add()
        ct.linear.vars.extend(cols[a:b])
        ct.linear.coeffs.extend(coefs[a:b])
        ct.linear.domain.extend([lo_r, hi_r])
    return ok


def _exactly_one_per_node(proto: Any, model: ArcModel) -> None:
    """Exactly one arc enters each node (implied by the flow rows; it helps CP-SAT propagate)."""
    into = np.flatnonzero(model.kind != 2)
    layers = model.node[into]
    order = np.argsort(layers, kind="stable")
    split = np.searchsorted(layers[order], np.arange(model.instance.n_nodes + 1))
    members = into[order].tolist()
    for b in range(model.instance.n_nodes):
        ct = proto.constraints.add()
        ct.exactly_one.literals.extend(members[split[b] : split[b + 1]])


def build(model: ArcModel, deadline: float = math.inf) -> dict:
    """The CP-SAT model of ``model``: variables, rows, objective (formulations/chain-mip.md).

    Raises :class:`OutOfTime` when it cannot be written before ``deadline``.
    """
    from ortools.sat.python import cp_model

    cp = cp_model.CpModel()
    proto = cp.proto
    m = model.n_arcs
    u_obj = objective_unit(model)
    slack_units = model.instance.n_nodes + 2 + GAP_UNITS
    # ---- variables: one boolean per arc, then the extra columns ---------------------------
    if time.perf_counter() + m * _S_PER_VARIABLE > deadline:
        raise OutOfTime
    proto.merge_text_format("variables{domain:[0,1]} " * m)
    units = _units(model, u_obj)
    domains = _extra_domains(model, units)
    for lb, ub in domains:
        proto.variables.add().domain.extend([lb, ub])
    ub_all = np.concatenate([np.ones(m, dtype=np.int64), np.array([ub for _, ub in domains], dtype=np.int64)])
    # ---- rows ------------------------------------------------------------------------------
    feasible = True
    for block in model.blocks:
        coef, lo, hi = _scaled(block, m, units, u_obj, slack_units)
        feasible &= _add_rows(proto, ub_all, block.row, block.col, coef, lo, hi, deadline)
    if time.perf_counter() > deadline:
        raise OutOfTime
    _exactly_one_per_node(proto, model)
    # ---- objective ------------------------------------------------------------------------
    obj = _to_int(np.rint(model.cost / u_obj), "objective")
    if len(obj) and int(np.abs(obj).sum()) > _INT_MAX:
        raise UnsupportedError("objective: the scaled objective of a path does not fit CP-SAT's integers")
    nz = np.flatnonzero(obj)
    variables, coeffs = nz.tolist(), obj[nz].tolist()
    for j, extra in enumerate(model.extras):
        if extra.obj:
            variables.append(m + j)
            coeffs.append(1)  # Z is measured in u_obj / w, so w * Z costs exactly Z units
    proto.objective.vars.extend(variables)
    proto.objective.coeffs.extend(coeffs)
    return {"cp": cp, "u_obj": u_obj, "n_cuts": 0, "infeasible": not feasible}


def _add_cuts_and_hint(model: ArcModel, state: dict) -> None:
    proto = state["cp"].proto
    for cut in model.cuts[state["n_cuts"] :]:
        ct = proto.constraints.add()
        ct.linear.vars.extend(cut.tolist())
        ct.linear.coeffs.extend([1] * len(cut))
        ct.linear.domain.extend([0, len(cut) - 1])
    state["n_cuts"] = len(model.cuts)
    proto.clear_solution_hint()
    if model.hint is not None:  # a known feasible plan: its arcs at 1, the others at 0
        proto.solution_hint.vars.extend(range(model.n_arcs))
        values = np.zeros(model.n_arcs, dtype=np.int64)
        values[model.hint] = 1
        proto.solution_hint.values.extend(values.tolist())


def run_cpsat(model: ArcModel, seconds: float, state: dict) -> BackendAnswer:
    """Solve ``model`` (with its cuts and hint) within ``seconds``; ``state`` keeps the CP-SAT model between calls."""
    started = time.perf_counter()  # importing OR-Tools the first time takes seconds on a loaded machine: it counts
    from ortools.sat.python import cp_model

    if "cp" not in state:
        try:
            state.update(build(model, started + seconds))
        except OutOfTime:
            return BackendAnswer("unknown")
    if state["infeasible"]:
        return BackendAnswer("infeasible", bound=math.inf)
    _add_cuts_and_hint(model, state)
    solver = cp_model.CpSolver()
    params = solver.parameters
    large = model.n_arcs > Params.one_worker_arcs
    params.num_workers = 1 if large else Params.workers
    for key, value in Params.lean.items() if large else ():
        setattr(params, key, value)
    params.cp_model_presolve = Params.presolve
    params.max_memory_in_mb = Params.max_memory_mb
    params.absolute_gap_limit = GAP_UNITS
    if math.isfinite(seconds):
        seconds -= time.perf_counter() - started
        if seconds <= 0:
            return BackendAnswer("unknown")
        # CP-SAT overshoots its limit on large models (it finishes an LP first): a timer stops it too,
        # and it may take 2 s more to stop (1000 x 48 x 48 cells with a percentage limit, measured here)
        params.max_time_in_seconds = max(0.9 * seconds - 0.05, 0.01)
    timer = threading.Timer(max(0.92 * seconds - 0.05, 0.01), solver.stop_search) if math.isfinite(seconds) else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        status = solver.solve(state["cp"])
    finally:
        if timer is not None:
            timer.cancel()
    u_obj = state["u_obj"]
    slack = (model.instance.n_nodes + 2 + GAP_UNITS) * u_obj
    if status == cp_model.INFEASIBLE:
        return BackendAnswer("infeasible", bound=math.inf)
    if status == cp_model.MODEL_INVALID:
        raise RuntimeError(f"CP-SAT rejected the model: {state['cp'].validate()}")
    bound = solver.best_objective_bound * u_obj - slack
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return BackendAnswer("unknown", bound=bound if status != cp_model.UNKNOWN else math.nan, tolerance=2 * slack)
    values = np.fromiter(solver.response_proto.solution, dtype=np.int64)[: model.n_arcs]
    answer = "optimal" if status == cp_model.OPTIMAL else "feasible"
    return BackendAnswer(answer, np.flatnonzero(values > 0), bound=bound, tolerance=2 * slack)
