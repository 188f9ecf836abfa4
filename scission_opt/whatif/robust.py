"""One plan for several network scenarios: minimise the worst case, the maximum regret or the weighted mean.

Exact by ranking. The weighted mean over scenarios is an additive objective (the
scenarios' terms, summed with their weights), so the exact solvers rank plans by
it (top-k). For any plan, ``max_k f_k >= sum_k w_k f_k`` (weights sum to 1), and
likewise ``max_k (f_k - opt_k) >= sum_k w_k f_k - sum_k w_k opt_k``; so plans are
taken in increasing mean until the mean's bound reaches the best worst case (or
regret) found: every plan not yet seen is then provably no better. A plan must
meet the constraints in every scenario; the ranking runs on the first scenario's
constraints (a superset) and filters.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInstanceError
from ..io import parse_json, read_text
from ..objectives import Objective, get_objective
from ._common import PricedOn, WeightedSum, close, plan_label, solve_exact, value_on
from .overrides import set_network

if TYPE_CHECKING:
    from ..instance import Instance
    from ..plan import Plan

CRITERIA = ("worst", "regret", "expected")
#: First and largest ranking depth of the exact search (it grows by 4x while needed).
FIRST_K, MAX_K = 16, 65_536


@dataclass(frozen=True)
class Scenario:
    """A named network with its weight (weights are normalised to sum 1)."""

    name: str
    weight: float
    instance: Instance


@dataclass(frozen=True)
class ScenarioRow:
    """The robust plan in one scenario against that scenario's own optimum."""

    name: str
    weight: float
    value: float
    optimum: float
    optimum_plan: Plan

    @property
    def regret(self) -> float:
        return self.value - self.optimum


@dataclass(frozen=True)
class RobustResult:
    """The robust plan (``None``: no plan meets the constraints of every scenario)."""

    criterion: str
    objective_name: str
    plan: Plan | None
    score: float
    rows: tuple[ScenarioRow, ...]
    plans_ranked: int
    wall_time_s: float
    message: str = ""

    def to_dict(self, instance: Instance) -> dict[str, Any]:
        return {
            "criterion": self.criterion,
            "objective": self.objective_name,
            "status": "optimal" if self.plan is not None else "infeasible",
            "score": self.score if self.plan is not None else None,
            "plan": self.plan.to_dict(instance) if self.plan is not None else None,
            "label": plan_label(instance, self.plan) if self.plan is not None else None,
            "scenarios": [
                {
                    "name": r.name,
                    "weight": r.weight,
                    "value": r.value,
                    "optimum": r.optimum,
                    "regret": r.regret,
                    "optimum_plan": r.optimum_plan.to_dict(instance),
                    "optimum_label": plan_label(instance, r.optimum_plan),
                }
                for r in self.rows
            ],
            "plans_ranked": self.plans_ranked,
            "wall_time_s": self.wall_time_s,
            "message": self.message,
        }


def load_scenarios(path: str, instance: Instance) -> list[Scenario]:
    """Read ``--scenarios FILE``: JSON, or a text list of network files (one per line, ``#`` comments).

    JSON: ``{"scenarios": [{"name", "network", "weight"?}, ...]}`` (or the bare
    list), where ``network`` is a file path (relative to FILE) or an inline
    ``{"links": [...]}``/list of links; a list of plain strings names files.
    """
    from ..network import load_network, parse_network_json

    text = read_text(path)
    base = Path(path).parent
    entries: list[tuple[str, float, Any, str]] = []  # name, weight, network (path or links), field
    if path.lower().endswith(".json") or text.lstrip()[:1] in ("{", "["):
        data = parse_json(text, path)
        items = data.get("scenarios") if isinstance(data, dict) else data
        if not isinstance(items, list) or not items:
            raise InvalidInstanceError('must be a non-empty list of scenarios (or {"scenarios": [...]})', path)
        for i, item in enumerate(items):
            entries.append(_json_entry(item, i, path))
    else:
        for n, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if line and not line.startswith("#"):
                entries.append((Path(line).stem, 1.0, line, f"line {n}"))
    if not entries:
        raise InvalidInstanceError("lists no scenario", path)
    total = sum(w for _, w, _, _ in entries)
    if total <= 0:
        raise InvalidInstanceError("the weights must not all be 0", path)
    out = []
    for name, weight, network, where in entries:
        if isinstance(network, str):
            file = network if Path(network).is_absolute() else str(base / network)
            links = load_network(file)
            src = file
        else:
            links = parse_network_json(network, f"{path}: {where}.network")
            src = f"{path}: {where}"
        out.append(Scenario(name, weight / total, set_network(instance, links, src)))
    names = [s.name for s in out]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise InvalidInstanceError(f"scenario name {name!r} given twice", path)
    return out


def _json_entry(item: Any, i: int, path: str) -> tuple[str, float, Any, str]:
    where = f"scenarios[{i}]"
    if isinstance(item, str):
        return Path(item).stem, 1.0, item, where
    if not isinstance(item, dict) or "network" not in item:
        raise InvalidInstanceError("must be a file name or an object with 'network'", path, where)
    unknown = set(item) - {"name", "network", "weight"}
    if unknown:
        raise InvalidInstanceError(f"unknown field {sorted(unknown)[0]!r}", path, where)
    weight = item.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not math.isfinite(weight) or weight < 0:
        raise InvalidInstanceError(f"must be a finite number >= 0, got {weight!r}", path, f"{where}.weight")
    network = item["network"]
    name = item.get("name", Path(network).stem if isinstance(network, str) else f"scenario{i}")
    if not isinstance(name, str) or not name:
        raise InvalidInstanceError("must be a non-empty string", path, f"{where}.name")
    return name, float(weight), network, where


def _score(criterion: str, values: list[float], optima: list[float], weights: list[float]) -> float:
    if criterion == "worst":
        return max(values)
    if criterion == "regret":
        return max(v - o for v, o in zip(values, optima))
    return sum(w * v for w, v in zip(weights, values))


def _ranking_weights(criterion: str, weights: list[float], optima: list[float]) -> list[float]:
    """Weights of the ranking objective: any convex combination bounds the worst case (and the regret) from
    below; for ``worst``, all weight on the scenario with the largest own optimum (the hardest network) is
    usually the tightest, since that network tends to give every plan its worst value."""
    if criterion != "worst":
        return list(weights)
    hardest = max(range(len(optima)), key=lambda k: optima[k])
    return [1.0 if k == hardest else 0.0 for k in range(len(optima))]


def robust_plan(
    instance: Instance,
    scenarios: list[Scenario],
    criterion: str = "worst",
    *,
    objective: str | Objective | None = None,
    weights: dict[str, float] | None = None,
    solver: str = "auto",
    time_limit: float | None = None,
) -> RobustResult:
    """The exact robust plan over ``scenarios`` (see the module docstring)."""
    started = time.perf_counter()
    if criterion not in CRITERIA:
        raise InvalidInstanceError(f"unknown criterion {criterion!r} (known: {', '.join(CRITERIA)})", "--robust")
    if not scenarios:
        raise InvalidInstanceError("needs at least one scenario", "--scenarios")
    obj = get_objective(objective if objective is not None else instance.objective, weights)
    w = [s.weight for s in scenarios]
    own: list[tuple[float, Plan]] = []
    for s in scenarios:
        found = solve_exact(s.instance, obj, solver, time_limit=time_limit)
        if not found:
            return RobustResult(
                criterion,
                obj.name,
                None,
                math.nan,
                (),
                0,
                time.perf_counter() - started,
                f"scenario {s.name!r} has no feasible plan",
            )
        own.append(found[0])
    optima = [v for v, _ in own]
    rank_weights = _ranking_weights(criterion, w, optima)
    mean = WeightedSum(tuple((lam, PricedOn(obj, s.instance)) for lam, s in zip(rank_weights, scenarios) if lam))
    shift = sum(lam * ok for lam, ok in zip(rank_weights, optima)) if criterion == "regret" else 0.0
    best: tuple[float, Plan, list[float]] | None = None
    k, ranked = FIRST_K, 0
    while True:
        found = solve_exact(scenarios[0].instance, mean, solver, top_k=k, time_limit=time_limit)
        ranked = len(found)
        done = len(found) < k
        for value, plan in found:
            if best is not None and value - shift >= best[0] - 1e-9 * abs(best[0]) - 1e-15:
                done = True  # every later plan has a mean bound no better than the best score
                break
            per = [value_on(s.instance, plan, obj) for s in scenarios]
            if not all(ok for _, ok in per):
                continue
            values = [v for v, _ in per]
            score = _score(criterion, values, optima, w)
            if best is None or score < best[0] and not close(score, best[0]):
                best = (score, plan, values)
            if criterion == "expected":
                done = True
                break
        if done or k >= MAX_K:
            break
        k *= 4
    message = "" if done else f"stopped after ranking {ranked} plans (limit {MAX_K}): not proven"
    if best is None:
        return RobustResult(
            criterion,
            obj.name,
            None,
            math.nan,
            (),
            ranked,
            time.perf_counter() - started,
            message or "no plan meets the constraints of every scenario",
        )
    rows = tuple(ScenarioRow(s.name, s.weight, v, o, p) for s, v, (o, p) in zip(scenarios, best[2], own))
    return RobustResult(criterion, obj.name, best[1], best[0], rows, ranked, time.perf_counter() - started, message)


def format_robust(instance: Instance, result: RobustResult) -> str:
    """The robust plan, then per scenario its value, the scenario's own optimum and the regret."""
    head = f"robust plan ({result.criterion} {result.objective_name}) over {len(result.rows)} scenarios"
    if result.plan is None:
        return f"{head}: infeasible. {result.message}".strip()
    lines = [
        f"{head}: score {result.score:.6g}, {result.plans_ranked} plans ranked, {result.wall_time_s * 1000:.1f} ms",
        f"plan: {plan_label(instance, result.plan)}   ({result.plan.describe(instance)})",
    ]
    if result.message:
        lines.append(result.message)
    rows = [
        [
            r.name,
            f"{r.weight:.3g}",
            f"{r.value:.6g}",
            f"{r.optimum:.6g}",
            f"{r.regret:.6g}",
            f"{(r.value / r.optimum - 1) * 100 if r.optimum else 0.0:+.1f}%",
            plan_label(instance, r.optimum_plan),
        ]
        for r in result.rows
    ]
    header = ["scenario", "weight", "robust plan", "own optimum", "regret", "worse by", "own optimal plan"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines.append("")
    lines.append("  ".join(h.ljust(wd) for h, wd in zip(header, widths)))
    lines += ["  ".join(c.ljust(wd) for c, wd in zip(r, widths)) for r in rows]
    return "\n".join(lines)
