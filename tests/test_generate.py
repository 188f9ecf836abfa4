"""Synthetic instances: seeded, realistic shapes, marked synthetic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scission_opt.cli import main
from scission_opt.generate import generate, with_binding_constraints
from scission_opt.instance import load_instance
from scission_opt.solve import solve


def test_same_seed_same_instance() -> None:
    assert generate(30, 4, 3, seed=7).to_dict() == generate(30, 4, 3, seed=7).to_dict()
    assert generate(30, 4, 3, seed=7).to_dict() != generate(30, 4, 3, seed=8).to_dict()


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
        generate(0, 3, 1)


def test_every_eight_node_constrained_instance_is_feasible() -> None:
    """Issue 13.8: all 32 seeds of ``generate --nodes 8 --constrained`` were infeasible, and exit 0 said nothing."""
    for seed in range(32):
        instance = with_binding_constraints(generate(8, 3, 1, seed), seed=seed)
        assert solve(instance, explain=False).status.has_plan, seed
        assert {"privacy", "upload_limits", "energy_budget"} <= set(instance.constraints.groups(instance.n_tiers))


@pytest.mark.parametrize(("nodes", "tiers", "systems"), [(1, 1, 1), (2, 3, 1), (3, 2, 2), (40, 4, 2)])
def test_constrained_feasible_on_odd_shapes(nodes: int, tiers: int, systems: int) -> None:
    for seed in range(3):
        instance = with_binding_constraints(generate(nodes, tiers, systems, seed), seed=seed)
        assert solve(instance, explain=False).status.has_plan


def test_constraints_bind() -> None:
    """At least one constraint changes the optimum on most seeds (they are not decoration)."""
    changed = 0
    for seed in range(8):
        free = generate(40, 3, 1, seed)
        bound = with_binding_constraints(free, seed=seed)
        changed += solve(bound, explain=False).objective > solve(free, explain=False).objective + 1e-12
    assert changed >= 4


def test_cli_generate_constrained_writes_a_feasible_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "g8.json"
    assert main(["generate", "-o", str(out), "--nodes", "8", "--seed", "0", "--constrained"]) == 0
    assert "infeasible" not in capsys.readouterr().out
    assert solve(load_instance(out), explain=False).status.has_plan
