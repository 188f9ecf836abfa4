"""CBC backend: the arc-flow model solved by the CBC binary bundled with PuLP.

The model is written as a free MPS file straight from numpy arrays (PuLP's
per-variable objects cost seconds on large models) and CBC runs as a
subprocess with preprocessing off, rows scaled to a right-hand side of 1
and the objective scaled to about 1. CBC's own time limit is not trusted
(it can skip it during a slow root LP): the subprocess is also killed at the
wall-clock limit. CBC is a floating-point solver; every plan it returns is
re-checked by the evaluator, and one the evaluator rejects (a violation within
CBC's tolerance) is cut off and the model solved again.

Optimality tolerance: CBC stops when the gap is below ``1e-9`` of the scaled
objective, i.e. about ``1e-9`` relative to the optimum.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import tempfile
import time

import numpy as np

from .driver import BackendAnswer
from .group import OutOfTime
from .model import ArcModel

#: Seconds the subprocess may run past the limit given to CBC before it is killed.
_GRACE_S = 0.25


def cbc_path() -> str:
    """The CBC binary PuLP ships (raises when it is missing)."""
    import pulp.apis.coin_api as coin

    path = coin.pulp_cbc_path
    if not path or not os.path.exists(path):
        raise RuntimeError("PuLP's bundled CBC binary is missing")
    return path


#: Entries formatted between two looks at the clock (writing a 500,000-arc model takes seconds).
_CHUNK = 100_000


def _fmt(values: np.ndarray, deadline: float = math.inf) -> list[str]:
    out: list[str] = []
    for start in range(0, len(values), _CHUNK):
        if time.perf_counter() > deadline:
            raise OutOfTime
        out += map(repr, values[start : start + _CHUNK].astype(float).tolist())
    return out


class _MpsWriter:
    """The model as free MPS text; the arc columns' lines are formatted once and reused with new cuts."""

    def __init__(self, model: ArcModel, deadline: float = math.inf):
        m, ncol = model.n_arcs, model.n_cols
        rows, cols, vals, lo, hi = [], [], [], [], []
        r0 = 0
        for block in model.blocks:
            rows.append(block.row + r0)
            cols.append(block.col)
            vals.append(block.val)
            lo.append(block.lo)
            hi.append(block.hi)
            r0 += block.n_rows
        row = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        col = np.concatenate(cols) if cols else np.zeros(0, np.int64)
        val = np.concatenate(vals) if vals else np.zeros(0)
        lo_a = np.concatenate(lo) if lo else np.zeros(0)
        hi_a = np.concatenate(hi) if hi else np.zeros(0)
        # scale every row to a right-hand side of 1 (or its largest coefficient to 1)
        rhs = np.where(np.isfinite(hi_a), hi_a, lo_a)
        big = np.zeros(r0)
        np.maximum.at(big, row, np.abs(val))
        big = np.where(big > 0, big, 1.0)
        scale = np.where(np.abs(rhs) >= 1e-6 * big, np.abs(rhs), big)
        val = val / scale[row]
        self.n_rows = r0
        self.sense = np.where(lo_a == hi_a, "E", np.where(np.isfinite(hi_a), "L", "G"))
        self.rhs = rhs / scale
        # objective, scaled to about 1
        obj = np.concatenate([model.cost, [e.obj for e in model.extras]]) if model.extras else model.cost.copy()
        largest = float(np.abs(obj).max()) if len(obj) else 0.0
        ref = abs(model.lower_bound) if np.isfinite(model.lower_bound) else 0.0
        if not ref >= 1e-6 * largest:
            ref = largest  # a lower bound of 0 (or far below the costs) says nothing about the scale
        self.obj_scale = 1.0 / ref if 0 < ref < math.inf and math.isfinite(1.0 / ref) else 1.0
        obj = obj * self.obj_scale
        # values far below every tolerance (denormals even) would only trouble CBC's reader
        obj[np.abs(obj) < 1e-200] = 0.0
        keep = np.abs(val) >= 1e-200
        row, col, val = row[keep], col[keep], val[keep]
        # objective entries are rows too (row index -1 = OBJ)
        has_obj = np.flatnonzero(obj)
        all_col = np.concatenate([col, has_obj])
        all_row = np.concatenate([row, np.full(len(has_obj), -1)])
        all_val = np.concatenate([val, obj[has_obj]])
        order = np.argsort(all_col, kind="stable")
        self.col = all_col[order]
        self.row = all_row[order]
        self.val_s = np.array(_fmt(all_val[order], deadline), dtype=object)
        self.m, self.ncol = m, ncol
        self.extras = model.extras

    def text(self, cuts: list[np.ndarray], deadline: float = math.inf) -> str:
        """The MPS text with the no-good ``cuts``; raises :class:`OutOfTime` past ``deadline``."""
        col, row, val_s = self.col, self.row, self.val_s
        nrow = self.n_rows + len(cuts)
        if cuts:
            ccol = np.concatenate(cuts)
            crow = np.concatenate([np.full(len(c), self.n_rows + i) for i, c in enumerate(cuts)])
            # sum of the path's arcs <= len - 1, scaled to rhs 1
            cval = np.concatenate([np.full(len(c), 1.0 / max(len(c) - 1, 1)) for c in cuts])
            col = np.concatenate([col, ccol])
            row = np.concatenate([row, crow])
            val_s = np.concatenate([val_s, np.array(_fmt(cval), dtype=object)])
            order = np.argsort(col, kind="stable")
            col, row, val_s = col[order], row[order], val_s[order]
        names = [f"x{j}" if j < self.m else f"e{j - self.m}" for j in range(self.ncol)]
        row_names = ["OBJ"] + [f"R{i}" for i in range(nrow)]
        out = ["NAME scission", "ROWS", " N OBJ"]
        sense = self.sense.tolist() + ["L"] * len(cuts)
        out += [f" {s} R{i}" for i, s in enumerate(sense)]
        out.append("COLUMNS")
        out.append("    MARKER 'MARKER' 'INTORG'")
        lines: list[str] = []
        for start in range(0, len(col), _CHUNK):
            if time.perf_counter() > deadline:
                raise OutOfTime
            part = slice(start, start + _CHUNK)
            entries = zip(col[part].tolist(), row[part].tolist(), val_s[part].tolist(), strict=True)
            lines += [f"    {names[c]} {row_names[r + 1]} {v}" for c, r, v in entries]
        split = int(np.searchsorted(col, self.m))
        out += lines[:split]
        out.append("    MARKER 'MARKER' 'INTEND'")
        out += lines[split:]
        out.append("RHS")
        rhs = self.rhs.tolist() + [1.0 if len(c) > 1 else 0.0 for c in cuts]
        out += [f"    RHS R{i} {v!r}" for i, v in enumerate(rhs) if v != 0]
        out.append("BOUNDS")
        out += [f" UP BND x{j} 1" for j in range(self.m)]
        for i, e in enumerate(self.extras):
            if e.lb != 0:
                out.append(f" LO BND e{i} {float(e.lb)!r}")
            if np.isfinite(e.ub):
                out.append(f" UP BND e{i} {float(e.ub)!r}")
        out.append("ENDATA\n")
        return "\n".join(out)


_STATUS = re.compile(r"^(\w[\w ]*?) - objective value (\S+)")
_BOUND = re.compile(r"Lower bound:\s+(\S+)")


def _command(mps: str, sol: str, start: list[str], left: float, preprocess: str) -> list[str]:
    limit = ["-timeMode", "elapsed", "-sec", f"{max(0.95 * left - 0.05, 0.01):.3f}"] if math.isfinite(left) else []
    return [
        cbc_path(), mps, *limit, "-preprocess", preprocess, "-threads", "1",
        "-ratioGap", "0", "-allowableGap", "1e-9", "-increment", "1e-10",
        "-integerTolerance", "1e-9", "-primalTolerance", "1e-9",
        *start, "-solve", "-solution", sol,
    ]  # fmt: skip


def _start_file(model: ArcModel, tmp: str) -> list[str]:
    """A known feasible plan as a MIP start (CBC's solution-file format): CBC's options for it."""
    if model.hint is None:
        return []
    path = os.path.join(tmp, "start.txt")
    with open(path, "w") as fh:
        fh.write("Stopped on iterations - objective value 0\n")
        fh.write("".join(f"{i} x{j} 1 0\n" for i, j in enumerate(sorted(model.hint.tolist()))))
    return ["-mips", path]


def _run(text: str, model: ArcModel, seconds: float, started: float) -> tuple[str, str, str] | None:
    """Run CBC on the MPS ``text``: ``(its stdout, the solution's first line, the rest)``, or ``None`` out of time."""
    with tempfile.TemporaryDirectory(prefix="scission-cbc-") as tmp:
        mps = os.path.join(tmp, "model.mps")
        sol = os.path.join(tmp, "solution.txt")
        with open(mps, "w") as fh:
            fh.write(text)
        start = _start_file(model, tmp)
        # CBC 2.10.3 sometimes crashes with preprocessing off (seen on tiny infeasible
        # models): then try once more with its default preprocessing
        for preprocess in ("off", "sos"):
            left = seconds - (time.perf_counter() - started)
            if left <= 0.05:
                return None
            timeout = left + _GRACE_S if math.isfinite(left) else None
            try:
                cmd = _command(mps, sol, start, left, preprocess)
                proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=timeout)
            except subprocess.TimeoutExpired:
                return None
            if proc.returncode == 0 and os.path.exists(sol):
                with open(sol) as fh:
                    first = fh.readline()
                    body = fh.read()
                if first.strip():
                    return proc.stdout, first.strip(), body
            if os.path.exists(sol):
                os.remove(sol)
    raise RuntimeError(f"CBC failed (exit status {proc.returncode}): {proc.stdout[-300:]} {proc.stderr[-300:]}")


def run_cbc(model: ArcModel, seconds: float, state: dict) -> BackendAnswer:
    """Solve ``model`` (with its cuts and hint) within ``seconds``; ``state`` keeps the MPS writer between calls."""
    started = time.perf_counter()
    deadline = started + seconds
    try:
        writer = state.get("writer")
        if writer is None:
            writer = state["writer"] = _MpsWriter(model, deadline)
        text = writer.text(model.cuts, deadline)
    except OutOfTime:
        return BackendAnswer("unknown")
    out = _run(text, model, seconds, started)
    if out is None:
        return BackendAnswer("unknown")
    stdout, head, body = out
    # CBC's gap is 1e-9 in the scaled objective
    tolerance = 2e-9 / writer.obj_scale
    bound = math.nan
    found = _BOUND.search(stdout)
    if found:
        try:
            bound = float(found.group(1)) / writer.obj_scale
        except ValueError:
            pass
    if head.startswith(("Infeasible", "Integer infeasible")):
        return BackendAnswer("infeasible", bound=math.inf)
    chosen = []
    for line in body.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[1].startswith("x") and float(parts[2]) > 0.5:
            chosen.append(int(parts[1][1:]))
    arcs = np.array(chosen, dtype=np.int64)
    status = _STATUS.match(head)
    if head.startswith("Optimal"):
        value = float(status.group(2)) / writer.obj_scale if status else math.nan
        return BackendAnswer("optimal", arcs, bound=value, tolerance=tolerance)
    if not chosen or "objective value 1e+50" in head:
        return BackendAnswer("unknown", bound=bound, tolerance=tolerance)
    return BackendAnswer("feasible", arcs, bound=bound, tolerance=tolerance)
