"""The roofline estimate, on hand-made profiles and on a real one."""

from __future__ import annotations

import json

import pytest

from scission_opt.errors import InvalidInstanceError
from scission_opt.profiler.estimate import Spec, estimate_error, estimate_profile, load_spec, parse_spec
from scission_opt.profiler.profile import BlockProfile, ModelProfile, Profile, Provenance, load_profile
from scission_opt.profiler.timing import Timing

SPEC = Spec("gpu", "cloud", peak_flops=1e12, memory_bandwidth=1e11, fixed_s=1e-4, source="sheet")


def _t(s: float) -> Timing:
    return Timing(s, s, s, s, s, 3)


def _profile() -> Profile:
    blocks = (
        BlockProfile((0, 1), "in", "c", 100, 10, 200, 1e9, 4e9, _t(0.01)),  # compute bound: 4 ms vs memory 10 ms
        BlockProfile((2, 2), "d", "d", 10, 0, 20, 2e8, 1e6, _t(0.002)),  # memory bound: 2 ms
    )
    model = ModelProfile("m", "test", (4,), 16, 3, blocks, _t(0.011), _t(1e-4))
    return Profile("host", "edge", Provenance(date="2026-01-01T00:00:00+00:00"), (model,), source="host.json")


def test_roofline_takes_the_larger_bound():
    est = estimate_profile(_profile(), SPEC)
    m = est.model("m")
    assert m.latency_s == pytest.approx((1e-4 + 1e9 / 1e11, 1e-4 + 2e8 / 1e11))
    assert m.whole.median_s == pytest.approx(1e-4 + 1e9 / 1e11 + 2e8 / 1e11)
    assert (est.system, est.tier, est.provenance.method) == ("gpu", "cloud", "estimated")
    assert "1 TFLOP/s" in est.provenance.note and "sheet" in est.provenance.note


def test_efficiency_scales_the_peaks():
    slow = Spec("g", "cloud", 1e12, 1e11, 0.0, flops_efficiency=0.5, bandwidth_efficiency=0.5)
    assert slow.seconds(1e12, 0) == pytest.approx(2.0)
    assert slow.seconds(0, 1e11) == pytest.approx(2.0)


def test_error_against_measurement():
    (row,) = estimate_error(_profile(), estimate_profile(_profile(), SPEC))
    assert row.blocks == 2
    assert row.median_block_ratio == pytest.approx(((0.0101 / 0.01) + (0.0021 / 0.002)) / 2)
    assert row.whole_ratio == pytest.approx(0.0121 / 0.011)


def test_estimate_of_a_real_profile_round_trips(tmp_path, mobilenet_profile):
    est = estimate_profile(load_profile(mobilenet_profile), SPEC)
    est.save(tmp_path / "e.json")
    again = load_profile(tmp_path / "e.json")
    assert again.provenance.method == "estimated"
    assert again.model("mobilenet_v2").latency_s == est.model("mobilenet_v2").latency_s
    assert all(x > SPEC.fixed_s for x in est.model("mobilenet_v2").latency_s)


def test_spec_file_errors(tmp_path):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps({"name": "g", "tier": "cloud", "peak_flops": 0, "memory_bandwidth": 1}))
    with pytest.raises(InvalidInstanceError, match=r"spec.json: peak_flops: must be > 0"):
        load_spec(path)
    with pytest.raises(InvalidInstanceError, match="flops_efficiency: must be <= 1"):
        parse_spec({"name": "g", "tier": "c", "peak_flops": 1, "memory_bandwidth": 1, "flops_efficiency": 2})


def test_block_without_flops_names_file_and_block():
    import dataclasses

    p = _profile()
    m = p.models[0]
    blocks = (dataclasses.replace(m.blocks[0], flops=None),) + m.blocks[1:]
    p = dataclasses.replace(p, models=(dataclasses.replace(m, blocks=blocks),))
    with pytest.raises(InvalidInstanceError, match=r"^host.json: models.m.blocks\[0\].flops: no FLOP count"):
        estimate_profile(p, SPEC)


def test_layer_cost_is_charged_per_layer():
    spec = Spec("g", "cloud", 1e12, 1e11, fixed_s=1e-4, layer_s=1e-5)
    m = estimate_profile(_profile(), spec).model("m")
    # block 0 covers layers 0-1 (2 layers), block 1 layer 2 (1 layer)
    assert m.latency_s == pytest.approx((1e-4 + 2e-5 + 1e9 / 1e11, 1e-4 + 1e-5 + 2e8 / 1e11))
    assert m.whole.median_s == pytest.approx(1e-4 + 3e-5 + 1e9 / 1e11 + 2e8 / 1e11)
    assert "10 us per layer" in spec.describe()
    doc = {"name": "g", "tier": "cloud", "peak_flops": 1, "memory_bandwidth": 1, "layer_s": 2e-6}
    assert parse_spec(doc).layer_s == 2e-6


def test_calibrate_recovers_the_efficiency_and_layer_cost_that_made_the_times():
    from dataclasses import replace

    from scission_opt.profiler.estimate import calibrate

    truth = Spec("g", "cloud", 1e12, 1e11, fixed_s=1e-4, flops_efficiency=0.25, layer_s=4e-5)
    base = _profile().models[0]
    models = []
    for k, scale in enumerate((1.0, 3.0, 0.2)):
        blocks = tuple(replace(b, flops=int(b.flops * scale), layers=(0, 10 * k + 1)) for b in base.blocks)
        models.append(replace(base, name=f"m{k}", blocks=blocks))
    measured = estimate_profile(Profile("h", "cloud", Provenance(), tuple(models)), truth)
    got = calibrate(replace(truth, flops_efficiency=1.0, layer_s=0.0), measured)
    assert got.spec.flops_efficiency == pytest.approx(0.25, rel=0.03)
    assert got.spec.layer_s == pytest.approx(4e-5, rel=0.05)
    assert got.worst_factor < 1.03
    assert got.models == ("m0", "m1", "m2")
