"""Network overrides: names resolved against tiers or systems, the evaluator's latency follows the formula."""

from __future__ import annotations

import pytest

from scission_opt.cli import main
from scission_opt.errors import InvalidInstanceError
from scission_opt.evaluate import evaluate
from scission_opt.instance import load_instance
from scission_opt.plan import Plan
from scission_opt.whatif.overrides import apply_overrides

from ..conftest import DATA

TINY = DATA / "tiny.json"


@pytest.fixture
def tiny():
    return load_instance(TINY)


def _two_tier_plan(instance, cut):
    """Tier 0 runs nodes [0, cut), tier 1 the rest; systems: the first of each tier."""
    names = [next(s.name for s in instance.systems if s.tier == t) for t in instance.tiers]
    n, T = instance.n_nodes, instance.n_tiers
    bounds = (0, cut) + (n,) * (T - 1)
    return Plan(bounds, (names[0], names[1]) + (None,) * (T - 2))


def test_bandwidth_changes_latency_as_the_formula_says(tiny):
    src, dst = tiny.tiers[0], tiny.tiers[1]
    plan = _two_tier_plan(tiny, 1)
    before = evaluate(tiny, plan)
    link = next(lk for lk in tiny.links if lk.source == plan.systems[0] and lk.destination == plan.systems[1])
    changed = apply_overrides(tiny, bandwidth=[f"{src}:{dst}=7.5"])
    after = evaluate(changed, plan)
    sent = tiny.boundary_bytes[1]
    expected = before.latency_s - sent * 8 / (link.bandwidth_mbps * 1e6) + sent * 8 / (7.5 * 1e6)
    assert after.latency_s == pytest.approx(expected, rel=1e-12)
    assert changed is not tiny and tiny.links == load_instance(TINY).links  # the original is untouched


def test_link_latency_and_system_names(tiny):
    plan = _two_tier_plan(tiny, 1)
    a, b = plan.systems[0], plan.systems[1]
    before = evaluate(tiny, plan)
    link = next(lk for lk in tiny.links if lk.source == a and lk.destination == b)
    changed = apply_overrides(tiny, link_latency=[f"{a}:{b}=250"])
    assert evaluate(changed, plan).latency_s == pytest.approx(
        before.latency_s - link.latency_ms / 1e3 + 0.25, rel=1e-12
    )


def test_input_bytes(tiny):
    plan = _two_tier_plan(tiny, 0)  # the raw input travels
    changed = apply_overrides(tiny, input_bytes=0)
    link = next(lk for lk in tiny.links if lk.source == plan.systems[0] and lk.destination == plan.systems[1])
    saved = tiny.input_bytes * 8 / (link.bandwidth_mbps * 1e6)
    assert evaluate(changed, plan).latency_s == pytest.approx(evaluate(tiny, plan).latency_s - saved, rel=1e-12)


@pytest.mark.parametrize(
    "kwargs, option",
    [
        ({"bandwidth": ["nowhere:edge=5"]}, "--bandwidth"),
        ({"bandwidth": ["device-edge=5"]}, "--bandwidth"),
        ({"bandwidth": ["device:edge=fast"]}, "--bandwidth"),
        ({"bandwidth": ["device:edge=0"]}, "--bandwidth"),
        ({"link_latency": ["device:nowhere=5"]}, "--link-latency"),
        ({"link_latency": ["device:edge=-1"]}, "--link-latency"),
        ({"input_bytes": -3.0}, "--input-bytes"),
    ],
)
def test_bad_options_name_the_option(tiny, kwargs, option):
    with pytest.raises(InvalidInstanceError) as err:
        apply_overrides(tiny, **kwargs)
    assert str(err.value).startswith(option + ":")


def test_network_file_with_tier_names(tiny, tmp_path):
    net = tmp_path / "net.csv"
    lines = ["source,destination,ping_ms,bandwidth_mbps"]
    lines += [f"{a},{b},1,123" for i, a in enumerate(tiny.tiers) for b in tiny.tiers[i + 1 :]]
    net.write_text("\n".join(lines) + "\n")
    changed = apply_overrides(tiny, network=str(net))
    assert changed.links and all(lk.bandwidth_mbps == 123 for lk in changed.links)
    assert all(changed.system_index[lk.source] != changed.system_index[lk.destination] for lk in changed.links)


def test_cli_solve_override_and_bad_name(capsys):
    assert main(["solve", str(TINY), "--bandwidth", "device:edge=1000", "--input-bytes", "10", "--json"]) == 0
    assert main(["solve", str(TINY), "--bandwidth", "device:mars=1000"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: --bandwidth: unknown tier or system 'mars'")
