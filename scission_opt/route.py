"""Where a plan's data travels: the hops between its stops and the tensors each hop carries.

One model for chains and DAGs (formulations/cost-model.md, formulations/dag.md). Data moves
hop by hop along the plan's *stops* (the origin, then every used later tier). A tensor made on
stop ``a`` and read last on stop ``c`` crosses every hop ``a .. c - 1`` once, however many of its
readers sit there; the raw input (tensor 0) is made on the origin. With ``return_output`` the
model's outputs travel from the last stop back to the origin. The evaluator prices these
transfers and :func:`~scission_opt.objectives.additive_value` sums an objective's terms over them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .dag.model import structure

if TYPE_CHECKING:
    from .instance import Instance
    from .plan import Plan


@dataclass(frozen=True)
class Transfer:
    """One hop of a plan before it is priced: who sends what to whom.

    Attributes
    ----------
    source_tier
        Tier of the sending system (its upload counts there).
    source, destination
        System names.
    tensors
        The tensors it carries, in boundary numbering (0: raw input, ``v + 1``: node ``v``'s output).
    returning
        Whether this is the final output sent back to the origin.
    """

    source_tier: int
    source: str
    destination: str
    tensors: tuple[int, ...]
    returning: bool = False


def _carried(instance: Instance, plan: Plan, stops: list[tuple[int, str]]) -> list[tuple[int, ...]]:
    """Per hop ``k`` (stop ``k`` -> stop ``k + 1``), the tensors it carries, in tensor order."""
    if plan.assignment is None and instance.is_chain:
        # contiguous ranges on a chain: each hop carries exactly the boundary at the next stop's first node
        return [(plan.bounds[t],) for t, _ in stops[1:]]
    n_stops = len(stops)
    stop_of_tier = {t: k for k, (t, _) in enumerate(stops)}
    tiers = plan.node_tiers()
    dag = structure(instance)
    made_on = [0] + [stop_of_tier[t] for t in tiers]
    read_until = [max((stop_of_tier[tiers[c]] for c in readers), default=-1) for readers in dag.consumers]
    if instance.return_output:  # a model output is read by a virtual sink on the last stop (formulations/dag.md)
        for v in dag.outputs:
            read_until[v + 1] = n_stops - 1
    carried: list[list[int]] = [[] for _ in range(max(n_stops - 1, 0))]
    for b, (a, c) in enumerate(zip(made_on, read_until)):
        for k in range(a, c):
            carried[k].append(b)
    return [tuple(x) for x in carried]


def transfers(instance: Instance, plan: Plan) -> tuple[Transfer, ...]:
    """Every hop of ``plan``, in order, with the tensors it carries (the return hop last)."""
    stops = plan.stops()
    carried = _carried(instance, plan, stops)
    out = [
        Transfer(t_prev, s_prev, s_next, carried[k])
        for k, ((t_prev, s_prev), (_, s_next)) in enumerate(zip(stops, stops[1:]))
    ]
    if instance.return_output and len(stops) > 1:
        t_last, s_last = stops[-1]
        out.append(Transfer(t_last, s_last, plan.origin, tuple(v + 1 for v in structure(instance).outputs), True))
    return tuple(out)
