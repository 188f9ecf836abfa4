"""The constraint-group table: the evaluator's checks and the Constraints groups name the same groups."""

from __future__ import annotations

from scission_opt.checks import CHECKS
from scission_opt.instance import Constraints
from scission_opt.problem import GROUP_FIELDS

#: Groups every instance has, not a user constraint (so not dropped by ``without``).
ALWAYS = {"links", "memory"}


def test_every_user_group_has_a_check_and_every_check_a_group() -> None:
    assert {name for name, _ in CHECKS} == set(GROUP_FIELDS) | ALWAYS


def test_without_drops_exactly_one_group() -> None:
    c = Constraints(
        privacy_nodes=2,
        pins=((0, 1),),
        bans=((1, 0),),
        excluded_systems=((), ("a",), ()),
        tiers_required=frozenset({1}),
        energy_budget_j=3.0,
        upload_limit_bytes=(None, 5.0, None),
        compute_time_limit_s=(1.0, None, None),
        compute_time_limit_pct=(None, None, 50.0),
        deadline_s=3.0,
    )
    groups = c.groups(3)
    assert set(groups) == set(GROUP_FIELDS)
    for g in groups:
        assert c.without(g, 3).groups(3) == tuple(x for x in groups if x != g)
    assert Constraints().groups(3) == ()
