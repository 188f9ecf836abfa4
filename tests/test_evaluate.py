"""The cost model against numbers computed by hand on tests/data/tiny.json.

tiny: input 1000 B; outputs 500, 250, 100 B; params 10, 20, 30 B.
pi (device) 1, 2, 4 s; nuc (edge) 0.5 s each; gpu (cloud) 0.1 s each.
pi->nuc 10 ms, 1000 B/s, 1 W; pi->gpu 100 ms, 1000 B/s, 1 W; nuc->gpu 0 ms, 1e6 B/s.
pi: compute 2 W, idle 0.5 W.
"""

from __future__ import annotations

import dataclasses

import pytest

from scission_opt import InvalidInstanceError, Plan, evaluate, load_instance
from scission_opt.instance import Constraints

from .conftest import DATA


@pytest.fixture
def tiny():  # type: ignore[no-untyped-def]
    return load_instance(DATA / "tiny.json")


def test_three_tier_plan_by_hand(tiny) -> None:  # type: ignore[no-untyped-def]
    m = evaluate(tiny, Plan((0, 1, 2, 3), ("pi", "nuc", "gpu")))
    assert m.compute_s == pytest.approx((1.0, 0.5, 0.1))
    assert [h.bytes for h in m.hops] == [500, 250]
    assert m.hops[0].time_s == pytest.approx(0.01 + 0.5)
    assert m.hops[1].time_s == pytest.approx(0.00025)
    assert m.latency_s == pytest.approx(1.6 + 0.51 + 0.00025)
    # 2 W x 1 s + 1 W x 0.5 s sending + 0.5 W idle x (2.11025 - 1 - 0.5) s
    assert m.energy_j == pytest.approx(2.0 + 0.5 + 0.5 * 0.61025)
    assert m.bytes_total == 750
    assert m.upload_bytes == (500, 250, 0)
    assert m.memory_bytes == (510, 270, 130)
    assert m.bottleneck_s == pytest.approx(1.0)
    assert m.price == pytest.approx(0.01 * 0.5 + 0.1 * 0.1)
    assert m.feasible


def test_unused_device_sends_raw_input(tiny) -> None:  # type: ignore[no-untyped-def]
    m = evaluate(tiny, Plan((0, 0, 0, 3), ("pi", None, "gpu")))
    assert m.latency_s == pytest.approx(1.1 + 0.3)
    assert m.energy_j == pytest.approx(1.0 + 0.5 * 0.4)
    assert m.compute_s[0] == 0 and m.memory_bytes[0] == 0


def test_zero_second_tier_is_still_used(tiny) -> None:  # type: ignore[no-untyped-def]
    """A tier holding only 0 s blocks is used: its transfer is paid (Scission's bug)."""
    systems = list(tiny.systems)
    systems[1] = dataclasses.replace(systems[1], latency_s=(0.0, 0.0, 0.0))
    zero = tiny.replace(systems=tuple(systems))
    m = evaluate(zero, Plan((0, 1, 2, 3), ("pi", "nuc", "gpu")))
    assert m.compute_s[1] == 0.0
    assert len(m.hops) == 2
    assert m.latency_s == pytest.approx(1.0 + 0.51 + 0.00025 + 0.1)


def test_return_hop_is_costed(tiny) -> None:  # type: ignore[no-untyped-def]
    from scission_opt.instance import Link

    back = tiny.replace(
        return_output=True, links=tiny.links + (Link("gpu", "pi", latency_ms=20, bandwidth_mbps=0.008),)
    )
    m = evaluate(back, Plan((0, 0, 0, 3), ("pi", None, "gpu")))
    assert m.hops[-1].returning and m.hops[-1].bytes == 100
    assert m.latency_s == pytest.approx(1.4 + 0.02 + 0.1)
    assert m.upload_bytes == (1000, 0, 100)


def test_violations_name_their_group(tiny) -> None:  # type: ignore[no-untyped-def]
    c = Constraints(
        privacy_nodes=1,
        energy_budget_j=1.0,
        upload_limit_bytes=(400, None, None),
        compute_time_limit_s=(None, 0.4, None),
        compute_time_limit_pct=(None, None, 5),
        deadline_s=2.0,
        tiers_forbidden=frozenset({2}),
        pins=((0, 2),),
        bans=((1, 1),),
    )
    systems = list(tiny.systems)
    systems[1] = dataclasses.replace(systems[1], memory_bytes=100)
    m = evaluate(tiny.replace(constraints=c, systems=tuple(systems)), Plan((0, 1, 2, 3), ("pi", "nuc", "gpu")))
    groups = {v.split(":")[0] for v in m.violations}
    assert groups == {
        "energy_budget",
        "upload_limits",
        "compute_time_limits",
        "compute_time_pct_limits",
        "deadline",
        "tier_usage",
        "pins",
        "bans",
        "memory",
    }
    assert not m.feasible


def test_privacy_on_untrusted_edge(tiny) -> None:  # type: ignore[no-untyped-def]
    private = tiny.replace(constraints=Constraints(privacy_nodes=1))
    assert evaluate(private, Plan((0, 1, 2, 3), ("pi", "nuc", "gpu"))).feasible
    m = evaluate(private, Plan((0, 0, 2, 3), ("pi", "nuc", "gpu")))
    assert m.violations == ("privacy: node 0 runs on untrusted nuc",)


def test_missing_link_is_a_violation(tiny) -> None:  # type: ignore[no-untyped-def]
    cut = tiny.replace(links=tiny.links[:2])
    m = evaluate(cut, Plan((0, 0, 1, 3), ("pi", "nuc", "gpu")))
    assert any(v.startswith("links:") for v in m.violations)


@pytest.mark.parametrize(
    "plan",
    [
        Plan((0, 1, 3), ("pi", "nuc")),  # wrong number of tiers
        Plan((0, 2, 1, 3), ("pi", "nuc", "gpu")),  # decreasing
        Plan((0, 1, 2, 3), (None, "nuc", "gpu")),  # no origin
        Plan((0, 1, 1, 3), ("pi", "nuc", "gpu")),  # system named for an empty tier
        Plan((0, 1, 2, 3), ("pi", "gpu", "nuc")),  # systems in the wrong tiers
    ],
)
def test_malformed_plans_are_rejected(tiny, plan: Plan) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInstanceError):
        evaluate(tiny, plan)
