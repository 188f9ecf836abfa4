"""The ``plot-profile`` command: a picture of an instance's measured profile."""

from __future__ import annotations

import argparse


def cmd_plot_profile(args: argparse.Namespace) -> int:
    from .exitcodes import EXIT_OK
    from .instance import load_instance
    from .plots import plot_profile

    instance = load_instance(args.instance)
    plot_profile(instance, args.output)
    print(f"wrote {args.output}: {instance.model}, {instance.n_nodes} blocks on {instance.n_systems} systems")
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``plot-profile`` to the command line."""
    p = subparsers.add_parser(
        "plot-profile", help="chart per-block latency on every system and output size per block (.png or .svg)"
    )
    p.add_argument("instance", help="instance JSON file")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="image to write, .png or .svg")
    p.set_defaults(func=cmd_plot_profile)
