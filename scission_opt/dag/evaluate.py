"""The cost model for DAG plans is the one evaluator, :func:`scission_opt.evaluate`.

It reads a chain plan as its contiguous assignment, and routes every tensor hop by hop
(:mod:`scission_opt.route`); formulations/dag.md writes the model out. This name stays for
the DAG solvers and their tests.
"""

from __future__ import annotations

from ..evaluate import evaluate as evaluate_dag

__all__ = ["evaluate_dag"]
