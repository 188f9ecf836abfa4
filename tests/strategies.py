"""Hypothesis strategies that build valid instances constructively (no ``assume``).

They build the typed objects directly (each checks itself when built), as the
profiler, the Scission converter and the generator do; nothing goes through JSON.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from scission_opt.instance import Constraints, Instance, Link, Node, System

money = st.floats(min_value=0.0, max_value=1e-3, allow_nan=False)
seconds = st.floats(min_value=0.0, max_value=2.0, allow_nan=False)


def _systems(draw: Any, tiers: list[str], n: int, max_systems: int, coupled: bool) -> list[System]:
    # some blocks cost exactly 0 s, as in real measurements
    latency = st.one_of(st.just(0.0), st.floats(min_value=1e-4, max_value=1.0, allow_nan=False))
    systems = []
    for t, tier in enumerate(tiers):
        for k in range(draw(st.integers(1, max_systems))):
            idle = draw(st.floats(0.0, 3.0)) if coupled and t == 0 and draw(st.booleans()) else 0.0
            memory = float(draw(st.integers(0, 3_000_000))) if draw(st.integers(0, 3)) == 0 else None
            systems.append(
                System(
                    name=f"{tier}s{k}",
                    tier=tier,
                    latency_s=tuple(draw(latency) for _ in range(n)),
                    memory_bytes=memory,
                    compute_w=draw(st.floats(0.5, 10.0)),
                    idle_w=idle,
                    price_per_s=draw(money),
                    trusted=draw(st.booleans()) if t else True,
                )
            )
    return systems


def _links(draw: Any, tiers: list[str], systems: list[System], return_output: bool) -> list[Link]:
    links = []
    for a in systems:
        for b in systems:
            ta, tb = tiers.index(a.tier), tiers.index(b.tier)
            forward = ta < tb
            back = return_output and tb == 0 and ta > 0
            if (forward or back) and draw(st.integers(0, 9)) > 0:  # a few links missing
                links.append(
                    Link(
                        a.name,
                        b.name,
                        latency_ms=draw(st.floats(0.0, 100.0)),
                        bandwidth_mbps=draw(st.floats(0.5, 1000.0)),
                        tx_power_w=draw(st.floats(0.0, 2.0)),
                    )
                )
    return links


def _per_tier(draw: Any, n_tiers: int, values: st.SearchStrategy[float]) -> tuple[float | None, ...]:
    out: list[float | None] = [None] * n_tiers
    out[draw(st.integers(0, n_tiers - 1))] = draw(values)
    return tuple(out)


def _constraints(draw: Any, n: int, tiers: list[str], systems: list[System], coupled: bool) -> Constraints:
    T = len(tiers)
    kw: dict[str, Any] = {}
    if draw(st.booleans()):
        kw["privacy_nodes"] = draw(st.integers(0, n))
    if draw(st.integers(0, 3)) == 0:
        kw["pins"] = ((draw(st.integers(0, n - 1)), draw(st.integers(0, T - 1))),)
    if draw(st.integers(0, 3)) == 0:
        kw["bans"] = ((draw(st.integers(0, n - 1)), draw(st.integers(0, T - 1))),)
    required: frozenset[int] = frozenset()
    if draw(st.integers(0, 4)) == 0:
        required = frozenset({draw(st.integers(0, T - 1))})
        kw["tiers_required"] = required
    if T > 1 and draw(st.integers(0, 4)) == 0:
        forbidden = draw(st.integers(0, T - 1))
        if forbidden not in required:
            kw["tiers_forbidden"] = frozenset({forbidden})
    if draw(st.integers(0, 3)) == 0:
        t = draw(st.integers(0, T - 1))
        names = [s.name for s in systems if s.tier == tiers[t]]
        excluded: list[tuple[str, ...]] = [()] * T
        excluded[t] = (draw(st.sampled_from(names)),)
        kw["excluded_systems"] = tuple(excluded)
    if draw(st.integers(0, 3)) == 0:
        kw["upload_limit_bytes"] = _per_tier(draw, T, st.integers(0, 5_000_000).map(float))
    if draw(st.integers(0, 3)) == 0:
        kw["compute_time_limit_s"] = _per_tier(draw, T, seconds)
    if coupled and draw(st.integers(0, 4)) == 0:
        kw["compute_time_limit_pct"] = _per_tier(draw, T, st.floats(0.0, 100.0))
    if draw(st.integers(0, 3)) == 0:
        kw["energy_budget_j"] = draw(st.floats(0.0, 5.0))
    if coupled and draw(st.integers(0, 4)) == 0:
        kw["deadline_s"] = draw(st.floats(0.0, 10.0))
    return Constraints(**kw)


@st.composite
def instances(
    draw: Any,
    max_nodes: int = 12,
    max_tiers: int = 4,
    max_systems: int = 3,
    constraints: bool = True,
    coupled: bool = True,
) -> Instance:
    """A random valid instance: up to ``max_nodes`` nodes, ``max_tiers`` tiers, ``max_systems`` per tier.

    ``coupled`` allows what couples segments (idle power, percentage time
    limits, deadlines), which the segment DP refuses.
    """
    n = draw(st.integers(1, max_nodes))
    tiers = [f"t{i}" for i in range(draw(st.integers(1, max_tiers)))]
    nodes = tuple(
        Node(
            f"n{i}",
            (2 * i, 2 * i + 1),
            (i - 1,) if i else (),
            float(draw(st.integers(0, 5_000_000))),
            float(draw(st.integers(0, 1_000_000))),
        )
        for i in range(n)
    )
    systems = _systems(draw, tiers, n, max_systems, coupled)
    return_output = draw(st.booleans())
    links = _links(draw, tiers, systems, return_output)
    return Instance(
        name="hypothesis",
        model="random",
        input_bytes=float(draw(st.integers(0, 2_000_000))),
        nodes=nodes,
        tiers=tuple(tiers),
        systems=tuple(systems),
        links=tuple(links),
        constraints=_constraints(draw, n, tiers, systems, coupled) if constraints else Constraints(),
        return_output=return_output,
        source="<hypothesis>",
    )


def instance_dicts(**kwargs: Any) -> st.SearchStrategy[dict[str, Any]]:
    """The same instances as JSON-ready dicts (for tests of the reader)."""
    return instances(**kwargs).map(lambda instance: instance.to_dict())
