"""Writing an instance as ``scission-opt/instance@1`` JSON (the reader is :mod:`scission_opt.instance`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .problem import Instance

FORMAT = "scission-opt/instance@1"


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def instance_to_dict(inst: Instance) -> dict[str, Any]:
    c = inst.constraints
    tiers = inst.tiers

    def per_tier(values: tuple[Any, ...]) -> dict[str, Any] | None:
        out = {tiers[t]: v for t, v in enumerate(values) if v is not None}
        return out or None

    constraints = _drop_none(
        {
            "privacy_nodes": c.privacy_nodes or None,
            "privacy_set": [inst.nodes[v].name for v in sorted(c.privacy_set)] or None,
            "pins": [{"node": nd, "tier": tiers[t]} for nd, t in c.pins] or None,
            "bans": [{"node": nd, "tier": tiers[t]} for nd, t in c.bans] or None,
            "allowed_systems": per_tier(tuple(list(a) if a is not None else None for a in c.allowed_systems)),
            "excluded_systems": per_tier(tuple(list(e) if e else None for e in c.excluded_systems)),
            "tiers_required": [tiers[t] for t in sorted(c.tiers_required)] or None,
            "tiers_forbidden": [tiers[t] for t in sorted(c.tiers_forbidden)] or None,
            "energy_budget_j": c.energy_budget_j,
            "upload_limit_bytes": per_tier(c.upload_limit_bytes),
            "compute_time_limit_s": per_tier(c.compute_time_limit_s),
            "compute_time_limit_pct": per_tier(c.compute_time_limit_pct),
            "deadline_s": c.deadline_s,
        }
    )
    out: dict[str, Any] = {
        "format": FORMAT,
        "name": inst.name,
        "provenance": inst.provenance,
        "model": {
            "name": inst.model,
            "input_bytes": inst.input_bytes,
            "nodes": [
                _drop_none(
                    {
                        "name": nd.name,
                        "layers": list(nd.layers),
                        "inputs": list(nd.inputs),
                        "output_bytes": nd.output_bytes,
                        "param_bytes": nd.param_bytes,
                        "flops": nd.flops,
                        "activation_bytes": nd.activation_bytes,
                    }
                )
                for nd in inst.nodes
            ],
        },
        "tiers": list(tiers),
        "systems": [
            _drop_none(
                {
                    "name": s.name,
                    "tier": s.tier,
                    "trusted": s.trusted,
                    "memory_bytes": s.memory_bytes,
                    "compute_w": s.compute_w,
                    "idle_w": s.idle_w or None,
                    "price_per_s": s.price_per_s or None,
                    "segment_overhead_s": s.segment_overhead_s or None,
                    "provenance": s.provenance or None,
                    "latency_s": list(s.latency_s),
                }
            )
            for s in inst.systems
        ],
        "links": [
            _drop_none(
                {
                    "source": lk.source,
                    "destination": lk.destination,
                    "latency_ms": lk.latency_ms,
                    "bandwidth_mbps": lk.bandwidth_mbps,
                    "tx_power_w": lk.tx_power_w or None,
                }
            )
            for lk in inst.links
        ],
    }
    if inst.return_output:
        out["options"] = {"return_output": True}
    if constraints:
        out["constraints"] = constraints
    if inst.objective.name != "latency" or inst.objective.weights:
        obj: dict[str, Any] = {"name": inst.objective.name}
        if inst.objective.weights:
            obj["weights"] = dict(inst.objective.weights)
        out["objective"] = obj
    return out
