"""An additive objective's value on a DAG plan, summed from its :class:`~scission_opt.objectives.Terms`.

Each used tier pays its segment cost once (one call per tier) and its nodes' costs;
each hop pays ``hop_fixed`` once plus ``hop_per_byte`` times the bytes of all the
tensors it carries (formulations/dag.md). The tests check this equals ``value()``.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from .evaluate import hop_tensors
from .model import structure

if TYPE_CHECKING:
    from ..evaluate import Metrics
    from ..instance import Instance
    from ..objectives import Terms
    from ..plan import Plan


def dag_additive_value(instance: Instance, plan: Plan, terms: Terms, metrics: Metrics | None = None) -> float:
    """Sum of ``terms`` along ``plan`` (plus the weighted bottleneck, from the evaluator)."""
    sidx = instance.system_index
    total = 0.0
    for t in range(instance.n_tiers):
        if plan.used(t):
            s = sidx[plan.systems[t]]  # type: ignore[index]
            total += float(terms.segment_cost[s] + terms.node[list(plan.nodes_on(t)), s].sum())
    stops = plan.stops()
    carried = hop_tensors(instance, plan.node_tiers(), {t: k for k, (t, _) in enumerate(stops)}, len(stops))
    beta = terms.boundary_bytes
    for k, ((_, a), (_, b)) in enumerate(itertools.pairwise(stops)):
        nbytes = sum(float(beta[x]) for x in carried[k])
        total += float(terms.hop_fixed[sidx[a], sidx[b]] + terms.hop_per_byte[sidx[a], sidx[b]] * nbytes)
    if instance.return_output and len(stops) > 1:
        last, origin = sidx[stops[-1][1]], sidx[plan.origin]
        nbytes = sum(float(beta[v + 1]) for v in structure(instance).outputs)
        total += float(terms.hop_fixed[last, origin] + terms.hop_per_byte[last, origin] * nbytes)
    if terms.bottleneck_weight:
        if metrics is None:
            from ..evaluate import evaluate

            metrics = evaluate(instance, plan)
        total += terms.bottleneck_weight * metrics.bottleneck_s
    return total
