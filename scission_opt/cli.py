"""Command line: ``python -m scission_opt COMMAND ...``.

Exit codes (:mod:`scission_opt.exitcodes`): 0 solved (or done), 1 infeasible /
no plan found, 2 bad input, 3 an unexpected failure or out of memory. Errors are
one line on stderr, never a traceback (``--debug`` prints it for an unexpected one). Every command lives in a
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
import traceback
from collections.abc import Sequence

from .argtypes import count, positive, weights_for
from .errors import ScissionError, UnknownNameError, one_line
from .exitcodes import (
    EXIT_BAD_INPUT,
    EXIT_BROKEN_PIPE,
    EXIT_INFEASIBLE,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
)

__all__ = ["EXIT_BAD_INPUT", "EXIT_INFEASIBLE", "EXIT_INTERNAL", "EXIT_OK", "build_parser", "main"]

#: Argument names that hold a command's main input, in the order they are looked for (for error lines).
_INPUT_ARGS = ("instance", "benchmark_dir", "profile", "path", "model", "output")

#: Modules that add subcommands via ``register(subparsers)``.
COMMAND_MODULES: tuple[str, ...] = ()
COMMAND_MODULES += ("scission_opt.profiler.commands",)  # profile, build-instance, estimate
COMMAND_MODULES += ("scission_opt.scission.cli", "scission_opt.plots_cli")  # scission, import-scission, plot-profile
COMMAND_MODULES += ("scission_opt.whatif.commands",)  # sensitivity, pareto
COMMAND_MODULES += ("scission_opt.dag.commands",)  # graph-instance


def add_solver_options(p: argparse.ArgumentParser) -> None:
    """Options shared by commands that solve: solver, objective, weights, top-k, time limit."""
    from .solvers import solver_names

    p.add_argument("--solver", default="auto", choices=solver_names(), help="solver (default: auto)")
    p.add_argument(
        "--objective",
        default=None,
        help="latency (default), energy, bytes, throughput, price, weighted, an entry-point name, "
        "or package.module:name (command line only: an instance file may name only registered objectives)",
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
    from .whatif.commands import explain_result, solve_hook

    instance, answered = solve_hook(args, instance)  # network overrides; --scenarios is answered there
    if answered is not None:
        return answered
    result = solve(
        instance,
        args.solver,
        args.objective,
        top_k=args.top,
        time_limit=args.time_limit,
        weights=weights_for(args, instance),
    )
    if not args.json:
        print(format_result(instance, result))
    explanation = explain_result(args, instance, result)
    if args.json:
        out = result.to_dict(instance)
        if explanation is not None:
            out["explain"] = explanation
        print(json.dumps(out, indent=1))
    if getattr(args, "export_models", None) and result.plan is not None:
        from .dag.commands import export_plan_models

        print(f"wrote {export_plan_models(instance, result.plan, args.export_models)}", file=sys.stderr)
    if args.plot and result.plan is not None:
        from .plots import plot_plan

        plot_plan(instance, result.plan, args.plot, metrics=result.metrics)
        print(f"wrote {args.plot}: chart of the best plan", file=sys.stderr)  # stderr: --json output stays clean
    elif args.plot:
        print(f"no plan, so no chart: {args.plot} not written", file=sys.stderr)
    return EXIT_OK if result.status.has_plan else EXIT_INFEASIBLE


def cmd_compare(args: argparse.Namespace) -> int:
    from .compare import compare, format_comparison
    from .instance import load_instance

    instance = load_instance(args.instance)
    rows = compare(
        instance,
        args.objective,
        weights=weights_for(args, instance),
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
    result = solve(instance, explain=False)
    if not result.status.has_plan:  # a generated instance must be solvable; write nothing otherwise
        print(f"error: {instance.name}: generated instance has no plan ({result.status.value})", file=sys.stderr)
        return EXIT_INFEASIBLE
    instance.save(args.output)
    print(f"wrote {args.output}: {instance.name}, optimum latency {result.objective:.6g} s ({result.status.value})")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scission_opt",
        description="Split a DNN's inference across device, edge and cloud: exact solvers over measured costs.",
        epilog="Exit codes: 0 done, 1 infeasible or no plan in time, 2 bad input (one line naming the file and "
        "field), 3 unexpected failure or out of memory. --debug anywhere prints the traceback of an unexpected one.",
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="print the traceback of an unexpected error")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("solve", help="find the best plan(s) for an instance")
    p.add_argument("instance", help="instance JSON file")
    add_solver_options(p)
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument(
        "--plot", metavar="FILE", help="also write a chart of the best plan (.png or .svg); says where on stderr"
    )
    from .whatif.commands import add_solve_options

    add_solve_options(p)  # --network, --bandwidth, --link-latency, --input-bytes, --scenarios, --robust, --explain
    p.add_argument("--export-models", metavar="DIR", help="layer-level DAG instances: write each tier's Keras part")
    p.set_defaults(func=cmd_solve)

    p = sub.add_parser(
        "compare",
        help="run every available solver and the exhaustive one; show agreement and time",
        description="Solve one instance with every available solver and with exhaustive search, and show each one's "
        "status, objective, wall time (seconds) and whether its top-k objectives agree with the exhaustive "
        "reference. Exit 0 when every solver agrees, 1 when one disagrees, 2 on bad input.",
        epilog="examples:\n"
        "  python -m scission_opt compare instances/vgg16.json\n"
        "  python -m scission_opt compare tests/data/tiny.json --objective energy --top 3 --time-limit 10 --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("instance", help="instance JSON file")
    p.add_argument(
        "--objective",
        default=None,
        help="latency (seconds, the default unless the instance names one), energy (joules on the first tier), "
        "bytes, throughput (the bottleneck period, seconds), price, weighted, an entry-point name, or "
        "package.module:name",
    )
    p.add_argument(
        "--weight", action="append", metavar="NAME=W", help="weight of one term for --objective weighted (repeatable)"
    )
    p.add_argument("--top", type=count, default=1, metavar="K", help="compare the K best distinct plans (default 1)")
    p.add_argument(
        "--time-limit", type=positive, default=60.0, metavar="S", help="wall-clock seconds per solver (default 60)"
    )
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser(
        "validate",
        help="check an instance file",
        description="Read an instance file and check every field and cross-field rule of the instance format "
        "(formulations/cost-model.md); print a one-line summary of what it holds. Bad input is one line naming "
        "the file and the field, with exit code 2.",
        epilog="example:\n  python -m scission_opt validate instances/vgg16.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("instance", help="instance JSON file")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(
        "generate",
        help="write a seeded synthetic instance (realistic shapes, marked synthetic)",
        description="Write a synthetic chain instance: per-block latencies in seconds (the first tier slowest), "
        "output tensors in bytes falling along the chain, links with latency in ms and bandwidth in Mbps. The same "
        "options and seed give the same file; its provenance says it is synthetic. Prints the optimum latency.",
        epilog="examples:\n"
        "  python -m scission_opt generate -o synthetic.json\n"
        "  python -m scission_opt generate -o big.json --nodes 1000 --tiers 6 --systems 8 --seed 3 --constrained",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="instance JSON file to write")
    p.add_argument("--nodes", type=count, default=25, metavar="N", help="blocks in the chain (default 25)")
    p.add_argument("--tiers", type=count, default=3, metavar="T", help="tiers, device first (default 3)")
    p.add_argument("--systems", type=count, default=1, metavar="S", help="candidate systems per tier (default 1)")
    p.add_argument("--seed", type=int, default=0, metavar="X", help="random seed (default 0)")
    p.add_argument("--return-output", action="store_true", help="the final output travels back to the first tier")
    p.add_argument(
        "--constrained",
        action="store_true",
        help="add privacy, memory (bytes), first-tier energy (joules) and upload (bytes) limits that bind",
    )
    p.set_defaults(func=cmd_generate)

    for module in COMMAND_MODULES:
        importlib.import_module(module).register(sub)
    return parser


def _input_of(args: argparse.Namespace) -> str:
    for name in _INPUT_ARGS:
        value = getattr(args, name, None)
        if isinstance(value, str):
            return value
    return ""


def _error_line(args: argparse.Namespace, exc: ScissionError) -> str:
    """``error: ...`` in one line; a bad ``--objective`` (the only way to name a module) says so."""
    text = str(exc)
    if isinstance(exc, UnknownNameError) and "objective" in text and getattr(args, "objective", None):
        text = f"--objective: {text}"
    return one_line(f"error: {text}")


def _unexpected(args: argparse.Namespace, exc: BaseException, debug: bool) -> int:
    """One line for a failure that is not the input's fault (exit 3); ``--debug`` adds the traceback."""
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    command = getattr(args, "command", "?")
    where = " ".join(x for x in (command, _input_of(args)) if x)
    if isinstance(exc, MemoryError):
        line = f"error: out of memory: {where}: the problem is too large for this machine"
    else:
        hint = "" if debug else " (run with --debug for the traceback)"
        line = f"error: internal error in {where}: {type(exc).__name__}: {exc}{hint}"
    print(one_line(line), file=sys.stderr)
    return EXIT_INTERNAL


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    ``--debug`` (anywhere on the line) prints the traceback of an unexpected error.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except ScissionError as exc:
        print(_error_line(args, exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader went away (``solve ... | head``): stop quietly, as other Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except Exception as exc:  # the net: whatever escaped is one line naming the command and input, exit 3
        return _unexpected(args, exc, debug)
