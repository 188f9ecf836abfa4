"""Seeded synthetic instances with realistic shapes, for tests and benchmarks.

Shapes follow measured models (see formulations/cost-model.md): tensor sizes
fall from about 12 MB to about 4 KB along the chain with noise, the first tier
is 20-50x slower than the last, links from the first tier are slow, and a few
blocks cost exactly 0 s as real measurements do. Every generated instance says
in its provenance that it is synthetic. Instances are built directly as typed
objects (which check themselves); nothing goes through JSON.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .errors import ScissionError
from .problem import Constraints, Instance, Link, Node, System

#: Raw input size of every synthetic instance, bytes (a 224x224x3 float32 image / 1: 602,112 = 224*224*3*4).
INPUT_BYTES = 602_112


def _systems(
    rng: np.random.Generator, tiers: list[str], per_tier: int, base: np.ndarray, params: np.ndarray, **opts: bool
) -> list[System]:
    n, out = len(base), []
    seed = opts["seed"]
    slowdown = rng.uniform(20, 50)
    speeds = np.geomspace(slowdown, 1.0, len(tiers)) if len(tiers) > 1 else np.array([1.0])
    for t, tier in enumerate(tiers):
        for k in range(per_tier):
            factor = speeds[t] * rng.uniform(0.6, 1.6)
            noise = rng.uniform(0.8, 1.25, n)
            latency = tuple(float(x) for x in np.round(base * factor * noise, 9))
            compute_w = float(np.round(rng.uniform(2.0, 8.0) * (1 + 10 * t), 3))
            idle_w, memory, price = 0.0, None, 0.0
            if t == 0:
                if opts["idle"]:
                    idle_w = float(np.round(rng.uniform(0.5, 2.5), 3))
                if opts["memory"]:
                    memory = float(np.round(rng.uniform(0.4, 1.0) * params.sum() + opts["largest_output"]))
            else:
                if opts["memory"]:
                    memory = float(np.round(rng.uniform(2.0, 8.0) * params.sum()))
                price = float(np.round(rng.uniform(1e-5, 1e-4) * (t + 1), 8))
            out.append(
                System(
                    name=f"{tier}{k}",
                    tier=tier,
                    latency_s=latency,
                    memory_bytes=memory,
                    compute_w=compute_w,
                    idle_w=idle_w,
                    price_per_s=price,
                    trusted=t == 0,
                    provenance=f"synthetic (scission_opt.generate, seed {seed})",
                )
            )
    return out


def _links(rng: np.random.Generator, tiers: list[str], systems: list[System], return_output: bool) -> list[Link]:
    links = []
    for a in systems:
        for b in systems:
            ta, tb = tiers.index(a.tier), tiers.index(b.tier)
            if ta == tb:
                continue
            if ta == 0 or tb == 0:
                lat, bw = rng.uniform(20, 120), rng.uniform(1.0, 20.0)
            else:
                lat, bw = rng.uniform(2, 30), rng.uniform(50, 1000)
            tx = float(np.round(rng.uniform(0.5, 1.5), 3)) if ta == 0 else 0.0
            if ta < tb or (return_output and tb == 0):
                links.append(Link(a.name, b.name, float(np.round(lat, 3)), float(np.round(bw, 3)), tx))
    return links


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
    """A synthetic :class:`Instance` (no constraints).

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
    opts = {"seed": seed, "idle": idle, "memory": memory, "largest_output": int(output_bytes.max())}
    systems = _systems(rng, tiers, systems_per_tier, base, param_bytes, **opts)  # type: ignore[arg-type]
    links = _links(rng, tiers, systems, return_output)
    nodes = tuple(
        Node(f"block{i}", (i, i), (i - 1,) if i else (), float(output_bytes[i]), float(param_bytes[i]))
        for i in range(n)
    )
    return Instance(
        name=f"synthetic-n{n}-t{n_tiers}-s{systems_per_tier}-seed{seed}",
        model="synthetic",
        input_bytes=float(INPUT_BYTES),
        nodes=nodes,
        tiers=tuple(tiers),
        systems=tuple(systems),
        links=tuple(links),
        return_output=return_output,
        provenance=f"synthetic, made by scission_opt.generate with seed {seed}; not measured",
        source=f"<generate seed={seed}>",
    )


def with_binding_constraints(instance: Instance, seed: int = 0) -> Instance:
    """Add privacy, first-tier memory, first-tier upload and energy constraints that bind, and stay feasible.

    Privacy covers the first 5% of nodes (at least one); each first-tier system
    may hold about a third of the parameters (the first ``m`` nodes); the first
    tier may upload at most the median output size of the first half of the
    chain, raised where needed to the smallest output it could send after
    running between the private nodes and ``m`` (so that a plan exists by
    construction: the first tier runs up to that cut, the next tier the rest);
    the energy budget is the lowest of 90%, 95% or 100% of the energy of the
    plan that is optimal under the other three constraints that keeps the
    instance feasible.

    Raises
    ------
    ScissionError
        If the result is not feasible after all (it is solved to check).
    """
    from .solve import solve

    del seed  # kept for callers; the construction is deterministic given the instance
    n = instance.n_nodes
    first_tier = instance.tiers[0]
    m = max(1, n // 3)  # nodes the first tier can hold
    memory = float(instance.param_bytes[:m].sum() + instance.activation_bytes.max())
    systems = tuple(
        dataclasses.replace(s, memory_bytes=memory) if s.tier == first_tier else s for s in instance.systems
    )
    privacy = max(1, n // 20)
    sent = instance.boundary_bytes
    upload: list[float | None] = [None] * instance.n_tiers
    if n > privacy and instance.n_tiers > 1:
        smallest_possible = float(sent[privacy : max(privacy, m) + 1].min())  # a cut the first tier can make
        upload[0] = max(float(np.median(sent[1 : max(2, n // 2 + 1)])), smallest_possible)
    base = Constraints(privacy_nodes=min(privacy, m), upload_limit_bytes=tuple(upload))
    constrained = instance.replace(systems=systems, constraints=base, name=instance.name + "-constrained")
    reference = solve(constrained, objective="latency", explain=False)
    if not reference.status.has_plan or reference.metrics is None:
        raise ScissionError(f"{instance.name}: the generated constraints leave no plan ({reference.status.value})")
    energy = reference.metrics.energy_j
    for factor in (0.9, 0.95, 1.0):
        trial = constrained.replace(constraints=dataclasses.replace(base, energy_budget_j=float(energy * factor)))
        if solve(trial, objective="latency", explain=False).status.has_plan:
            return trial
    raise ScissionError(f"{instance.name}: no energy budget keeps the generated instance feasible")
