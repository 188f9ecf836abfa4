"""dag-cpsat seeded with a plan (feasible or not) and bounded below by a proven bound still finds the
exhaustive optimum: the bound, lowered by the rounding error, never cuts the optimum off."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from scission_opt.dag.cpsat import DagCPSAT
from scission_opt.dag.exhaustive import DagExhaustive, assignments, plans
from scission_opt.instance import Instance
from scission_opt.objectives import get_objective
from tests.dag.strategies import dags
from tests.dag.test_solvers import ADDITIVE, EXAMPLES, SETTINGS, _agree


@settings(SETTINGS, max_examples=min(EXAMPLES, 15))
@given(dags(max_nodes=6, max_tiers=3), st.sampled_from(ADDITIVE), st.data())
def test_a_hint_and_the_tight_bound_keep_the_optimum(instance: Instance, name: str, data: st.DataObject) -> None:
    objective = get_objective(name)
    reference = DagExhaustive().solve(instance, objective)
    every = [plan for a in assignments(instance) for plan in plans(instance, a)]
    hint = data.draw(st.sampled_from(every))  # any plan, often one the constraints reject
    lower = reference.objective if reference.plans else 0.0  # the tightest valid bound
    got = DagCPSAT().solve(instance, objective, hint=hint, lower_bound=lower)
    _agree(reference, got, instance)
