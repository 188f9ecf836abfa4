"""Profile the runs behind the goals with pyinstrument: what dominates a solve.

Usage (from a clone of the repository, with the ``bench`` extra installed:
``pip install -e ".[bench]"``)::

    python benchmarks/profile.py                 # every target below -> benchmarks/results/profiles/*.txt
    python benchmarks/profile.py dp-densenet201-top5

Each target solves one case many times in a loop (enough for a few thousand
samples at a 0.1 ms interval) and writes pyinstrument's text report. The
figures are shares of wall time inside ``solver.solve``; the absolute times
are inflated by the profiler.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

if __package__ in (
    None,
    "",
):  # run as a script: make ``benchmarks`` importable as a package
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "benchmarks"
    import benchmarks  # noqa: F401

from .families import Case

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / "results" / "profiles"


def _shipped(name: str, constraints: str, top_k: int) -> Case:
    return Case(
        "shipped",
        name,
        constraints,
        top_k,
        path=str(REPO / "instances" / f"{name}.json"),
    )


def _synthetic(n: int, t: int, s: int, constraints: str) -> Case:
    return Case(
        "synthetic",
        f"n{n}-t{t}-s{s}",
        constraints,
        1,
        nodes=n,
        tiers=t,
        systems_per_tier=s,
    )


#: name -> (case, solver): the fastest exact solver and the baseline on the shipped goal,
#: the solvers of the 1000 x 6 x 8 goal.
TARGETS = {
    "exhaustive-densenet201-top5": (_shipped("densenet201", "none", 5), "exhaustive"),
    "dp-densenet201-top5": (_shipped("densenet201", "none", 5), "dp"),
    "cpsat-densenet201-top5": (_shipped("densenet201", "none", 5), "cpsat"),
    "baseline-densenet201-top5": (
        _shipped("densenet201", "none", 5),
        "scission_baseline",
    ),
    "dp-n1000-t6-s8-binding": (_synthetic(1000, 6, 8, "binding"), "dp"),
    "dp-n1000-t6-s8-none": (_synthetic(1000, 6, 8, "none"), "dp"),
    "cbc-n1000-t6-s8-binding": (_synthetic(1000, 6, 8, "binding"), "cbc"),
    "cpsat-n1000-t6-s8-binding": (_synthetic(1000, 6, 8, "binding"), "cpsat"),
}


def profile(name: str, out: Path, seconds: float = 3.0) -> Path:
    from pyinstrument import Profiler  # the 'bench' extra: pip install -e ".[bench]"

    from scission_opt.objectives import get_objective

    from .families import build
    from .measure import _get_solver

    case, solver_name = TARGETS[name]
    instance = build(case)
    solver = _get_solver(solver_name)
    objective = get_objective("latency")
    solver.solve(instance, objective, top_k=case.top_k)  # imports and caches out of the way
    profiler = Profiler(interval=0.0001)
    calls = 0
    started = time.perf_counter()
    profiler.start()
    while time.perf_counter() - started < seconds or calls < 3:
        solver.solve(instance, objective, top_k=case.top_k, time_limit=60.0)
        calls += 1
    profiler.stop()
    path = out / f"{name}.txt"
    from scission_opt.io import write_text_atomic

    header = (
        f"# {name}: {case.family} {case.name} constraints={case.constraints} top_k={case.top_k} "
        f"solver={solver_name}, {calls} calls\n"
    )
    write_text_atomic(path, header + profiler.output_text(unicode=False, color=False, show_all=False))
    return path


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python benchmarks/profile.py", description=__doc__.split("\n")[0])
    p.add_argument(
        "targets",
        nargs="*",
        metavar="TARGET",
        help=f"default: all of {', '.join(TARGETS)}",
    )
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument(
        "--seconds",
        type=float,
        default=3.0,
        help="profile each target for about this long",
    )
    args = p.parse_args(argv)
    unknown = [t for t in args.targets if t not in TARGETS]
    if unknown:
        p.error(f"unknown target(s) {', '.join(unknown)}; known: {', '.join(TARGETS)}")
    try:
        import pyinstrument  # noqa: F401
    except ImportError:
        print('error: benchmarks/profile.py needs pyinstrument: pip install -e ".[bench]"', file=sys.stderr)
        return 2
    for name in args.targets or TARGETS:
        print(profile(name, args.out, args.seconds), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
