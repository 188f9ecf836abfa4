"""DAG (multi-tensor cut) optimum against the block (single-tensor cut) optimum, with the DAG plan charts.

    python benchmarks/dag_compare.py                      # NASNetMobile, InceptionV3, DenseNet121
    python benchmarks/dag_compare.py --models densenet121 --measure   # per-layer timing (slow)
    python benchmarks/dag_compare.py --no-charts          # the tables only

For each shipped block instance the layer-level DAG instance is built by ``graph-instance``
(per-layer shares by parameter + output bytes, or by per-layer times measured here with
``--measure``), then each objective is solved on both: the block instance by ``auto`` (the chain
solvers), the layer instance by ``dag-mincut`` (and ``dag-cpsat`` with the shipped memory
capacities). Writes ``benchmarks/results/dag/compare.json``, ``compare.md``, ``readme.md`` (the
README's table) and, per model, the DAG plan chart of :data:`CHARTED` scenarios as
``docs/dag-MODEL-SCENARIO.png`` (layers per tier, tensors per hop). Every figure is computed from
the shipped ``instances/*.json`` as they are when it runs. Times are wall seconds on whatever
machine runs it; under load they are upper bounds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from scission_opt import load_instance, solve  # noqa: E402

MODELS = ("nasnet_mobile", "inception_v3", "densenet121")
OBJECTIVES = ("latency", "energy", "bytes")
#: Scenarios on top of a shipped instance: (label, objective, tiers that must be used).
SCENARIOS = (
    ("latency", "latency", ()),
    ("energy", "energy", ()),
    ("latency, edge required", "latency", ("edge",)),
    ("latency, cloud required", "latency", ("cloud",)),
    # the device may compute at most 30% of its all-device latency: a cut is forced early (dag-mincut
    # hands this coupling constraint to dag-cpsat)
    ("latency, device compute <= 30%", "latency", ()),
    # the first 40% of the model's layers must stay on trusted systems (the device): the block
    # instance must round the private region up to a split point, the layer instance need not
    ("latency, first 40% of layers private", "latency", ()),
    ("energy, first 40% of layers private", "energy", ()),
)
PRIVATE_SHARE = 0.4
#: The shipped scenarios: instances/MODEL.json and instances/private/MODEL.json.
VARIANTS = ("", "private")
DEVICE_SHARE = 0.3
OUT = ROOT / "benchmarks" / "results" / "dag"
DOCS = ROOT / "docs"
#: Scenarios charted for each model: (variant, label) -> file stem (docs/dag-MODEL-STEM.png).
CHARTED = {
    ("", "latency"): "latency",
    ("private", "latency"): "shipped-private-latency",
    ("", "latency, first 40% of layers private"): "private40",
}


_MODELS: dict[str, object] = {}


def layer_instance(model_name: str, measure: bool, variant: str = ""):  # type: ignore[no-untyped-def]
    """The shipped block instance (``instances/[variant/]MODEL.json``) and its layer-level DAG."""
    from scission_opt.dag.keras_graph import layer_dag
    from scission_opt.profiler.graph import graph_instance, measure_layer_seconds
    from scission_opt.profiler.models import build_model

    blocks = load_instance(ROOT / "instances" / variant / f"{model_name}.json")
    if model_name not in _MODELS:
        _MODELS[model_name] = build_model(blocks.model)
    model = _MODELS[model_name]
    seconds = measure_layer_seconds(layer_dag(model), 3) if measure else None
    return blocks, graph_instance(blocks, model, seconds)


def _require(instance, tiers):  # type: ignore[no-untyped-def]
    import dataclasses

    required = frozenset(instance.tiers.index(t) for t in tiers)
    return instance.replace(constraints=dataclasses.replace(instance.constraints, tiers_required=required))


def _private_layers(instance, blocks=None):  # type: ignore[no-untyped-def]
    """The first PRIVATE_SHARE of the model's layers on trusted systems (blocks: every block holding one)."""
    import dataclasses

    private_layers = int(PRIVATE_SHARE * (instance.nodes[-1].layers[1] + 1))
    if blocks is None:
        k = next(i + 1 for i, nd in enumerate(instance.nodes) if nd.layers[1] + 1 >= private_layers)
    else:
        k = private_layers
    k = max(k, instance.constraints.privacy_nodes)
    return instance.replace(constraints=dataclasses.replace(instance.constraints, privacy_nodes=k))


def _device_limit(instance, limit: float):  # type: ignore[no-untyped-def]
    import dataclasses

    per_tier = (limit,) + (None,) * (instance.n_tiers - 1)
    return instance.replace(constraints=dataclasses.replace(instance.constraints, compute_time_limit_s=per_tier))


def _row(name: str, scenario: tuple, blocks, layers, variant: str = "", chart: bool = False) -> dict:  # type: ignore[no-untyped-def]

    label, objective, required = scenario
    blocks, layers = _require(blocks, required), _require(layers, required)
    if "private" in label:
        blocks, layers = _private_layers(blocks), _private_layers(layers, blocks)
    if "device compute" in label:
        limit = DEVICE_SHARE * solve(blocks, "auto", "latency").objective
        blocks, layers = _device_limit(blocks, limit), _device_limit(layers, limit)

    chain = solve(blocks, "auto", objective)
    start = time.perf_counter()
    dag = solve(layers, "dag-mincut", objective, time_limit=300)
    wall = time.perf_counter() - start
    row = {
        "model": name,
        "objective": label,
        "instance": f"{variant}/{name}" if variant else name,
        "blocks": blocks.n_nodes,
        "layers": layers.n_nodes,
        "block_optimum": chain.objective,
        "block_solver": chain.solver,
        "dag_optimum": dag.objective,
        "dag_status": dag.status.value,
        "dag_message": dag.message,
        "dag_mincut_s": wall,
        "gain_pct": 100.0 * (1 - dag.objective / chain.objective) if chain.objective else 0.0,
        "dag_plan": dag.plan.describe(layers) if dag.plan else "",
        "block_plan": chain.plan.describe(blocks) if chain.plan else "",
        "tensors_per_hop": [len(h.tensors) for h in dag.metrics.hops] if dag.metrics else [],
        "layers_per_tier": (
            {layers.tiers[t]: len(dag.plan.nodes_on(t)) for t in range(layers.n_tiers) if dag.plan.nodes_on(t)}
            if dag.plan
            else {}
        ),
    }
    row["dag_solver"] = dag.message or "dag-mincut"
    stem = CHARTED.get((variant, label))
    if chart and stem and dag.plan is not None:
        from benchmarks.dag_chart import plot_dag_plan

        path = DOCS / f"dag-{name}-{stem}.png"
        versus = (
            f"{row['gain_pct']:.1f}% better than the single-tensor-cut optimum {chain.objective:.4g}"
            if row["gain_pct"] > 1e-6
            else "equal to the single-tensor-cut optimum"
        )
        title = f"{variant + '/' if variant else ''}{name}, {label}: DAG optimum {dag.objective:.4g} ({versus})"
        plot_dag_plan(layers, dag.plan, path, title)
        row["chart"] = str(path.relative_to(ROOT))
    return row


def markdown(rows: list[dict]) -> str:
    lines = [
        "| instance | objective | blocks / layers | block optimum | DAG optimum | gain | DAG tensors per hop "
        "| dag-mincut s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['instance']} | {r['objective']} | {r['blocks']} / {r['layers']} | {r['block_optimum']:.6g} "
            f"| {r['dag_optimum']:.6g} "
            f"| {r['gain_pct']:.2f}% | {r['tensors_per_hop']} | {r['dag_mincut_s']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def _in_readme(row: dict) -> bool:
    """The shipped scenarios (plain and private instances, latency and energy) and the 40%-private rows."""
    if "first 40%" in row["objective"]:
        return row["instance"] == row["model"]  # the same constraint on the private instance: the same rows
    return row["objective"] in ("latency", "energy")


def readme_table(rows: list[dict]) -> str:
    """The README's table: per model, the shipped scenarios and the rows where a multi-tensor cut pays."""
    lines = [
        "| instance (blocks / layers) | scenario | single-tensor-cut optimum | DAG optimum | gain "
        "| layers per tier (DAG) | tensors per hop | chart |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in filter(_in_readme, rows):
        chart = f"[chart]({r['chart']})" if r.get("chart") else ""
        tiers = ", ".join(f"{tier} {count}" for tier, count in r["layers_per_tier"].items())
        hops = ", ".join(map(str, r["tensors_per_hop"])) or "-"
        lines.append(
            f"| {r['instance']} ({r['blocks']} / {r['layers']}) | {r['objective']} | {r['block_optimum']:.6g} "
            f"| {r['dag_optimum']:.6g} | {max(r['gain_pct'], 0.0):.2f}% | {tiers} | {hops} | {chart} |"
        )
    same = sum(1 for r in rows if abs(r["gain_pct"]) <= 1e-6)
    lines.append("")
    lines.append(
        f"{same} of {len(rows)} rows of `benchmarks/results/dag/compare.md` have equal optima "
        "(gain within 1e-6%); the DAG optimum is never worse (the script exits 1 if it is)."
    )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=list(MODELS))
    parser.add_argument("--measure", action="store_true", help="per-layer shares from times measured here")
    parser.add_argument("--no-charts", dest="charts", action="store_false", help="no plan charts in docs/")
    parser.add_argument("--tag", default="", help="suffix of the output files (compare-TAG.md)")
    parser.add_argument("--scenario", action="append", default=None, help="only scenarios whose label contains this")
    args = parser.parse_args(argv)
    rows = []
    for name in args.models:
        for variant in VARIANTS:
            blocks, layers = layer_instance(name, args.measure, variant)
            for scenario in SCENARIOS:
                if args.scenario and not any(key in scenario[0] for key in args.scenario):
                    continue
                rows.append(_row(name, scenario, blocks, layers, variant, chart=args.charts))
            print(json.dumps(rows[-1]), flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    stem = f"compare-{args.tag}" if args.tag else "compare"
    (OUT / f"{stem}.json").write_text(json.dumps({"rows": rows, "measure": args.measure}, indent=1))
    (OUT / f"{stem}.md").write_text(markdown(rows))
    if not args.tag:
        (OUT / "readme.md").write_text(readme_table(rows))
    print(markdown(rows))
    bad = [r for r in rows if r["dag_optimum"] > r["block_optimum"] * (1 + 1e-9) + 1e-12]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
