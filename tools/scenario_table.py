"""Where the latency optimum of each shipped scenario lies: ``python -m tools.scenario_table``.

For every shipped model, every network setting in ``instances/networks`` and
with and without the privacy constraint (``instances/private``), the
latency-optimal plan: which blocks the device, the edge and the cloud run.
Each optimum comes from ``scission_opt.solve`` (``auto``). Where no solver
takes the instance yet (``segment_overhead_s`` before the solvers model it),
it comes from a complete enumeration of the 3-tier plans, ranked with numpy
and judged by ``scission_opt.evaluate`` (the first plan it finds feasible; its
latency must equal the ranking's), and the row says ``enumeration``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from scission_opt import evaluate, load_instance, solve
from scission_opt.errors import ScissionError
from scission_opt.instance import Instance
from scission_opt.network import load_network
from scission_opt.plan import Plan
from scission_opt.profiler.models import model_names

from . import networks


def _hop_s(instance: Instance, a: str, b: str, nbytes: np.ndarray) -> np.ndarray:
    for lk in instance.links:
        if (lk.source, lk.destination) == (a, b):
            return lk.latency_ms / 1e3 + nbytes * 8 / (lk.bandwidth_mbps * 1e6)
    raise KeyError(f"no link {a} -> {b}")


def enumerate_best(instance: Instance) -> tuple[Plan, float]:
    """The latency optimum of a 3-tier, one-system-per-tier chain instance, by complete enumeration."""
    if instance.n_tiers != 3 or instance.n_systems != 3 or not instance.is_chain:
        raise ValueError("enumeration here covers 3 tiers with one system each, on a chain")
    n = instance.n_nodes
    names = [s.name for s in instance.systems]
    cum = [np.concatenate([[0.0], np.cumsum(s.latency_s)]) for s in instance.systems]
    over = [s.segment_overhead_s for s in instance.systems]
    beta = np.array([instance.input_bytes, *[nd.output_bytes for nd in instance.nodes]], dtype=float)
    b1, b2 = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
    ok = b1 <= b2
    used = [b1 > 0, b2 > b1, b2 < n]
    comp = [cum[0][b1], cum[1][b2] - cum[1][b1], cum[2][n] - cum[2][b2]]
    total = sum(np.where(u, c + f, 0.0) for u, c, f in zip(used, comp, over, strict=True))
    # hops: device -> next used tier carries beta[b1]; edge -> cloud carries beta[b2]
    total = total + np.where(used[1], _hop_s(instance, names[0], names[1], beta[b1]), 0.0)
    direct = ~used[1] & used[2]
    total = total + np.where(direct, _hop_s(instance, names[0], names[2], beta[b1]), 0.0)
    total = total + np.where(used[1] & used[2], _hop_s(instance, names[1], names[2], beta[b2]), 0.0)
    total = np.where(ok, total, np.inf)
    for k in np.argsort(total, axis=None):
        i, j = np.unravel_index(k, total.shape)
        if not np.isfinite(total[i, j]):
            break
        systems = (names[0], names[1] if j > i else None, names[2] if j < n else None)
        plan = Plan((0, int(i), int(j), n), systems)
        metrics = evaluate(instance, plan)
        if metrics.feasible:
            if not np.isclose(metrics.latency_s, total[i, j], rtol=1e-9, atol=1e-12):
                raise AssertionError(f"enumeration {total[i, j]} != evaluate {metrics.latency_s}")
            return plan, metrics.latency_s
    raise ValueError("no feasible plan")


def best_plan(instance: Instance) -> tuple[Plan, float, str]:
    """The latency optimum and where it came from (the solver's name, or ``enumeration``)."""
    try:
        result = solve(instance, "auto", "latency")
    except ScissionError:
        plan, latency = enumerate_best(instance)
        return plan, latency, "enumeration"
    if result.plan is None:
        raise ValueError(f"{instance.name}: {result.status}")
    return result.plan, evaluate(instance, result.plan).latency_s, result.solver


def describe(plan: Plan) -> str:
    """``device 0-3, edge 4-21`` style (node ranges, inclusive)."""
    parts = []
    for t, tier in enumerate(("device", "edge", "cloud")):
        r = plan.node_range(t)
        if len(r):
            parts.append(f"{tier} {r.start}-{r.stop - 1}" if len(r) > 1 else f"{tier} {r.start}")
    return ", ".join(parts)


def table(root: Path, models: Sequence[str]) -> str:
    """The Markdown tables, one per network setting."""
    out, hows = [], set()
    for s in networks.SETTINGS:
        links = load_network(root / "networks" / f"{s.name}.csv")
        out += [
            f"**{s.title}** (`instances/networks/{s.name}.csv`{', the default' if s.name == networks.DEFAULT else ''})",
            "",
            "| model | blocks | latency optimum | ms | with privacy (block 0 on the device) | ms |",
            "|---|---:|---|---:|---|---:|",
        ]
        for model in models:
            cells = []
            for path in (root / f"{model}.json", root / "private" / f"{model}.json"):
                inst = load_instance(path)
                inst = inst.replace(links=tuple(lk for lk in links))
                plan, latency, how = best_plan(inst)
                hows.add(how)
                cells += [describe(plan), f"{latency * 1e3:.1f}"]
            out.append(f"| {model} | {inst.n_nodes} | {cells[0]} | {cells[1]} | {cells[2]} | {cells[3]} |")
        out.append("")
    out.append(f"Optima found by: {', '.join(sorted(hows))}.")
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.scenario_table", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--root", default="instances", help="folder of the shipped instances (default: instances)")
    parser.add_argument("--models", nargs="+", default=None, help="only these models (default: all 18)")
    parser.add_argument(
        "--plot", nargs=2, metavar=("MODEL", "PREFIX"), default=None,
        help="instead, chart MODEL's optimum with the default network: PREFIX.png and PREFIX-private.png",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.plot:
        from scission_opt.plots import plot_plan

        model, prefix = args.plot
        root = Path(args.root)
        for path, suffix in ((root / f"{model}.json", ""), (root / "private" / f"{model}.json", "-private")):
            inst = load_instance(path)
            plan, _, how = best_plan(inst)
            out = f"{prefix}{suffix}.png"
            plot_plan(inst, plan, out, metrics=evaluate(inst, plan))
            print(f"{out}: {describe(plan)} ({how})")
        return 0
    sys.stdout.write(table(Path(args.root), list(args.models or model_names())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
