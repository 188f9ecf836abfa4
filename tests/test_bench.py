"""The benchmark harness (repository tooling in benchmarks/, run through its own ``main``).

The quick subset runs and every solver agrees (times are never checked); the
report formats rows whatever was or was not measured; the memory probe sees
native memory; ``--resume`` with nothing to do rewrites nothing.
"""

from __future__ import annotations

import dataclasses
import math
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from benchmarks import report
from benchmarks import run as harness
from benchmarks.families import Case
from benchmarks.measure import NO_MEMORY, measure, memory_probe, run_one
from scission_opt.compare import objectives_agree
from scission_opt.evaluate import evaluate
from scission_opt.generate import generate, with_binding_constraints
from scission_opt.objectives import get_objective
from scission_opt.solvers import get_solver

ROOT = Path(__file__).resolve().parents[1]
#: exit code, rows of runs.csv, results folder
QuickRun = tuple[int, list[dict[str, Any]], Path]


@pytest.fixture(scope="module")
def quick_rows(tmp_path_factory: pytest.TempPathFactory) -> QuickRun:
    """Run ``python benchmarks/run.py --quick`` once for the module; its rows."""
    out = tmp_path_factory.mktemp("bench")
    code = harness.main(["--quick", "--no-plot", "-q", "--out", str(out)])
    return code, harness.read_rows(out / "runs.csv"), out


def test_quick_subset_agrees(quick_rows: QuickRun) -> None:
    code, rows, out = quick_rows
    assert code == 0
    assert (out / "results.md").is_file()
    assert not [r for r in rows if r["agrees"] is False]
    # a run killed at the hard cap (a starved machine) is a cap, not a failure: only errors fail
    assert not [r for r in rows if r["status"] == "error"]
    compared = [r for r in rows if r["agrees"] is True]
    assert any(r["solver"] == "dp" and r["reference"] == "exhaustive" for r in compared)
    assert any(r["solver"] == "scission_baseline" for r in compared)


def test_quick_subset_covers_both_constraint_sets(quick_rows: QuickRun) -> None:
    _, rows, _ = quick_rows
    synthetic = [r for r in rows if r["family"] == "synthetic"]
    assert {r["constraints"] for r in synthetic} == {"none", "binding"}
    binding = [r for r in synthetic if r["constraints"] == "binding" and r["solver"] == "exhaustive"]
    assert all("privacy" in r["constraint_groups"] and "energy_budget" in r["constraint_groups"] for r in binding)


# ---------------------------------------------------------------------------
# Rows with nothing measured: the report must format them on any machine


def _row(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "family": "synthetic", "name": "n100-t3-s1", "constraints": "none", "top_k": 1, "solver": "dp",
        "status": "optimal", "nodes": 100, "tiers": 3, "systems_per_tier": 1, "systems": 3, "plans": 5151,
        "scission_scenarios": 5151, "repeats": 3, "time_median_s": 0.002, "time_min_s": 0.001,
        "objective": 1.0, "objectives": [1.0], "bound": 1.0, "reference": "exhaustive", "agrees": True,
    }  # fmt: skip
    return {**base, **fields}


@pytest.mark.parametrize(
    "missing",
    [
        {"peak_mem_bytes": None, "peak_rss_bytes": None},  # the probe was skipped (a slow first call)
        {"peak_mem_bytes": math.nan},  # read back from an empty CSV cell, no RSS column (an older runs.csv)
        {},  # no memory keys at all
    ],
)
def test_report_formats_rows_without_memory_figures(missing: dict[str, Any]) -> None:
    rows = [
        _row(solver="exhaustive", reference="", agrees=None, **missing),
        _row(**missing),
        _row(solver="cbc", status="killed", time_median_s=None, time_min_s=None, objectives=[], objective=None,
             bound=None, agrees=None),
        _row(solver="cpsat", status="error", note="RuntimeError: x", objectives=[], agrees=None,
             time_median_s=None, time_min_s=None),
    ]  # fmt: skip
    text = report.markdown(rows, {"settings": {}})
    memory = text.split("## Peak memory")[1].splitlines()
    line = next(x for x in memory if x.startswith("| synthetic n100-t3-s1 none top-1"))
    assert line.count("| - ") >= 2  # exhaustive and dp: no figure, said as "-"
    assert "killed at hard cap" in text
    report.time_figure(rows)  # the plot reads them too


def test_report_shows_rss_and_traced_memory() -> None:
    rows = [_row(solver="exhaustive", reference="", agrees=None, peak_rss_bytes=31.3e6, peak_mem_bytes=3.1e6)]
    text = report.markdown(rows, {"settings": {"memory_probe_max_s": 5.0}})
    assert "| 31.3 / 3.10 |" in text
    assert "native memory" in text and "tracemalloc" in text


def test_skipped_memory_probe_leaves_none_and_the_report_copes() -> None:
    # memory_probe_max_s = 0: the skip path runs whatever the machine's speed
    from benchmarks.run import QUICK

    settings = dataclasses.replace(QUICK, memory_probe_max_s=0.0, max_repeats=1)
    case = Case("synthetic", "n10-t3-s1", "none", nodes=10, tiers=3, systems_per_tier=1)
    row = run_one(case, "dp", settings)
    assert row["status"] == "optimal"
    assert row["peak_mem_bytes"] is None and row["peak_rss_bytes"] is None
    text = report.markdown([{**row, "family": "synthetic", "name": "n100-t3-s1"}], {"settings": {}})
    assert "## Peak memory" in text


def test_harness_on_a_machine_too_slow_for_any_memory_probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # every first call "took longer" than the probe's limit: the whole harness, report and plot still run
    pytest.importorskip("matplotlib")
    monkeypatch.setattr(harness, "QUICK", dataclasses.replace(harness.QUICK, memory_probe_max_s=-1.0))
    argv = ["--quick", "--family", "synthetic", "--solver", "dp", "--max-nodes", "100"]
    assert harness.main([*argv, "-q", "--out", str(tmp_path)]) == 0
    rows = harness.read_rows(tmp_path / "runs.csv")
    assert rows and all(math.isnan(r["peak_mem_bytes"]) and math.isnan(r["peak_rss_bytes"]) for r in rows)
    text = (tmp_path / "results.md").read_text()
    assert "| synthetic n100-t3-s1 none top-1 | - |" in text  # the memory table, with nothing measured
    assert (tmp_path / "time_vs_size.png").is_file()


def test_measure_probes_memory_after_a_fast_call() -> None:
    from benchmarks.run import QUICK

    class Done:
        class status:  # noqa: N801 - mimics SolveResult.status
            value = "optimal"

    settings = dataclasses.replace(QUICK, memory_probe_max_s=math.inf, max_repeats=1)
    _, times, memory = measure(lambda: Done(), settings)
    assert len(times) == 1 and memory["peak_mem_bytes"] is not None
    skipped = dataclasses.replace(settings, memory_probe_max_s=-1.0)
    assert measure(lambda: Done(), skipped)[2] == NO_MEMORY


linux_fork = pytest.mark.skipif(
    not (hasattr(os, "fork") and Path("/proc/self/status").exists()), reason="RSS probe needs fork and /proc"
)


@linux_fork
def test_memory_probe_counts_native_memory() -> None:
    import ctypes

    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    size = 64 * 2**20

    def native() -> None:  # memory tracemalloc cannot see, as CP-SAT's
        ptr = libc.malloc(size)
        ctypes.memset(ptr, 1, size)
        libc.free(ptr)

    memory = memory_probe(native)
    assert memory["peak_rss_bytes"] is not None and memory["peak_rss_bytes"] >= 0.9 * size
    assert memory["peak_mem_bytes"] is not None and memory["peak_mem_bytes"] < 0.1 * size


@linux_fork
def test_memory_probe_counts_solver_subprocesses() -> None:
    size = 64 * 2**20
    script = f"b = bytearray({size}); b[::4096] = b'x' * len(range(0, {size}, 4096))"

    def child() -> None:  # as the CBC binary
        subprocess.run([sys.executable, "-c", script], check=True)

    memory = memory_probe(child)
    assert memory["peak_rss_bytes"] is not None and memory["peak_rss_bytes"] >= size


# ---------------------------------------------------------------------------
# --resume


def _snapshot(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


def test_resume_with_nothing_to_do_rewrites_nothing(tmp_path: Path) -> None:
    argv = ["--quick", "--family", "synthetic", "--solver", "dp", "--max-nodes", "10", "--no-plot", "-q"]
    assert harness.main([*argv, "--out", str(tmp_path)]) == 0
    before = _snapshot(tmp_path)
    assert set(before) == {"runs.csv", "results.md", "machine.json"}
    assert harness.main([*argv, "--out", str(tmp_path), "--resume"]) == 0
    assert _snapshot(tmp_path) == before
    # a resume that does measure records the earlier run next to its own
    assert harness.main([*argv, "--solver", "exhaustive", "--out", str(tmp_path), "--resume"]) == 0
    text = (tmp_path / "results.md").read_text()
    assert "Rows kept from an earlier run" in text
    rows = harness.read_rows(tmp_path / "runs.csv")
    assert {r["solver"] for r in rows} == {"dp", "exhaustive"}


# ---------------------------------------------------------------------------
# The time plot draws only panels with data


def test_time_plot_has_no_empty_panel() -> None:
    pytest.importorskip("matplotlib")
    rows = [
        _row(name=f"n{n}-t{t}-s{s}", nodes=n, tiers=t, systems_per_tier=s, constraints="binding", solver=solver,
             time_median_s=1e-4 * n)
        for n in (10, 30, 100) for t in (3, 4) for s in (1, 2) for solver in ("dp", "exhaustive")
    ]  # fmt: skip
    fig = report.time_figure(rows)
    assert len(fig.axes) >= 2
    for ax in fig.axes:
        assert ax.lines or ax.collections, ax.get_title()
    assert report.time_figure([_row(status="skipped")]) is None


# ---------------------------------------------------------------------------
# Tooling lives outside the package


def test_the_package_has_no_bench_command_and_no_path_tricks(capsys: pytest.CaptureFixture[str]) -> None:
    from scission_opt.cli import main

    with pytest.raises(SystemExit) as info:
        main(["bench", "--quick"])
    assert info.value.code == 2
    capsys.readouterr()
    package = ROOT / "scission_opt"
    assert not (package / "bench.py").exists()
    assert not [p for p in package.rglob("*.py") if "sys.path.insert" in p.read_text(encoding="utf-8")]


def test_bench_extra_installs_the_profiler() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(req.startswith("pyinstrument") for req in extras["bench"])


def test_no_machine_paths_in_benchmark_sources() -> None:
    import re

    pattern = re.compile(r"(?<![\w.])/(work|home|Users|tmp|root)/\w")
    found = [p.name for p in (ROOT / "benchmarks").glob("*.py") if pattern.search(p.read_text(encoding="utf-8"))]
    assert not found


# ---------------------------------------------------------------------------
# The Scission-style baseline


@pytest.mark.parametrize(("n", "tiers", "spt"), [(12, 3, 2), (8, 4, 2), (20, 3, 1)])
@pytest.mark.parametrize("constrained", [False, True])
def test_scission_baseline_top5_matches_exhaustive(n: int, tiers: int, spt: int, constrained: bool) -> None:
    from benchmarks.scission_baseline import ScissionBaseline, count_scission_scenarios

    instance = generate(n, tiers, spt, seed=3)
    if constrained:
        instance = with_binding_constraints(instance, seed=3)
    latency = get_objective("latency")
    baseline = ScissionBaseline()
    ours = baseline.solve(instance, latency, top_k=5)
    reference = get_solver("exhaustive").solve(instance, latency, top_k=5)
    assert objectives_agree(
        tuple(p.objective for p in ours.plans),
        tuple(p.objective for p in reference.plans),
    )
    # its own cost model (block sums, a hop per used tier) matches the evaluator
    for scenario in baseline.top(instance, 5) or []:
        assert scenario.latency_s == pytest.approx(evaluate(instance, scenario.plan(instance)).latency_s, rel=1e-12)
    assert len(baseline.scenarios(instance) or []) == count_scission_scenarios(instance)


def test_baseline_counts_a_tier_used_only_when_it_holds_blocks() -> None:
    """Blocks measured at 0 s must not hide a transfer (Scission's bug)."""
    from benchmarks.scission_baseline import ScissionBaseline

    instance = generate(6, 3, 1, seed=0)
    zeroed = tuple(
        dataclasses.replace(s, latency_s=(0.0,) * instance.n_nodes) if s.tier == instance.tiers[2] else s
        for s in instance.systems
    )
    instance = instance.replace(systems=zeroed)
    for scenario in ScissionBaseline().scenarios(instance) or []:
        plan = scenario.plan(instance)
        assert scenario.latency_s == pytest.approx(evaluate(instance, plan).latency_s, rel=1e-12)
