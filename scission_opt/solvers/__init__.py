"""Solver registry: look solvers up by name; each lives in a module of its own."""

from __future__ import annotations

from ..dag import DAG_SOLVERS
from ..errors import UnknownNameError
from .base import Solver

#: name -> "module:class"; modules are imported only when a solver is used.
_REGISTRY = {
    "exhaustive": "scission_opt.solvers.exhaustive:Exhaustive",
    "dp": "scission_opt.solvers.dp:SegmentDP",
    "cbc": "scission_opt.solvers.cbc:CBC",
    "cpsat": "scission_opt.solvers.cpsat:CPSAT",
    **DAG_SOLVERS,  # DAG models (formulations/dag.md)
}


def solver_names() -> list[str]:
    """Names accepted by :func:`get_solver`, plus ``auto``."""
    return [*_REGISTRY, "auto"]


def get_solver(name: str) -> Solver:
    """The solver called ``name`` (not ``auto``; see :func:`scission_opt.solve`)."""
    import importlib

    try:
        target = _REGISTRY[name]
    except KeyError:
        raise UnknownNameError(f"unknown solver {name!r} (known: {', '.join(solver_names())})") from None
    module_name, _, cls = target.partition(":")
    return getattr(importlib.import_module(module_name), cls)()


__all__ = ["Solver", "get_solver", "solver_names"]
