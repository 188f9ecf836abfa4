"""DAG models: plans that assign every node to a tier with ``tier(u) <= tier(v)`` on every edge,
their cost model (:mod:`.evaluate`) and exact solvers (exhaustive, min-cut, CP-SAT).

formulations/dag.md writes the model out.
"""

from __future__ import annotations

from .evaluate import evaluate_dag
from .model import DagStructure, structure

__all__ = ["DagStructure", "evaluate_dag", "structure"]
