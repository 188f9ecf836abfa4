"""Exact MIP solver ``cbc``: the pruned arc-flow model (:mod:`.arcflow`) solved by PuLP's bundled CBC."""

from __future__ import annotations

import importlib.util

from .arcflow.cbc import run_cbc
from .arcflow.driver import ArcSolver


class CBC(ArcSolver):
    """Exact solver: pruned arc-flow MIP solved by PuLP's bundled CBC (see :mod:`.arcflow.cbc`)."""

    name = "cbc"
    #: measured here: 0.42 GB peak with 263,000 arcs left (1000 x 48 x 48, percentage limit,
    #: benchmarks/results/mip.md), rounded up
    bytes_per_arc = 1700.0
    backend = staticmethod(run_cbc)

    def is_available(self) -> bool:
        return importlib.util.find_spec("pulp") is not None
