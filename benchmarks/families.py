"""The benchmark families: which instances are solved, with which constraints and top-k.

A :class:`Case` is a small picklable description; :func:`build` turns it into
an :class:`~scission_opt.instance.Instance` (in the worker process, so that the
parent never holds large instances). Every synthetic instance comes from
:func:`scission_opt.generate.generate` with a fixed seed, and its constrained
variant from :func:`scission_opt.generate.with_binding_constraints`, so anyone
can rebuild it.

Families
--------
``shipped``
    every ``instances/*.json`` (the profiler's measured Keras models), top-1
    and top-5, without constraints and with privacy + first-tier memory +
    first-tier upload + energy budget that bind.
``synthetic``
    chains from ``generate``: nodes 10..3000, systems per tier 1..16, tiers
    3..6, top-1, without constraints and with the same four binding
    constraints.
``quick``
    a small subset of both, for ``--quick`` and the smoke test.

The Scission-style enumerator is not a family of instances but a solver of
its own in every family (see :mod:`benchmarks.scission_baseline`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scission_opt.instance import Instance

#: The seed of every synthetic instance (the constrained variant uses it too).
SEED = 1

NODES = (10, 30, 100, 300, 1000, 3000)
SYSTEMS_PER_TIER = (1, 2, 4, 8, 16)
TIERS = (3, 4, 5, 6)

QUICK_NODES = (10, 30, 100)
QUICK_SYSTEMS_PER_TIER = (1, 2)
QUICK_TIERS = (3, 4)
#: The quick subset takes at most this many shipped instances (the smallest ones).
QUICK_SHIPPED = 3

CONSTRAINT_SETS = ("none", "binding")


@dataclass(frozen=True)
class Case:
    """One instance of one family, with the constraint set and the top-k asked for."""

    family: str
    name: str
    constraints: str  # "none" or "binding"
    top_k: int = 1
    path: str = ""  # shipped instances: the JSON file
    nodes: int = 0
    tiers: int = 0
    systems_per_tier: int = 0
    seed: int = SEED

    @property
    def instance_key(self) -> tuple[str, str, str]:
        """Cases that share this key solve the same instance (only top-k differs)."""
        return (self.family, self.name, self.constraints)

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (*self.instance_key, self.top_k)

    def size(self) -> tuple[int, int, int]:
        """``(nodes, tiers, systems per tier)``, for the dominance rule that skips larger cases."""
        return (self.nodes, self.tiers, self.systems_per_tier)


def shipped_paths(instances_dir: Path) -> list[Path]:
    """Instance files in ``instances_dir`` (other JSON files there, such as system lists, are left out)."""
    import json

    from scission_opt.instance import FORMAT

    paths = []
    for path in sorted(Path(instances_dir).glob("*.json")):
        try:
            if json.loads(path.read_text(encoding="utf-8")).get("format") == FORMAT:
                paths.append(path)
        except (OSError, ValueError, AttributeError):
            continue
    return paths


def shipped_cases(instances_dir: Path, *, limit: int | None = None) -> list[Case]:
    """Every shipped instance (or the ``limit`` smallest by file size), top-1 and top-5, both constraint sets."""
    paths = shipped_paths(instances_dir)
    if limit is not None:
        paths = sorted(paths, key=lambda p: (p.stat().st_size, p.name))[:limit]
        paths.sort()
    cases = []
    for path in paths:
        for constraints in CONSTRAINT_SETS:
            for top_k in (1, 5):
                cases.append(Case("shipped", path.stem, constraints, top_k, path=str(path)))
    return cases


def synthetic_cases(
    nodes: tuple[int, ...] = NODES,
    systems_per_tier: tuple[int, ...] = SYSTEMS_PER_TIER,
    tiers: tuple[int, ...] = TIERS,
    *,
    family: str = "synthetic",
) -> list[Case]:
    """The grid, smallest first (so that a size that hits the time cap can skip the larger ones)."""
    cases = []
    for n in nodes:
        for t in tiers:
            for s in systems_per_tier:
                for constraints in CONSTRAINT_SETS:
                    name = f"n{n}-t{t}-s{s}"
                    cases.append(
                        Case(
                            family,
                            name,
                            constraints,
                            1,
                            nodes=n,
                            tiers=t,
                            systems_per_tier=s,
                        )
                    )
    cases.sort(
        key=lambda c: (
            c.nodes * c.tiers * c.systems_per_tier,
            c.nodes,
            c.tiers,
            c.systems_per_tier,
        )
    )
    return cases


def quick_cases(instances_dir: Path) -> list[Case]:
    return shipped_cases(instances_dir, limit=QUICK_SHIPPED) + synthetic_cases(
        QUICK_NODES, QUICK_SYSTEMS_PER_TIER, QUICK_TIERS
    )


def synthetic_counts(case: Case) -> dict[str, int]:
    """``plans`` (exhaustive search) and ``scission_scenarios`` of a synthetic case, without building it.

    The same as :func:`describe` gives for the built instance: synthetic
    constraints filter no system, so every system of a tier is a candidate.
    """
    import math

    n, T, S = case.nodes, case.tiers, case.systems_per_tier
    plans = S * sum(math.comb(T - 1, k) * S**k * math.comb(n, k) for k in range(min(T - 1, n) + 1))
    return {"plans": plans, "scission_scenarios": S**T * math.comb(n + T - 1, T - 1)}


def build(case: Case) -> Instance:
    """The instance a case solves (deterministic)."""
    from scission_opt.generate import generate
    from scission_opt.instance import load_instance

    if case.family == "shipped":
        instance = load_instance(case.path)
    else:
        instance = generate(case.nodes, case.tiers, case.systems_per_tier, case.seed)
    if case.constraints == "binding":
        instance = binding_constraints(instance, case.seed)
    return instance


def binding_constraints(instance: Instance, seed: int) -> Instance:
    """Privacy + first-tier memory + first-tier upload + energy budget that bind.

    This is :func:`scission_opt.generate.with_binding_constraints`. A measured
    instance may lack what it needs: without a trusted first-tier system the
    first tier is marked trusted (privacy then means "stay on the first tier"),
    and without ``compute_w`` on the first tier the energy budget is left out
    (the instance name says so).
    """
    from scission_opt.generate import with_binding_constraints

    first = instance.tiers[0]
    first_systems = [s for s in instance.systems if s.tier == first]
    if not any(s.trusted for s in first_systems):
        instance = instance.replace(
            systems=tuple(dataclasses.replace(s, trusted=True) if s.tier == first else s for s in instance.systems)
        )
    if all(s.compute_w is not None for s in first_systems):
        return with_binding_constraints(instance, seed)
    # No power data: the same recipe without the energy budget.
    no_power = instance.replace(
        systems=tuple(dataclasses.replace(s, compute_w=0.0) if s.tier == first else s for s in instance.systems)
    )
    constrained = with_binding_constraints(no_power, seed)
    c = dataclasses.replace(constrained.constraints, energy_budget_j=None)
    systems = tuple(
        dataclasses.replace(s, compute_w=orig.compute_w) for s, orig in zip(constrained.systems, instance.systems)
    )
    return constrained.replace(constraints=c, systems=systems, name=constrained.name + "-no-energy")


def describe(case: Case, instance: Instance) -> dict[str, object]:
    """The figures of a case's instance that go into every result row."""
    from scission_opt.solvers.exhaustive import count_scenarios

    from .scission_baseline import count_scission_scenarios

    return {
        "nodes": instance.n_nodes,
        "tiers": instance.n_tiers,
        "systems": instance.n_systems,
        "systems_per_tier": max(len(c) for c in instance.candidates),
        "constraint_groups": "+".join(
            (["memory"] if any(s.memory_bytes is not None for s in instance.systems) else [])
            + list(instance.constraints.groups(instance.n_tiers))
        )
        or "none",
        "plans": count_scenarios(instance),
        "scission_scenarios": count_scission_scenarios(instance),
    }
