"""Command line: ``python -m scission_opt COMMAND ...``.

Exit codes: 0 solved (or done), 1 infeasible / no plan found, 2 bad input.
Errors are one line on stderr, never a traceback. Every command lives in a
function ``cmd_*``; other modules add commands through a ``register(subparsers)``
function listed in :data:`COMMAND_MODULES` (imported lazily: no heavy imports at
registration).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Sequence

from .argtypes import count, positive
from .errors import ScissionError

EXIT_OK, EXIT_INFEASIBLE, EXIT_BAD_INPUT = 0, 1, 2

#: Modules that add subcommands via ``register(subparsers)``.
COMMAND_MODULES: tuple[str, ...] = ()
COMMAND_MODULES += ("scission_opt.profiler.commands",)  # profile, build-instance, estimate
COMMAND_MODULES += ("scission_opt.scission.cli", "scission_opt.plots_cli")  # scission, import-scission, plot-profile
COMMAND_MODULES += ("scission_opt.bench",)  # bench
COMMAND_MODULES += ("scission_opt.dag.commands",)  # graph-instance


def _weights(pairs: Sequence[str] | None) -> dict[str, float] | None:
    if not pairs:
        return None
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        try:
            out[key] = float(value)
        except ValueError:
            sep = ""
        if not sep or not key:
            raise ScissionError(f"--weight: expected NAME=NUMBER, got {pair!r}")
    return out


def add_solver_options(p: argparse.ArgumentParser) -> None:
    """Options shared by commands that solve: solver, objective, weights, top-k, time limit."""
    from .solvers import solver_names

    p.add_argument("--solver", default="auto", choices=solver_names(), help="solver (default: auto)")
    p.add_argument(
        "--objective",
        default=None,
        help="latency (default), energy, bytes, throughput, price, weighted, an entry-point name, or package.module:name",
    )
    p.add_argument("--weight", action="append", metavar="NAME=W", help="weight for --objective weighted (repeatable)")
    p.add_argument("--top", type=count, default=1, metavar="K", help="return the K best distinct plans")
    p.add_argument("--time-limit", type=positive, default=None, metavar="S", help="wall-clock limit in seconds")


def cmd_solve(args: argparse.Namespace) -> int:
    from .instance import load_instance
    from .report import format_result
    from .solve import solve

    if args.plot:
        from .plots import image_format

        image_format(args.plot)  # a bad suffix fails before the solve, not after
    instance = load_instance(args.instance)
    result = solve(
        instance,
        args.solver,
        args.objective,
        top_k=args.top,
        time_limit=args.time_limit,
        weights=_weights(args.weight),
    )
    if args.json:
        print(json.dumps(result.to_dict(instance), indent=1))
    else:
        print(format_result(instance, result))
    if getattr(args, "export_models", None) and result.plan is not None:
        from .dag.commands import export_plan_models

        print(f"wrote {export_plan_models(instance, result.plan, args.export_models)}")
    if args.plot and result.plan is not None:
        from .plots import plot_plan

        plot_plan(instance, result.plan, args.plot, metrics=result.metrics)
    return EXIT_OK if result.status.has_plan else EXIT_INFEASIBLE


def cmd_compare(args: argparse.Namespace) -> int:
    from .compare import compare, format_comparison
    from .instance import load_instance

    instance = load_instance(args.instance)
    rows = compare(
        instance,
        args.objective,
        weights=_weights(args.weight),
        top_k=args.top,
        time_limit=args.time_limit,
    )
    if args.json:
        print(json.dumps([r.to_dict() for r in rows], indent=1))
    else:
        print(format_comparison(instance, rows))
    return EXIT_OK if all(r.agrees is not False for r in rows) else EXIT_INFEASIBLE


def cmd_validate(args: argparse.Namespace) -> int:
    from .instance import load_instance

    instance = load_instance(args.instance)
    groups = instance.constraints.groups(instance.n_tiers)
    shape = "chain" if instance.is_chain else "DAG (dag-* solvers)"
    print(
        f"{args.instance}: valid {instance.model} instance, {instance.n_nodes} nodes ({shape}), "
        f"tiers {', '.join(instance.tiers)}, {instance.n_systems} systems, {len(instance.links)} links, "
        f"constraints: {', '.join(groups) or 'none'}, objective: {instance.objective.name}"
    )
    return EXIT_OK


def cmd_generate(args: argparse.Namespace) -> int:
    from .generate import generate
    from .solve import solve

    instance = generate(args.nodes, args.tiers, args.systems, args.seed, return_output=args.return_output)
    if args.constrained:
        from .generate import with_binding_constraints

        instance = with_binding_constraints(instance, seed=args.seed)
    instance.save(args.output)
    result = solve(instance, explain=False)
    print(f"wrote {args.output}: {instance.name}, optimum latency {result.objective:.6g} s ({result.status.value})")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scission_opt",
        description="Split a DNN's inference across device, edge and cloud: exact solvers over measured costs.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("solve", help="find the best plan(s) for an instance")
    p.add_argument("instance", help="instance JSON file")
    add_solver_options(p)
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--plot", metavar="FILE", help="also write a chart of the best plan (.png or .svg)")
    p.add_argument("--export-models", metavar="DIR", help="layer-level DAG instances: write each tier's Keras part")
    p.set_defaults(func=cmd_solve)

    p = sub.add_parser("compare", help="run every available solver and the exhaustive one; show agreement and time")
    p.add_argument("instance")
    p.add_argument("--objective", default=None)
    p.add_argument("--weight", action="append", metavar="NAME=W")
    p.add_argument("--top", type=count, default=1, metavar="K")
    p.add_argument("--time-limit", type=positive, default=60.0, metavar="S", help="per solver (default 60)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("validate", help="check an instance file")
    p.add_argument("instance")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("generate", help="write a seeded synthetic instance (realistic shapes, marked synthetic)")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--nodes", type=count, default=25)
    p.add_argument("--tiers", type=count, default=3)
    p.add_argument("--systems", type=count, default=1, help="systems per tier")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--return-output", action="store_true", help="the final output travels back to the first tier")
    p.add_argument(
        "--constrained", action="store_true", help="add privacy, memory, energy and upload constraints that bind"
    )
    p.set_defaults(func=cmd_generate)

    for module in COMMAND_MODULES:
        importlib.import_module(module).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except ScissionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (``solve ... | head``): stop quietly, as other Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
