"""The what-if commands through main([...]): JSON shapes, charts, explanations, and bad input as one line."""

from __future__ import annotations

import json

import pytest

from scission_opt.cli import main
from scission_opt.evaluate import evaluate
from scission_opt.instance import load_instance
from scission_opt.objectives import get_objective
from scission_opt.plan import Plan

from ..conftest import DATA

TINY = str(DATA / "tiny.json")


def _json(capsys, argv):
    code = main(argv)
    return code, json.loads(capsys.readouterr().out)


def test_sensitivity_json_intervals_cover_the_range(capsys):
    code, out = _json(capsys, ["sensitivity", TINY, "--link", "device:cloud", "--bandwidth", "0.001:1000", "--json"])
    assert code == 0
    iv = out["intervals"]
    assert iv[0]["lo_mbps"] == 0.001 and iv[-1]["hi_mbps"] == 1000
    assert all(a["hi_mbps"] == b["lo_mbps"] for a, b in zip(iv, iv[1:]))
    assert out["breakpoints_mbps"] == [x["hi_mbps"] for x in iv[:-1]]
    assert len({x["label"] for x in iv}) == len(iv)  # neighbours differ
    inst = load_instance(TINY)
    latency = get_objective("latency")
    for x in iv:  # the reported ends are the plan's objective there
        plan = Plan(tuple(x["plan"]["bounds"]), tuple(t["system"] for t in x["plan"]["tiers"]))
        for end in ("lo", "hi"):
            mbps = x[f"{end}_mbps"]
            links = tuple(
                lk.__class__(lk.source, lk.destination, lk.latency_ms, mbps, lk.tx_power_w)
                if (lk.source, lk.destination) == ("pi", "gpu")
                else lk
                for lk in inst.links
            )
            changed = inst.replace(links=links)
            assert latency.value(changed, plan, evaluate(changed, plan)) == pytest.approx(
                x[f"objective_{end}"], rel=1e-9
            )


def test_sensitivity_plot_and_latency_sweep(tmp_path, capsys):
    png = tmp_path / "s.png"
    assert main(["sensitivity", TINY, "--link", "pi:gpu", "--latency", "0:5000", "--plot", str(png)]) == 0
    assert png.stat().st_size > 1000
    assert "link latency of pi->gpu" in capsys.readouterr().out


def test_sensitivity_deadline_reports_infeasible_range(capsys, tmp_path):
    data = json.loads((DATA / "tiny.json").read_text())
    data.setdefault("constraints", {})["deadline_s"] = 3.0
    path = tmp_path / "deadline.json"
    path.write_text(json.dumps(data))
    code, out = _json(
        capsys,
        [
            "sensitivity",
            str(path),
            "--link",
            "device:cloud",
            "--link",
            "device:edge",
            "--bandwidth",
            "0.0001:1000",
            "--json",
        ],
    )
    assert code == 0
    assert out["intervals"][0]["feasible"] is False and out["intervals"][-1]["feasible"] is True


@pytest.mark.parametrize(
    "argv, start",
    [
        (
            ["sensitivity", TINY, "--link", "device:mars", "--bandwidth", "1:10"],
            "error: --link: unknown tier or system 'mars'",
        ),
        (
            ["sensitivity", TINY, "--link", "cloud:device", "--bandwidth", "1:10"],
            "error: --link: no link from cloud to device",
        ),
        (["sensitivity", TINY, "--link", "device:cloud", "--bandwidth", "0:10"], "error: --bandwidth: expected LO:HI"),
        (
            ["sensitivity", TINY, "--link", "device:cloud", "--bandwidth", "1:10", "--objective", "throughput"],
            "error: sensitivity: the bottleneck",
        ),
        (["pareto", TINY, "--objectives", "latency"], "error: --objectives: give two objectives"),
        (["solve", TINY, "--robust", "worst"], "error: --robust: needs --scenarios FILE"),
    ],
)
def test_bad_input_is_one_line(capsys, argv, start):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(start), err


def test_pareto_json_and_plot(capsys, tmp_path):
    png = tmp_path / "front.png"
    code, out = _json(capsys, ["pareto", TINY, "--objectives", "latency,bytes", "--json", "--plot", str(png)])
    assert code == 0 and png.stat().st_size > 1000
    pts = [(p["latency"], p["bytes"]) for p in out["points"]]
    assert pts == sorted(pts) and all(b1 > b2 for (_, b1), (_, b2) in zip(pts, pts[1:]))
    assert out["scission_choice"]["latency"] == pts[0][0]


def _scenario_file(tmp_path):
    (tmp_path / "fast.csv").write_text(
        "source,destination,ping_ms,bandwidth_mbps\ndevice,edge,1,100\ndevice,cloud,5,100\nedge,cloud,1,1000\n"
    )
    (tmp_path / "slow.csv").write_text(
        "source,destination,ping_ms,bandwidth_mbps\ndevice,edge,50,0.001\ndevice,cloud,100,0.001\nedge,cloud,1,1\n"
    )
    spec = {
        "scenarios": [
            {"name": "fast", "network": "fast.csv", "weight": 1},
            {"name": "slow", "network": "slow.csv", "weight": 3},
        ]
    }
    (tmp_path / "sc.json").write_text(json.dumps(spec))
    (tmp_path / "list.txt").write_text("# two networks\nfast.csv\nslow.csv\n")
    return tmp_path / "sc.json", tmp_path / "list.txt"


@pytest.mark.parametrize("criterion", ["worst", "regret", "expected"])
def test_solve_scenarios_compares_with_each_optimum(capsys, tmp_path, criterion):
    spec, listing = _scenario_file(tmp_path)
    code, out = _json(capsys, ["solve", TINY, "--scenarios", str(spec), "--robust", criterion, "--json"])
    assert code == 0 and out["status"] == "optimal"
    rows = out["scenarios"]
    assert [r["name"] for r in rows] == ["fast", "slow"] and [r["weight"] for r in rows] == [0.25, 0.75]
    assert all(r["value"] >= r["optimum"] - 1e-12 for r in rows)
    values = [r["value"] for r in rows]
    expected = {
        "worst": max(values),
        "regret": max(r["regret"] for r in rows),
        "expected": 0.25 * values[0] + 0.75 * values[1],
    }
    assert out["score"] == pytest.approx(expected[criterion])
    assert main(["solve", TINY, "--scenarios", str(listing)]) == 0
    assert "robust plan (worst latency) over 2 scenarios" in capsys.readouterr().out


def test_bad_scenarios_file(capsys, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"scenarios": [{"name": "x", "network": "missing.csv"}]}))
    assert main(["solve", TINY, "--scenarios", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "missing.csv" in err[0]


def test_explain_lists_shapes_and_shares(capsys, tmp_path):
    data = json.loads((DATA / "tiny.json").read_text())
    data.setdefault("constraints", {})["upload_limit_bytes"] = {"device": 600}
    path = tmp_path / "c.json"
    path.write_text(json.dumps(data))
    code, out = _json(capsys, ["solve", str(path), "--explain", "--json"])
    assert code == 0
    ex = out["explain"]
    shapes = {s["shape"]: s for s in ex["shapes"]}
    assert set(shapes) == {
        "all on device",
        "all on edge",
        "all on cloud",
        "best two-tier split",
        "best three-tier split",
    }
    assert "upload_limits" in ex["binding"]
    assert not shapes["all on cloud"]["feasible"] and shapes["all on cloud"]["breaks"] == ["upload_limits"]
    assert all(s["worse_by"] >= -1e-12 for s in shapes.values() if s["feasible"])
    assert ex["latency_compute_share"] + ex["latency_transfer_share"] == pytest.approx(1.0)
    assert main(["solve", str(path), "--explain"]) == 0
    assert "why this plan" in capsys.readouterr().out
