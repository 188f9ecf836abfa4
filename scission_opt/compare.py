"""Run every solver on one instance and check each against the exhaustive reference."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .objectives import get_objective
from .solvers import get_solver, solver_names

if TYPE_CHECKING:
    from .instance import Instance

#: Objectives agree when they differ by at most this, relatively (CP-SAT's integer scaling).
AGREEMENT_RTOL = 1e-6

#: Beyond this many plans the exhaustive solver is not even started (it could not finish).
EXHAUSTIVE_MAX_PLANS = 2e8


@dataclass(frozen=True)
class Comparison:
    """One solver's answer next to the reference."""

    solver: str
    status: str
    objectives: tuple[float, ...]
    wall_time_s: float
    agrees: bool | None  # None: no reference, or the solver did not run
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "solver": self.solver,
            "status": self.status,
            "objectives": list(self.objectives),
            "wall_time_s": self.wall_time_s,
            "agrees": self.agrees,
            "message": self.message,
        }


def objectives_agree(a: tuple[float, ...], b: tuple[float, ...], rtol: float = AGREEMENT_RTOL) -> bool:
    """Same length and each pair equal within ``rtol`` (relative, with an absolute floor of ``rtol``)."""
    return len(a) == len(b) and all(abs(x - y) <= rtol * max(1.0, abs(x), abs(y)) for x, y in zip(a, b))


def compare(
    instance: Instance,
    objective: Any = None,
    *,
    weights: dict[str, float] | None = None,
    top_k: int = 1,
    time_limit: float | None = 60.0,
) -> list[Comparison]:
    """Solve with the exhaustive reference and every other available solver."""
    from .solvers.exhaustive import count_scenarios

    obj = get_objective(objective if objective is not None else instance.objective, weights)
    rows: list[Comparison] = []
    reference: tuple[float, ...] | None = None
    reference_name = ""
    for name in ["exhaustive", *[n for n in solver_names() if n not in ("exhaustive", "auto")]]:
        solver = get_solver(name)
        if not solver.is_available():
            rows.append(Comparison(name, "not installed", (), math.nan, None))
            continue
        why = solver.unsupported(instance, obj)
        if why:
            rows.append(Comparison(name, "unsupported", (), math.nan, None, why))
            continue
        if name == "exhaustive" and count_scenarios(instance) > EXHAUSTIVE_MAX_PLANS:
            rows.append(Comparison(name, "skipped", (), math.nan, None, f"{count_scenarios(instance):.3g} plans"))
            continue
        result = solver.solve(instance, obj, top_k=top_k, time_limit=time_limit)
        values = tuple(p.objective for p in result.plans)
        proven = result.status.value in ("optimal", "infeasible")
        agrees = objectives_agree(values, reference) if (reference is not None and proven) else None
        if reference is None and proven:
            reference, reference_name = values, name
        message = result.message if name == reference_name or agrees is None else f"vs {reference_name}"
        rows.append(Comparison(name, result.status.value, values, result.wall_time_s, agrees, message))
    return rows


def format_comparison(instance: Instance, rows: list[Comparison]) -> str:
    header = ["solver", "status", "objective", "agreement", "time ms"]
    table = []
    for r in rows:
        objective = f"{r.objectives[0]:.9g}" if r.objectives else "-"
        agree = {True: "agrees", False: "DIFFERS", None: "-"}[r.agrees]
        if r.agrees is not None:
            agree += f" ({r.message})"
        elif r.objectives and r.status in ("optimal", "infeasible"):
            agree = "reference"
        time_ms = "-" if math.isnan(r.wall_time_s) else f"{r.wall_time_s * 1000:.1f}"
        status = r.status + (f" ({r.message})" if r.status in ("unsupported", "skipped") else "")
        table.append([r.solver, status, objective, agree, time_ms])
    widths = [max(len(x[i]) for x in [header, *table]) for i in range(len(header))]
    lines = [
        f"instance {instance.name}: {instance.n_nodes} nodes, {instance.n_tiers} tiers, {instance.n_systems} systems"
    ]
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in table]
    return "\n".join(lines)
