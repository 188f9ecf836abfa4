"""Seeded synthetic instances with realistic shapes, for tests and benchmarks.

Shapes follow measured models (see formulations/cost-model.md): tensor sizes
fall from about 12 MB to about 4 KB along the chain with noise, the first tier
is 20-50x slower than the last, links from the first tier are slow, and a few
blocks cost exactly 0 s as real measurements do. Every generated instance says
in its provenance that it is synthetic.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import dataclasses

from .instance import FORMAT, Constraints, Instance, parse_instance


def generate_dict(
    n_nodes: int = 25,
    n_tiers: int = 3,
    systems_per_tier: int = 1,
    seed: int = 0,
    *,
    return_output: bool = False,
    idle: bool = False,
    memory: bool = False,
) -> dict[str, Any]:
    """A synthetic instance as a JSON-ready dict (no constraints).

    ``idle`` gives first-tier systems an ``idle_w``, which makes first-tier
    energy depend on the end-to-end latency; ``memory`` gives every system a
    memory capacity (tight on the first tier).
    """
    if n_nodes < 1 or n_tiers < 1 or systems_per_tier < 1:
        raise ValueError("n_nodes, n_tiers and systems_per_tier must be >= 1")
    rng = np.random.default_rng(seed)
    n = n_nodes
    tiers = ["device", "edge", "cloud"] if n_tiers == 3 else [f"tier{t}" for t in range(n_tiers)]
    falling = np.geomspace(12e6, 4e3, n) * rng.uniform(0.5, 1.5, n)
    output_bytes = np.round(falling).astype(int)
    param_bytes = np.round(rng.uniform(0, 1, n) ** 3 * 40e6 * np.linspace(0.2, 1.5, n)).astype(int)
    base = rng.lognormal(mean=np.log(2e-3), sigma=0.8, size=n)
    base[rng.uniform(size=n) < 0.05] = 0.0  # real profiles contain 0 s blocks
    slowdown = rng.uniform(20, 50)
    speeds = np.geomspace(slowdown, 1.0, n_tiers) if n_tiers > 1 else np.array([1.0])

    systems = []
    for t, tier in enumerate(tiers):
        for k in range(systems_per_tier):
            factor = speeds[t] * rng.uniform(0.6, 1.6)
            noise = rng.uniform(0.8, 1.25, n)
            system: dict[str, Any] = {
                "name": f"{tier}{k}",
                "tier": tier,
                "latency_s": [float(x) for x in np.round(base * factor * noise, 9)],
                "compute_w": float(np.round(rng.uniform(2.0, 8.0) * (1 + 10 * t), 3)),
                "provenance": f"synthetic (scission_opt.generate, seed {seed})",
            }
            if t == 0:
                if idle:
                    system["idle_w"] = float(np.round(rng.uniform(0.5, 2.5), 3))
                if memory:
                    system["memory_bytes"] = float(np.round(rng.uniform(0.4, 1.0) * param_bytes.sum() + output_bytes.max()))
            else:
                if memory:
                    system["memory_bytes"] = float(np.round(rng.uniform(2.0, 8.0) * param_bytes.sum()))
                system["price_per_s"] = float(np.round(rng.uniform(1e-5, 1e-4) * (t + 1), 8))
            systems.append(system)

    links = []
    for a in systems:
        for b in systems:
            ta, tb = tiers.index(a["tier"]), tiers.index(b["tier"])
            if ta == tb:
                continue
            if ta == 0 or tb == 0:
                lat, bw = rng.uniform(20, 120), rng.uniform(1.0, 20.0)
            else:
                lat, bw = rng.uniform(2, 30), rng.uniform(50, 1000)
            link: dict[str, Any] = {
                "source": a["name"],
                "destination": b["name"],
                "latency_ms": float(np.round(lat, 3)),
                "bandwidth_mbps": float(np.round(bw, 3)),
            }
            if ta == 0:
                link["tx_power_w"] = float(np.round(rng.uniform(0.5, 1.5), 3))
            if ta < tb or (return_output and tb == 0):
                links.append(link)

    nodes = [
        {
            "name": f"block{i}",
            "layers": [i, i],
            "inputs": [i - 1] if i else [],
            "output_bytes": int(output_bytes[i]),
            "param_bytes": int(param_bytes[i]),
        }
        for i in range(n)
    ]
    out: dict[str, Any] = {
        "format": FORMAT,
        "name": f"synthetic-n{n}-t{n_tiers}-s{systems_per_tier}-seed{seed}",
        "provenance": f"synthetic, made by scission_opt.generate with seed {seed}; not measured",
        "model": {"name": "synthetic", "input_bytes": 602112, "nodes": nodes},
        "tiers": tiers,
        "systems": systems,
        "links": links,
    }
    if return_output:
        out["options"] = {"return_output": True}
    return out


def generate(
    n_nodes: int = 25,
    n_tiers: int = 3,
    systems_per_tier: int = 1,
    seed: int = 0,
    *,
    return_output: bool = False,
    idle: bool = False,
    memory: bool = False,
) -> Instance:
    """A synthetic :class:`Instance`; see :func:`generate_dict`."""
    data = generate_dict(n_nodes, n_tiers, systems_per_tier, seed, return_output=return_output, idle=idle, memory=memory)
    return parse_instance(data, f"<generate seed={seed}>")


def with_binding_constraints(instance: Instance, seed: int = 0) -> Instance:
    """Add privacy, first-tier memory, first-tier upload and energy constraints that bind.

    Privacy covers the first 5% of nodes (at least one); each first-tier system
    may hold about a third of the parameters; the first tier may upload at most
    the median output size of the first half of the chain; the energy budget is
    the lowest of 90%, 95% or 100% of the energy of the plan that is optimal
    under the other three constraints that keeps the instance feasible. The
    result is checked to be feasible.
    """
    from .solve import solve

    n = instance.n_nodes
    first_tier = instance.tiers[0]
    params = np.cumsum(instance.param_bytes)
    memory = float(params[max(0, n // 3 - 1)] + instance.activation_bytes.max())
    systems = tuple(
        dataclasses.replace(s, memory_bytes=memory) if s.tier == first_tier else s for s in instance.systems
    )
    upload: list[float | None] = [None] * instance.n_tiers
    upload[0] = float(np.median(instance.boundary_bytes[1 : max(2, n // 2 + 1)]))
    base = Constraints(privacy_nodes=max(1, n // 20), upload_limit_bytes=tuple(upload))
    constrained = instance.replace(systems=systems, constraints=base, name=instance.name + "-constrained")
    reference = solve(constrained, objective="latency", explain=False)
    if not reference.status.has_plan:
        return constrained
    energy = reference.metrics.energy_j  # type: ignore[union-attr]
    for factor in (0.9, 0.95, 1.0):
        trial = constrained.replace(constraints=dataclasses.replace(base, energy_budget_j=float(energy * factor)))
        if solve(trial, objective="latency", explain=False).status.has_plan:
            return trial
    return constrained
