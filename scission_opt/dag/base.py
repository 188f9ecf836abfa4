"""What the DAG solvers share: the support check and re-scoring of their plans."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..solvers.base import finish

if TYPE_CHECKING:
    from ..instance import Instance

#: Plans go through :func:`scission_opt.solvers.base.finish`: the evaluator re-scores each.
finish_dag = finish


def dag_problem(instance: Instance) -> str | None:
    """Why no DAG solver can take ``instance``, or ``None`` (any node order the format accepts is topological)."""
    if instance.n_tiers < 1:
        return "no tiers"
    return None
