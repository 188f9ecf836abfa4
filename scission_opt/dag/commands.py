"""The ``graph-instance`` command: a layer-level DAG instance from a block instance and its model."""

from __future__ import annotations

import argparse
from typing import Any


def export_plan_models(instance: Any, plan: Any, directory: str) -> str:
    """``solve --export-models DIR``: build the instance's model and write each tier's part."""
    from ..profiler.models import build_model
    from .export import export_models

    model = build_model(instance.model)
    return str(export_models(instance, plan, model, directory))


def cmd_graph_instance(args: argparse.Namespace) -> int:
    import numpy as np

    from ..instance import load_instance
    from ..profiler.graph import block_check, graph_instance, measure_layer_seconds
    from ..profiler.models import build_model
    from .keras_graph import layer_dag

    blocks = load_instance(args.instance)
    model = build_model(blocks.model)
    seconds = None
    if args.measure:
        dag = layer_dag(model, blocks.source)
        seconds = measure_layer_seconds(dag, args.repeats)
        if args.check:
            rows = block_check(blocks, dag, seconds, args.repeats)
            ratios = np.array([s / b for _, s, b in rows if b > 0])
            print(
                f"per-layer sums / block times over {len(ratios)} blocks: median {np.median(ratios):.3f}, "
                f"min {ratios.min():.3f}, max {ratios.max():.3f}; whole model: "
                f"{sum(s for _, s, _ in rows):.4f} s summed by layer, {sum(b for _, _, b in rows):.4f} s by block"
            )
    layers = graph_instance(blocks, model, seconds)
    layers.save(args.output)
    print(f"wrote {args.output}: {layers.n_nodes} nodes (one per layer) from {blocks.n_nodes} blocks")
    return 0


def register(sub: Any) -> None:
    """Add ``graph-instance`` to the main parser's subparsers."""
    from ..argtypes import count

    p = sub.add_parser("graph-instance", help="layer-level DAG instance (one node per Keras layer) from a block instance")
    p.add_argument("instance", metavar="INSTANCE", help="a block instance of a Keras application (e.g. instances/densenet121.json)")
    p.add_argument("-o", "--output", required=True, metavar="INSTANCE.json")
    p.add_argument("--measure", action="store_true", help="share block latencies by per-layer times measured here")
    p.add_argument("--repeats", type=count, default=5, metavar="N", help="timed calls per layer (default 5)")
    p.add_argument("--check", action="store_true", help="with --measure: compare per-layer sums with block times")
    p.set_defaults(func=cmd_graph_instance)
