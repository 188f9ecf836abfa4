"""Exact solver ``cpsat``: the pruned arc-flow model (:mod:`.arcflow`) with integer-scaled data, solved by CP-SAT."""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

from ..objectives import Objective
from .arcflow.cpsat import run_cpsat
from .arcflow.driver import ArcSolver

if TYPE_CHECKING:
    from ..instance import Instance


class CPSAT(ArcSolver):
    """Exact solver: pruned arc-flow model with integer-scaled data, solved by CP-SAT (see :mod:`.arcflow.cpsat`)."""

    name = "cpsat"
    #: measured here: 0.89 GB peak with 263,000 arcs left (1000 x 48 x 48, percentage limit,
    #: benchmarks/results/mip.md), rounded up
    bytes_per_arc = 3500.0
    backend = staticmethod(run_cpsat)

    def is_available(self) -> bool:
        return importlib.util.find_spec("ortools") is not None

    def unsupported(self, instance: Instance, objective: Objective) -> str | None:
        from .._native import cpsat_conflict

        return cpsat_conflict() or super().unsupported(instance, objective)
