"""Speed goals of the what-if tools (issue 9), medians over repeats, in process.

    python benchmarks/whatif.py                 # all three goals, 5 repeats each
    python benchmarks/whatif.py --repeats 3 --only sensitivity

Goals:
- breakpoints of one link (device -> edge) over 0.01..10,000 Mbps on instances/densenet201.json: < 100 ms;
- latency x energy front of ``generate --nodes 1000 --tiers 6 --systems 8 --constrained`` (seed 0): < 5 s;
- robust plan (worst case) over the 5 shipped networks (instances/networks/) of instances/private/vgg16.json: < 1 s.
The first call of each goal is timed too (no warm-up), then the median of the repeats is reported.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scission_opt.generate import generate, with_binding_constraints  # noqa: E402
from scission_opt.instance import load_instance  # noqa: E402
from scission_opt.whatif.pareto import pareto_front  # noqa: E402
from scission_opt.whatif.robust import Scenario, robust_plan  # noqa: E402
from scission_opt.whatif.sensitivity import sensitivity  # noqa: E402


def _time(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def bench_sensitivity(repeats: int) -> dict[str, Any]:
    inst = load_instance(ROOT / "instances" / "densenet201.json")
    med, res = _time(lambda: sensitivity(inst, ["device:edge"], bandwidth=(0.01, 10_000.0)), repeats)
    return {
        "goal": "sensitivity densenet201 device:edge 0.01..10000 Mbps",
        "median_s": med,
        "limit_s": 0.1,
        "intervals": len(res.intervals),
        "solves": res.solves,
    }


def bench_sensitivity_generated(repeats: int) -> dict[str, Any]:
    """Not a goal: a sweep whose envelope has several plans (the shipped densenet201 has one at present)."""
    inst = generate(120, 3, 2, 1)
    med, res = _time(lambda: sensitivity(inst, ["device:edge", "device:cloud"], bandwidth=(0.01, 10_000.0)), repeats)
    return {
        "goal": "sensitivity generated 120x3x2 seed 1, device links together, 0.01..10000 Mbps (no goal)",
        "median_s": med,
        "limit_s": None,
        "intervals": len(res.intervals),
        "solves": res.solves,
    }


def bench_pareto(repeats: int) -> dict[str, Any]:
    inst = with_binding_constraints(generate(1000, 6, 8, 0), seed=0)
    med, res = _time(lambda: pareto_front(inst, ["latency", "energy"]), repeats)
    return {
        "goal": "pareto latency x energy, generated 1000x6x8 constrained seed 0",
        "median_s": med,
        "limit_s": 5.0,
        "points": len(res.points),
        "supported": sum(p.supported for p in res.points),
        "solves": res.solves,
        "plans_ranked": res.plans_ranked,
        "proven": res.proven,
    }


def bench_robust(repeats: int) -> dict[str, Any]:
    """The five shipped networks (instances/networks/*.csv) as scenarios of the private vgg16 (first block on the
    device), equal weights, worst case."""
    from scission_opt.network import load_network
    from scission_opt.whatif.overrides import set_network

    inst = load_instance(ROOT / "instances" / "private" / "vgg16.json")
    files = sorted((ROOT / "instances" / "networks").glob("*.csv"))
    scenarios = [Scenario(f.stem, 1 / len(files), set_network(inst, load_network(f), str(f))) for f in files]
    med, res = _time(lambda: robust_plan(inst, scenarios, "worst"), repeats)
    return {
        "goal": f"robust worst-case latency, private vgg16, {len(files)} shipped networks",
        "median_s": med,
        "limit_s": 1.0,
        "plans_ranked": res.plans_ranked,
    }


BENCHES = {
    "sensitivity": bench_sensitivity,
    "sensitivity-generated": bench_sensitivity_generated,
    "pareto": bench_pareto,
    "robust": bench_robust,
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--only", choices=sorted(BENCHES), action="append")
    args = p.parse_args(argv)
    rows = []
    for name in args.only or list(BENCHES):
        row = BENCHES[name](args.repeats)
        row["met"] = row["limit_s"] is None or row["median_s"] < row["limit_s"]
        rows.append(row)
        print(json.dumps(row), flush=True)
    return 0 if all(r["met"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
