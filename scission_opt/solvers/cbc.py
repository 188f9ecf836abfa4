"""Exact MIP solver ``cbc``: the pruned arc-flow model (:mod:`.arcflow`) solved by PuLP's bundled CBC."""

from __future__ import annotations

import importlib.util

from .arcflow.cbc import run_cbc
from .arcflow.driver import ArcSolver


class CBC(ArcSolver):
    """Exact solver: pruned arc-flow MIP solved by PuLP's bundled CBC (see :mod:`.arcflow.cbc`)."""

    name = "cbc"
    backend = staticmethod(run_cbc)

    def is_available(self) -> bool:
        return importlib.util.find_spec("pulp") is not None
