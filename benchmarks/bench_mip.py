"""Wall time (build + solve) of the MIP solvers on synthetic chains, free and with binding constraints.

    python benchmarks/bench_mip.py                       # every size, both solvers
    python benchmarks/bench_mip.py --sizes 1000,6,8 --solvers cpsat --seeds 0,1

Binding constraints come from ``scission_opt.generate.with_binding_constraints``
(privacy, first-tier memory, first-tier upload and energy limits that the
unconstrained optimum breaks). ``--idle`` gives first-tier systems an idle
power, which makes first-tier energy depend on the end-to-end latency.
"""

from __future__ import annotations

import argparse
import time

from scission_opt.generate import generate, with_binding_constraints
from scission_opt.objectives import get_objective
from scission_opt.solvers import get_solver


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", default=["100,3,4", "1000,3,4", "1000,6,8"])
    parser.add_argument("--solvers", default="cbc,cpsat")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--objective", default="latency")
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--idle", action="store_true", help="first-tier systems draw idle power")
    args = parser.parse_args(argv)
    objective = get_objective(args.objective)
    print(f"{'size':>12} {'constraints':>11} {'seed':>4} {'solver':>6} {'status':>10} {'objective':>12} {'wall_s':>8}")
    for size in args.sizes:
        n, tiers, per_tier = map(int, size.split(","))
        for seed in map(int, args.seeds.split(",")):
            free = generate(n, tiers, per_tier, seed=seed, idle=args.idle)
            for label, inst in (("none", free), ("binding", with_binding_constraints(free, seed=seed))):
                for name in args.solvers.split(","):
                    solver = get_solver(name)
                    t0 = time.perf_counter()
                    result = solver.solve(inst, objective, time_limit=args.time_limit)
                    wall = time.perf_counter() - t0
                    print(
                        f"{size:>12} {label:>11} {seed:>4} {name:>6} {result.status.value:>10} "
                        f"{result.objective:>12.6g} {wall:>8.3f}",
                        flush=True,
                    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
