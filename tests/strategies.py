"""Hypothesis strategies that build valid instances constructively (no ``assume``)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from scission_opt.instance import FORMAT, Instance, parse_instance

money = st.floats(min_value=0.0, max_value=1e-3, allow_nan=False)
seconds = st.floats(min_value=0.0, max_value=2.0, allow_nan=False)


@st.composite
def instance_dicts(
    draw: Any,
    max_nodes: int = 12,
    max_tiers: int = 4,
    max_systems: int = 3,
    constraints: bool = True,
    coupled: bool = True,
) -> dict[str, Any]:
    """A random valid instance: up to ``max_nodes`` nodes, ``max_tiers`` tiers, ``max_systems`` per tier.

    ``coupled`` allows what couples segments (idle power, percentage time
    limits, deadlines), which the segment DP refuses.
    """
    n = draw(st.integers(1, max_nodes))
    n_tiers = draw(st.integers(1, max_tiers))
    tiers = [f"t{i}" for i in range(n_tiers)]
    # some blocks cost exactly 0 s, as in real measurements
    latency = st.one_of(st.just(0.0), st.floats(min_value=1e-4, max_value=1.0, allow_nan=False))
    nodes = [
        {
            "name": f"n{i}",
            "layers": [2 * i, 2 * i + 1],
            "inputs": [i - 1] if i else [],
            "output_bytes": draw(st.integers(0, 5_000_000)),
            "param_bytes": draw(st.integers(0, 1_000_000)),
        }
        for i in range(n)
    ]
    systems = []
    for t, tier in enumerate(tiers):
        for k in range(draw(st.integers(1, max_systems))):
            system: dict[str, Any] = {
                "name": f"{tier}s{k}",
                "tier": tier,
                "latency_s": [draw(latency) for _ in range(n)],
                "compute_w": draw(st.floats(0.5, 10.0)),
                "price_per_s": draw(money),
                "trusted": draw(st.booleans()) if t else True,
            }
            if coupled and t == 0 and draw(st.booleans()):
                system["idle_w"] = draw(st.floats(0.0, 3.0))
            if draw(st.integers(0, 3)) == 0:
                system["memory_bytes"] = draw(st.integers(0, 3_000_000))
            systems.append(system)
    links = []
    return_output = draw(st.booleans())
    for a in systems:
        for b in systems:
            ta, tb = tiers.index(a["tier"]), tiers.index(b["tier"])
            forward = ta < tb
            back = return_output and tb == 0 and ta > 0
            if (forward or back) and draw(st.integers(0, 9)) > 0:  # a few links missing
                links.append(
                    {
                        "source": a["name"],
                        "destination": b["name"],
                        "latency_ms": draw(st.floats(0.0, 100.0)),
                        "bandwidth_mbps": draw(st.floats(0.5, 1000.0)),
                        "tx_power_w": draw(st.floats(0.0, 2.0)),
                    }
                )
    data: dict[str, Any] = {
        "format": FORMAT,
        "name": "hypothesis",
        "model": {"name": "random", "input_bytes": draw(st.integers(0, 2_000_000)), "nodes": nodes},
        "tiers": tiers,
        "systems": systems,
        "links": links,
        "options": {"return_output": return_output},
    }
    if constraints:
        c: dict[str, Any] = {}
        if draw(st.booleans()):
            c["privacy_nodes"] = draw(st.integers(0, n))
        if draw(st.integers(0, 3)) == 0:
            c["pins"] = [{"node": draw(st.integers(0, n - 1)), "tier": draw(st.sampled_from(tiers))}]
        if draw(st.integers(0, 3)) == 0:
            c["bans"] = [{"node": draw(st.integers(0, n - 1)), "tier": draw(st.sampled_from(tiers))}]
        if draw(st.integers(0, 4)) == 0:
            c["tiers_required"] = [draw(st.sampled_from(tiers))]
        if n_tiers > 1 and draw(st.integers(0, 4)) == 0:
            forbidden = draw(st.sampled_from(tiers))
            if forbidden not in c.get("tiers_required", []):
                c["tiers_forbidden"] = [forbidden]
        if draw(st.integers(0, 3)) == 0:
            tier = draw(st.sampled_from(tiers))
            names = [s["name"] for s in systems if s["tier"] == tier]
            c["excluded_systems"] = {tier: [draw(st.sampled_from(names))]}
        if draw(st.integers(0, 3)) == 0:
            c["upload_limit_bytes"] = {draw(st.sampled_from(tiers)): draw(st.integers(0, 5_000_000))}
        if draw(st.integers(0, 3)) == 0:
            c["compute_time_limit_s"] = {draw(st.sampled_from(tiers)): draw(seconds)}
        if coupled and draw(st.integers(0, 4)) == 0:
            c["compute_time_limit_pct"] = {draw(st.sampled_from(tiers)): draw(st.floats(0.0, 100.0))}
        if draw(st.integers(0, 3)) == 0:
            c["energy_budget_j"] = draw(st.floats(0.0, 5.0))
        if coupled and draw(st.integers(0, 4)) == 0:
            c["deadline_s"] = draw(st.floats(0.0, 10.0))
        data["constraints"] = c
    return data


@st.composite
def instances(draw: Any, **kwargs: Any) -> Instance:
    return parse_instance(draw(instance_dicts(**kwargs)), "<hypothesis>")
