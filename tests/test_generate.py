"""Synthetic instances: seeded, realistic shapes, marked synthetic."""

from __future__ import annotations

import numpy as np
import pytest

from scission_opt.generate import generate, generate_dict


def test_same_seed_same_instance() -> None:
    assert generate_dict(30, 4, 3, seed=7) == generate_dict(30, 4, 3, seed=7)
    assert generate_dict(30, 4, 3, seed=7) != generate_dict(30, 4, 3, seed=8)


def test_realistic_shapes() -> None:
    instance = generate(200, 3, 2, seed=1)
    out = instance.boundary_bytes[1:]
    assert out[:20].mean() > 100 * out[-20:].mean()  # tensors shrink along the chain
    device, cloud = instance.latency[instance.system_tier == 0], instance.latency[instance.system_tier == 2]
    assert np.median(device.sum(axis=1)) > 10 * np.median(cloud.sum(axis=1))  # the first tier is slowest
    assert (instance.latency == 0).any()  # some blocks measured at 0 s
    assert "synthetic" in instance.provenance
    assert all("synthetic" in s.provenance for s in instance.systems)


@pytest.mark.parametrize("tiers", [1, 2, 5])
def test_any_number_of_tiers(tiers: int) -> None:
    instance = generate(5, tiers, 2, seed=0)
    assert instance.n_tiers == tiers and instance.n_systems == 2 * tiers


def test_rejects_empty_shapes() -> None:
    with pytest.raises(ValueError):
        generate_dict(0, 3, 1)
