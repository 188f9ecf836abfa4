"""The shipped scenarios: every instance loads, says how each figure was obtained, and matches its network files."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from scission_opt import evaluate, load_instance, solve
from scission_opt.network import load_network
from scission_opt.plan import Plan

ROOT = Path(__file__).resolve().parents[1]
INSTANCES = ROOT / "instances"
PLAIN = sorted(p for p in INSTANCES.glob("*.json") if p.name != "systems.json")
PRIVATE = sorted((INSTANCES / "private").glob("*.json"))
NETWORKS = sorted((INSTANCES / "networks").glob("*.csv"))


def test_every_model_ships_plain_and_private() -> None:
    assert len(PLAIN) == 18
    assert [p.name for p in PRIVATE] == [p.name for p in PLAIN]


@pytest.mark.parametrize("path", PLAIN + PRIVATE, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_instance_says_how_every_figure_was_obtained(path: Path) -> None:
    inst = load_instance(path)
    assert inst.tiers == ("device", "edge", "cloud")
    assert inst.input_bytes == 150_000 and "Scission" in inst.provenance
    how = {"device": "estimated", "edge": "measured", "cloud": "measured"}
    for s in inst.systems:
        assert how[s.tier] in s.provenance and s.segment_overhead_s > 0
        assert "segment_overhead_s" in s.provenance
        assert all(lat >= 0 for lat in s.latency_s)
    cloud = next(s for s in inst.systems if s.tier == "cloud")
    assert "JAX/XLA" in cloud.provenance and "H200" in cloud.provenance
    edge = next(s for s in inst.systems if s.tier == "edge")
    assert "2-core virtual machine" in inst.provenance and "KVM virtual machine" in edge.provenance
    assert "network 'wifi'" in inst.provenance


@pytest.mark.parametrize("path", PRIVATE, ids=lambda p: p.name)
def test_private_scenario_differs_only_by_the_privacy_constraint(path: Path) -> None:
    private, plain = load_instance(path), load_instance(INSTANCES / path.name)
    assert private.constraints.privacy_nodes == 1 and plain.constraints.privacy_nodes == 0
    assert [s.latency_s for s in private.systems] == [s.latency_s for s in plain.systems]
    trusted = [s.tier for s in private.systems if s.trusted]
    assert trusted == ["device"]


@pytest.mark.parametrize("path", NETWORKS, ids=lambda p: p.stem)
def test_network_files_cite_their_figures_and_fit_the_instances(path: Path) -> None:
    text = path.read_text()
    comments = [line for line in text.splitlines() if line.startswith("#")]
    assert len(comments) >= 3 and any(("20" in c or "ASSUMED" in c) for c in comments)
    links = load_network(path)
    inst = load_instance(PLAIN[0])
    names = {s.name for s in inst.systems}
    assert {(lk.source, lk.destination) for lk in links} == {(lk.source, lk.destination) for lk in inst.links}
    assert {lk.source for lk in links} | {lk.destination for lk in links} == names


def test_default_network_is_the_wifi_file() -> None:
    inst = load_instance(INSTANCES / "vgg16.json")

    def table(links):  # type: ignore[no-untyped-def]
        return {(lk.source, lk.destination): (lk.latency_ms, lk.bandwidth_mbps) for lk in links}

    assert table(inst.links) == table(load_network(INSTANCES / "networks" / "wifi.csv"))


def _brute_force(inst) -> float:  # type: ignore[no-untyped-def]
    """Every plan of a 3-tier, 3-system chain through the evaluator."""
    n, names, best = inst.n_nodes, [s.name for s in inst.systems], np.inf
    for b1 in range(n + 1):
        for b2 in range(b1, n + 1):
            plan = Plan((0, b1, b2, n), (names[0], names[1] if b2 > b1 else None, names[2] if b2 < n else None))
            m = evaluate(inst, plan)
            if m.feasible:
                best = min(best, m.latency_s)
    return best


@pytest.mark.parametrize("model", ["nasnet_mobile", "vgg16"])
@pytest.mark.parametrize("private", [False, True])
def test_scenario_table_enumeration_matches_the_evaluator_and_the_solvers(model: str, private: bool) -> None:
    from tools.scenario_table import enumerate_best

    inst = load_instance(INSTANCES / ("private" if private else "") / f"{model}.json")
    plan, latency = enumerate_best(inst)
    assert latency == pytest.approx(_brute_force(inst), rel=1e-12)
    assert evaluate(inst, plan).latency_s == pytest.approx(latency, rel=1e-12)
    for solver in ("exhaustive", "dp"):
        assert solve(inst, solver, "latency").objective == pytest.approx(latency, rel=1e-9)
    # Without the segment cost too.
    bare = inst.replace(systems=tuple(dataclasses.replace(s, segment_overhead_s=0.0) for s in inst.systems))
    assert enumerate_best(bare)[1] == pytest.approx(solve(bare, "exhaustive", "latency").objective, rel=1e-9)


def test_the_shipped_files_are_what_the_ship_command_makes(tmp_path: Path) -> None:
    import shutil

    from tools.ship import main

    for folder in ("profiles", "specs", "measurements"):
        shutil.copytree(INSTANCES / folder, tmp_path / folder)
    assert main(["--skip-profiling", "-o", str(tmp_path), "--models", "vgg16", "nasnet_mobile"]) == 0
    for rel in ("vgg16.json", "private/nasnet_mobile.json", "networks/lte.csv"):
        made = (tmp_path / rel).read_text().replace(str(tmp_path), "instances")
        assert made == (INSTANCES / rel).read_text(), rel


def test_segment_cost_study_a_fusion_factor_fits_whole_models_by_mischarging_single_blocks():
    """tools.segment_cost_study on models that fuse (whole = 0.6 x the sum of blocks): one fixed cost cannot
    fit a model of few large blocks and one of many small ones; a fusion factor k can, and then charges every
    block run alone 0.6 x its measurement. With c = f a block at least f costs exactly its measurement."""
    import numpy as np

    from tools.segment_cost_study import _grid_fitter, _shipped, judge

    rng = np.random.default_rng(11)
    blocks = [rng.uniform(4e-3, 6e-3, 5), rng.uniform(2e-4, 4e-4, 50), rng.uniform(1e-3, 2e-3, 12)]
    wholes = np.array([0.6 * b.sum() for b in blocks])
    shipped = judge("shipped", _shipped, blocks, wholes)
    c, f_fit, k = shipped.params
    assert c == f_fit and k == 1.0
    every = np.concatenate(blocks)
    assert shipped.single[0] == pytest.approx(max(1.0, f_fit / every.min()))  # a block under f is charged f
    fused = judge("fused", _grid_fitter(f_fit, "minimax", tied=False, fuse=True), blocks, wholes)
    assert fused.params[2] == pytest.approx(0.6, abs=0.016)
    assert fused.fit[0] < 1.02 < shipped.fit[0]
    assert fused.single[1] == pytest.approx(0.4, abs=0.03)
