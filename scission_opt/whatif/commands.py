"""Command-line layer of the what-if tools: ``sensitivity`` and ``pareto`` commands, and the ``solve`` options
``--network``, ``--bandwidth``, ``--link-latency``, ``--input-bytes``, ``--scenarios``, ``--robust``, ``--explain``.

Registered through :data:`scission_opt.cli.COMMAND_MODULES`; heavy imports happen inside the commands.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..argtypes import positive
from ..errors import InvalidInstanceError

if TYPE_CHECKING:
    from ..instance import Instance
    from ..result import SolveResult

EXIT_OK, EXIT_INFEASIBLE = 0, 1


def _range(text: str) -> tuple[float, float]:
    lo, sep, hi = text.partition(":")
    try:
        a, b = float(lo), float(hi)
    except ValueError:
        sep = ""
    if not sep or not (math.isfinite(a) and math.isfinite(b)) or a > b or a < 0:
        raise argparse.ArgumentTypeError(f"expected LO:HI with 0 <= LO <= HI, got {text!r}")
    return a, b


def add_network_options(p: argparse.ArgumentParser) -> None:
    """``--network``, ``--bandwidth``, ``--link-latency``, ``--input-bytes`` (applied in that order)."""
    p.add_argument("--network", metavar="FILE", help="replace the links by a network file (CSV or JSON)")
    p.add_argument(
        "--bandwidth",
        action="append",
        default=[],
        metavar="SRC:DST=MBPS",
        help="set a link's bandwidth; SRC and DST are tier or system names (repeatable)",
    )
    p.add_argument(
        "--link-latency",
        action="append",
        default=[],
        metavar="SRC:DST=MS",
        help="set a link's fixed latency in ms (repeatable)",
    )
    p.add_argument("--input-bytes", type=float, default=None, metavar="BYTES", help="size of the raw input")


def add_solve_options(p: argparse.ArgumentParser) -> None:
    """The what-if options of ``solve``."""
    add_network_options(p)
    p.add_argument(
        "--scenarios",
        metavar="FILE",
        help="network scenarios: a list of network files (one per line) or JSON with named scenarios and weights",
    )
    p.add_argument(
        "--robust",
        choices=("worst", "regret", "expected"),
        default=None,
        help="with --scenarios: minimise the worst case (default), the maximum regret or the weighted mean",
    )
    p.add_argument(
        "--explain",
        action="store_true",
        help="slack of every constraint, the best plan of each other shape, the latency's compute/transfer shares",
    )


def apply_network_options(args: argparse.Namespace, instance: Instance) -> Instance:
    from .overrides import apply_overrides

    return apply_overrides(
        instance,
        network=getattr(args, "network", None),
        bandwidth=getattr(args, "bandwidth", None) or (),
        link_latency=getattr(args, "link_latency", None) or (),
        input_bytes=getattr(args, "input_bytes", None),
    )


def solve_hook(args: argparse.Namespace, instance: Instance) -> tuple[Instance, int | None]:
    """Called by ``solve`` after loading: applies the overrides; answers ``--scenarios`` itself.

    Returns the (changed) instance and, when this hook answered, the exit code.
    """
    instance = apply_network_options(args, instance)
    if args.robust and not args.scenarios:
        raise InvalidInstanceError("needs --scenarios FILE", "--robust")
    if not args.scenarios:
        return instance, None
    from ..argtypes import weights_for
    from .robust import format_robust, load_scenarios, robust_plan

    if args.network:
        raise InvalidInstanceError("cannot be combined with --scenarios (each scenario names its network)", "--network")
    import dataclasses

    from .overrides import apply_overrides

    # single-link overrides apply within every scenario's network
    scenarios = [
        dataclasses.replace(
            s, instance=apply_overrides(s.instance, bandwidth=args.bandwidth, link_latency=args.link_latency)
        )
        for s in load_scenarios(args.scenarios, instance)
    ]
    result = robust_plan(
        instance,
        scenarios,
        args.robust or "worst",
        objective=args.objective,
        weights=weights_for(args, instance),
        solver=args.solver,
        time_limit=args.time_limit,
    )
    _print(args, instance, result, format_robust)
    return instance, EXIT_OK if result.plan is not None else EXIT_INFEASIBLE


def _print(args: argparse.Namespace, instance: Instance, answer: Any, text: Callable[[Instance, Any], str]) -> None:
    """An answer as JSON (``--json``: its ``to_dict``) or as the text ``text`` makes of it."""
    print(json.dumps(answer.to_dict(instance), indent=1) if args.json else text(instance, answer))


def explain_result(args: argparse.Namespace, instance: Instance, result: SolveResult) -> dict[str, Any] | None:
    """``--explain``: prints the explanation (text mode) and returns it as a dict (for ``--json``)."""
    if not getattr(args, "explain", False) or result.plan is None:
        return None
    from ..argtypes import weights_for
    from .explain import explain, format_explanation

    explanation = explain(
        instance, result, objective=args.objective, weights=weights_for(args, instance), solver=args.solver
    )
    if not args.json:
        print()
        print(format_explanation(instance, explanation))
    return explanation.to_dict(instance)


def cmd_sensitivity(args: argparse.Namespace) -> int:
    from ..argtypes import weights_for
    from ..instance import load_instance
    from .sensitivity import format_sensitivity, sensitivity

    if args.plot:
        from ..plots import image_format

        image_format(args.plot)
    instance = apply_network_options(args, load_instance(args.instance))
    result = sensitivity(
        instance,
        args.link,
        bandwidth=args.bandwidth_range,
        latency=args.latency_range,
        objective=args.objective,
        weights=weights_for(args, instance),
        solver=args.solver,
        time_limit=args.time_limit,
    )
    _print(args, instance, result, format_sensitivity)
    if args.plot:
        from .charts import plot_sensitivity

        plot_sensitivity(instance, result, args.plot)
    return EXIT_OK if any(iv.plan is not None for iv in result.intervals) else EXIT_INFEASIBLE


def cmd_pareto(args: argparse.Namespace) -> int:
    from ..instance import load_instance
    from .pareto import format_front, pareto_front

    if args.plot:
        from ..plots import image_format

        image_format(args.plot)
    instance = apply_network_options(args, load_instance(args.instance))
    names = [x.strip() for x in args.objectives.split(",") if x.strip()]
    front = pareto_front(instance, names, solver=args.solver, time_limit=args.time_limit, method=args.method)
    _print(args, instance, front, format_front)
    if args.plot:
        from .charts import plot_front

        plot_front(instance, front, args.plot)
    return EXIT_OK if front.points else EXIT_INFEASIBLE


def register(sub: Any) -> None:
    from ..solvers import solver_names

    p = sub.add_parser("sensitivity", help="exact bandwidth (or link latency) breakpoints of the optimal plan")
    p.add_argument("instance")
    p.add_argument(
        "--link",
        action="append",
        required=True,
        metavar="SRC:DST",
        help="link to sweep, tier or system names (repeatable: all scaled by one factor)",
    )
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--bandwidth", dest="bandwidth_range", type=_range, metavar="LO:HI", help="Mbps range")
    group.add_argument("--latency", dest="latency_range", type=_range, metavar="LO:HI", help="link latency range, ms")
    p.add_argument("--solver", default="auto", choices=solver_names())
    p.add_argument("--objective", default=None)
    p.add_argument("--weight", action="append", metavar="NAME=W")
    p.add_argument("--time-limit", type=positive, default=None, metavar="S", help="per exact solve")
    p.add_argument("--network", metavar="FILE", help="start from this network file's links")
    p.add_argument("--input-bytes", type=float, default=None, metavar="BYTES")
    p.add_argument("--json", action="store_true")
    p.add_argument("--plot", metavar="FILE", help="objective against the parameter, regions shaded (.png or .svg)")
    p.set_defaults(func=cmd_sensitivity)

    p = sub.add_parser("pareto", help="every Pareto-optimal plan for two additive objectives")
    p.add_argument("instance")
    p.add_argument("--objectives", default="latency,energy", metavar="A,B", help="two objective names")
    p.add_argument("--solver", default="auto", choices=solver_names())
    p.add_argument(
        "--method",
        default="auto",
        choices=("auto", "labels", "epsilon", "two-phase"),
        help="labels (label setting), epsilon (energy budget; energy in the pair), two-phase (weighted sums + "
        "ranking); auto: epsilon with energy, else labels",
    )
    p.add_argument("--time-limit", type=positive, default=None, metavar="S", help="per exact solve")
    add_network_options(p)
    p.add_argument("--json", action="store_true")
    p.add_argument("--plot", metavar="FILE", help="the front, plans labelled, Scission's choice marked")
    p.set_defaults(func=cmd_pareto)
