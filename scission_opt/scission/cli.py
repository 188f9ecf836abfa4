"""The ``scission`` and ``import-scission`` commands: Scission's query interface on this project's solvers."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..argtypes import count, positive

if TYPE_CHECKING:
    from ..instance import Instance
    from ..result import SolveResult


def _add_query_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("benchmark_dir", help="folder of Scission benchmark files <tier>-<system>.dat")
    p.add_argument("network_csv", help="Scission network CSV: source,destination,ping(ms),bandwidth(mbps)")
    p.add_argument("model", help="model name as in the benchmark files, e.g. vgg19")
    for flag, tier in (("-d", "device"), ("-e", "edge"), ("-c", "cloud")):
        p.add_argument(
            flag,
            dest=f"{tier}_criteria",
            metavar="CRITERIA",
            help=f"{tier} criteria, comma-separated: N / !N (Keras layer N must / must not run here), "
            "NAME / !NAME (only / never this system), -1 / !-1 (tier unused / used)",
        )
    p.add_argument("--device-upload", metavar="MB", help="limit on the MB the device sends")
    p.add_argument("--edge-upload", metavar="MB", help="limit on the MB the edge sends")
    for tier in ("device", "edge", "cloud"):
        p.add_argument(
            f"--{tier}-time", metavar="S|P%", help=f"limit on {tier} compute time, seconds or percent of all compute"
        )
    p.add_argument(
        "-i",
        "--input-size",
        dest="input_mb",
        type=float,
        default=0.15,
        metavar="MB",
        help="raw input size in MB (default 0.15)",
    )
    p.add_argument(
        "--partial-network",
        action="store_true",
        help="a pair missing from the network CSV means those systems cannot be consecutive (default: error)",
    )


def _instance(args: argparse.Namespace) -> Instance:
    from .convert import scission_instance
    from .criteria import apply_criteria

    instance = scission_instance(
        args.benchmark_dir, args.network_csv, args.model, input_mb=args.input_mb, partial_network=args.partial_network
    )
    return apply_criteria(
        instance,
        {"device": args.device_criteria, "edge": args.edge_criteria, "cloud": args.cloud_criteria},
        upload_mb={"device": args.device_upload, "edge": args.edge_upload},
        time_limit={"device": args.device_time, "edge": args.edge_time, "cloud": args.cloud_time},
    )


def cmd_scission(args: argparse.Namespace) -> int:
    import sys

    from ..exitcodes import EXIT_INFEASIBLE, EXIT_OK
    from ..solve import solve
    from .output import format_results

    if args.plot or args.timeline:
        from ..plots import image_format

        for path in (args.plot, args.timeline):
            if path:
                image_format(path)  # a bad suffix fails before the solve, not after
    instance = _instance(args)
    result = solve(instance, "auto", top_k=args.result_count, time_limit=args.time_limit)
    if not result.plans:
        print(f"no configuration meets the criteria: {result.message or result.status.value}", file=sys.stderr)
        return EXIT_INFEASIBLE
    print(format_results(instance, result))
    note = zero_time_note(instance, result)
    if note:
        print(note, file=sys.stderr)
    if args.plot or args.timeline:
        from ..plots import plot_plan, plot_timeline

        best = result.plans[0]
        if args.plot:
            plot_plan(instance, best.plan, args.plot, metrics=best.metrics)
        if args.timeline:
            plot_timeline(instance, best.plan, args.timeline, metrics=best.metrics)
    return EXIT_OK


def zero_time_note(instance: Instance, result: SolveResult) -> str | None:
    """A note for results where a used edge or cloud tier computes 0 s (where Scission's own figures differ)."""
    ranks = [
        str(rank)
        for rank, ranked in enumerate(result.plans, 1)
        if any(ranked.plan.used(t) and ranked.metrics.compute_s[t] == 0 for t in range(1, instance.n_tiers))
    ]
    if not ranks:
        return None
    return (
        f"note: in result{'s' if len(ranks) > 1 else ''} {', '.join(ranks)} a used edge or cloud tier runs only blocks "
        "measured at 0 s; Scission takes such a tier for unused and drops its transfers, so its own figures for "
        "these plans are too low. The figures above include every transfer."
    )


def cmd_import_scission(args: argparse.Namespace) -> int:
    from ..exitcodes import EXIT_OK

    instance = _instance(args)
    instance.save(args.output)
    groups = instance.constraints.groups(instance.n_tiers)
    print(
        f"wrote {args.output}: {instance.model}, {instance.n_nodes} blocks, {instance.n_systems} systems, "
        f"{len(instance.links)} links, constraints: {', '.join(groups) or 'none'}"
    )
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``scission`` and ``import-scission`` to the command line."""
    p = subparsers.add_parser(
        "scission",
        help="answer a Scission query (same arguments) with this project's solvers; prints Scission's ranked lines",
        description="Answer a query of Scission's prediction script from its benchmark files and network CSV. "
        "Latency and MB come from this project's cost model, which also counts transfers to tiers whose blocks "
        "were measured at 0 s (Scission drops those).",
    )
    _add_query_options(p)
    p.add_argument("--result-count", type=count, default=5, metavar="K", help="how many results (default 5)")
    p.add_argument("--time-limit", type=positive, default=None, metavar="S", help="solver wall-clock limit, seconds")
    p.add_argument("--plot", metavar="FILE", help="write a chart of the best plan (.png or .svg)")
    p.add_argument(
        "--timeline", metavar="FILE", help="write a timeline of one inference with the best plan (.png or .svg)"
    )
    p.set_defaults(func=cmd_scission)

    p = subparsers.add_parser(
        "import-scission",
        help="write a Scission benchmark folder + network CSV + model (and criteria) as an instance file",
    )
    _add_query_options(p)
    p.add_argument("-o", "--output", required=True, metavar="INSTANCE.json")
    p.set_defaults(func=cmd_import_scission)
