"""An additive objective's value on a DAG plan: the one sum, :func:`scission_opt.objectives.additive_value`.

Each used tier pays its segment cost once (one call per tier) and its nodes' costs;
each hop pays ``hop_fixed`` once plus ``hop_per_byte`` times the bytes of all the
tensors it carries (formulations/dag.md). The tests check this equals ``value()``.
"""

from __future__ import annotations

from ..objectives.base import additive_value as dag_additive_value

__all__ = ["dag_additive_value"]
