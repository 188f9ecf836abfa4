"""Checks every typed problem object runs on itself when built.

The rules and the messages are those of the JSON reader (both use the checks
in :mod:`scission_opt._fields`), and field paths are the JSON paths
(``systems[2].latency_s[5]``, ``constraints.pins[0].node``), so a value built in
Python and a value read from a file fail with the same one line. Long number
lists are checked with numpy first; only a failing list is walked one value at
a time, to name the first bad entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ._fields import check_integer, check_number, check_numbers, check_string
from .errors import InvalidInstanceError, quote
from .limits import MIN_BANDWIDTH_MBPS

if TYPE_CHECKING:
    from .problem import Constraints, Instance, Link, Node, System


def check_text(value: Any, field: str, source: str | None) -> str:
    """Free text (provenance): any length, no control characters; may be empty."""
    if value == "":
        return value
    return check_string(value, field, source or "", limit=None)


def _optional_number(value: Any, field: str, source: str | None, **kw: Any) -> None:
    if value is not None:
        check_number(value, field, source or "", **kw)


def _fail(message: str, source: str | None, field: str) -> None:
    raise InvalidInstanceError(message, source, field)


def check_node(node: Node, source: str | None = None, path: str = "") -> None:
    """A node on its own: name, layer range, input indices, sizes."""
    at = f"{path}." if path else ""
    check_string(node.name, f"{at}name", source or "")
    if len(node.layers) != 2:
        _fail(
            f"must be [first, last], got {len(node.layers)} entries",
            source,
            f"{at}layers",
        )
    first = check_integer(node.layers[0], f"{at}layers[0]", source or "")
    last = check_integer(node.layers[1], f"{at}layers[1]", source or "")
    if last < first:
        _fail(f"last layer {last} is before first layer {first}", source, f"{at}layers")
    for j, k in enumerate(node.inputs):
        check_integer(k, f"{at}inputs[{j}]", source or "")
    check_number(node.output_bytes, f"{at}output_bytes", source or "")
    check_number(node.param_bytes, f"{at}param_bytes", source or "")
    _optional_number(node.flops, f"{at}flops", source)
    _optional_number(node.activation_bytes, f"{at}activation_bytes", source)


def check_system(system: System, source: str | None = None, path: str = "") -> bool:
    """A system on its own: names, latencies, power, price, memory.

    Returns
    -------
    bool
        Whether every latency is already a Python ``float``.
    """
    at = f"{path}." if path else ""
    check_string(system.name, f"{at}name", source or "")
    check_string(system.tier, f"{at}tier", source or "")
    all_float = check_numbers(system.latency_s, f"{at}latency_s", source)
    _optional_number(system.memory_bytes, f"{at}memory_bytes", source)
    _optional_number(system.compute_w, f"{at}compute_w", source)
    for key in ("idle_w", "price_per_s", "segment_overhead_s"):
        check_number(getattr(system, key), f"{at}{key}", source or "")
    if not isinstance(system.trusted, bool):
        _fail(
            f"must be true or false, got {quote(system.trusted)}",
            source,
            f"{at}trusted",
        )
    check_text(system.provenance, f"{at}provenance", source)
    return all_float


def check_link(link: Link, source: str | None = None, path: str = "") -> None:
    """A link on its own: two different endpoints, latency, a bandwidth that cannot overflow a transfer time."""
    at = f"{path}." if path else ""
    check_string(link.source, f"{at}source", source or "")
    check_string(link.destination, f"{at}destination", source or "")
    if link.source == link.destination:
        _fail("a link must join two different systems", source, f"{at}destination")
    check_number(link.latency_ms, f"{at}latency_ms", source or "")
    bandwidth = check_number(link.bandwidth_mbps, f"{at}bandwidth_mbps", source or "", positive=True)
    if bandwidth < MIN_BANDWIDTH_MBPS:
        _fail(
            f"must be >= {MIN_BANDWIDTH_MBPS:g} Mbps (1 bit/s), got {bandwidth:g}",
            source,
            f"{at}bandwidth_mbps",
        )
    check_number(link.tx_power_w, f"{at}tx_power_w", source or "")


def _pairs(pairs: Iterable[Any], field: str) -> None:
    for j, pair in enumerate(pairs):
        if not isinstance(pair, tuple) or len(pair) != 2:
            _fail(f"must be a (node, tier) pair, got {quote(pair)}", None, f"{field}[{j}]")
        check_integer(pair[0], f"{field}[{j}].node", "")
        check_integer(pair[1], f"{field}[{j}].tier", "")


def check_constraints(c: Constraints) -> None:
    """Constraints on their own (what needs no instance): types, signs, percentages, disjoint tier sets."""
    base = "constraints"
    check_integer(c.privacy_nodes, f"{base}.privacy_nodes", "")
    for node in sorted(c.privacy_set, key=str):
        check_integer(node, f"{base}.privacy_set", "")
    _pairs(c.pins, f"{base}.pins")
    _pairs(c.bans, f"{base}.bans")
    for key in ("upload_limit_bytes", "compute_time_limit_s", "compute_time_limit_pct"):
        for t, value in enumerate(getattr(c, key)):
            _optional_number(
                value,
                f"{base}.{key}[{t}]",
                None,
                maximum=100.0 if key.endswith("pct") else None,
            )
    for key in ("energy_budget_j", "deadline_s"):
        _optional_number(getattr(c, key), f"{base}.{key}", None)
    for key in ("allowed_systems", "excluded_systems"):
        for t, names in enumerate(getattr(c, key)):
            if names is None and key == "allowed_systems":
                continue
            if not isinstance(names, tuple):
                _fail(
                    f"must be a tuple of system names, got {quote(names)}",
                    None,
                    f"{base}.{key}[{t}]",
                )
            for j, name in enumerate(names):
                check_string(name, f"{base}.{key}[{t}][{j}]", "")
    for key in ("tiers_required", "tiers_forbidden"):
        for t in getattr(c, key):
            check_integer(t, f"{base}.{key}", "")
    both = c.tiers_required & c.tiers_forbidden
    if both:
        _fail(
            f"tier {min(both)} is both required and forbidden",
            None,
            f"{base}.tiers_forbidden",
        )


def check_instance(inst: Instance) -> None:
    """What ties the parts together: names unique and known, lengths, references, the first tier's origin."""
    source = inst.source
    check_string(inst.name, "name", source)
    check_string(inst.model, "model.name", source)
    check_text(inst.provenance, "provenance", source)
    check_number(inst.input_bytes, "model.input_bytes", source)
    if not isinstance(inst.return_output, bool):
        _fail(
            f"must be true or false, got {quote(inst.return_output)}",
            source,
            "options.return_output",
        )
    _check_nodes(inst)
    if not inst.tiers:
        _fail("must list at least one tier", source, "tiers")
    for t, tier in enumerate(inst.tiers):
        check_string(tier, f"tiers[{t}]", source)
    _unique(inst.tiers, source, "tiers[{}]")
    _check_systems(inst)
    _check_links(inst)
    _check_constraint_refs(inst)


def _unique(names: Sequence[str], source: str, pattern: str) -> None:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            _fail(f"duplicate name {quote(name)}", source, pattern.format(i))
        seen.add(name)


def _check_nodes(inst: Instance) -> None:
    source = inst.source
    if not inst.nodes:
        _fail("must list at least one node", source, "model.nodes")
    for i, node in enumerate(inst.nodes):
        if type(node).__name__ != "Node":
            _fail(
                f"must be a Node, got {type(node).__name__}",
                source,
                f"model.nodes[{i}]",
            )
        if node.inputs and max(node.inputs) >= i:
            j, k = next((j, k) for j, k in enumerate(node.inputs) if k >= i)
            _fail(
                f"must name an earlier node (index < {i}), got {k}",
                source,
                f"model.nodes[{i}].inputs[{j}]",
            )
    _unique([n.name for n in inst.nodes], source, "model.nodes[{}].name")


def _check_systems(inst: Instance) -> None:
    source, n, tiers = inst.source, len(inst.nodes), set(inst.tiers)
    if not inst.systems:
        _fail("must list at least one system", source, "systems")
    for i, s in enumerate(inst.systems):
        if type(s).__name__ != "System":
            _fail(f"must be a System, got {type(s).__name__}", source, f"systems[{i}]")
        if s.tier not in tiers:
            _fail(
                f"unknown tier {quote(s.tier)} (tiers: {', '.join(inst.tiers)})",
                source,
                f"systems[{i}].tier",
            )
        if len(s.latency_s) != n:
            _fail(
                f"must have {n} entries (one per node), got {len(s.latency_s)}",
                source,
                f"systems[{i}].latency_s",
            )
    _unique([s.name for s in inst.systems], source, "systems[{}].name")
    if not any(s.tier == inst.tiers[0] for s in inst.systems):
        _fail(
            f"no system in the first tier {quote(inst.tiers[0])}: the raw input has nowhere to be born",
            source,
            "systems",
        )


def _check_links(inst: Instance) -> None:
    source = inst.source
    names = {s.name for s in inst.systems}
    seen: set[tuple[str, str]] = set()
    for i, link in enumerate(inst.links):
        if type(link).__name__ != "Link":
            _fail(f"must be a Link, got {type(link).__name__}", source, f"links[{i}]")
        for key in ("source", "destination"):
            if getattr(link, key) not in names:
                _fail(
                    f"unknown system {quote(getattr(link, key))}",
                    source,
                    f"links[{i}].{key}",
                )
        pair = (link.source, link.destination)
        if pair in seen:
            _fail(
                f"duplicate link {quote(link.source)} -> {quote(link.destination)}",
                source,
                f"links[{i}]",
            )
        seen.add(pair)


def _check_constraint_refs(inst: Instance) -> None:
    c, source, n, T = inst.constraints, inst.source, len(inst.nodes), len(inst.tiers)
    base = "constraints"
    if c.privacy_nodes > n:
        _fail(
            f"must be <= the number of nodes ({n}), got {c.privacy_nodes}",
            source,
            f"{base}.privacy_nodes",
        )
    if c.privacy_set and max(c.privacy_set) >= n:
        _fail(f"node index must be < {n}, got {max(c.privacy_set)}", source, f"{base}.privacy_set")
    for key in ("pins", "bans"):
        for j, (node, tier) in enumerate(getattr(c, key)):
            if node >= n:
                _fail(
                    f"node index must be < {n}, got {node}",
                    source,
                    f"{base}.{key}[{j}].node",
                )
            if tier >= T:
                _fail(
                    f"tier index must be < {T}, got {tier}",
                    source,
                    f"{base}.{key}[{j}].tier",
                )
    for key in (
        "allowed_systems",
        "excluded_systems",
        "upload_limit_bytes",
        "compute_time_limit_s",
        "compute_time_limit_pct",
    ):
        if len(getattr(c, key)) > T:
            _fail(
                f"must have at most one entry per tier ({T}), got {len(getattr(c, key))}",
                source,
                f"{base}.{key}",
            )
    _check_system_filters(inst)
    for key in ("tiers_required", "tiers_forbidden"):
        for t in getattr(c, key):
            if t >= T:
                _fail(f"tier index must be < {T}, got {t}", source, f"{base}.{key}")


def _check_system_filters(inst: Instance) -> None:
    c, source, base = inst.constraints, inst.source, "constraints"
    tier_of = {s.name: s.tier for s in inst.systems}
    for key in ("allowed_systems", "excluded_systems"):
        for t, names in enumerate(getattr(c, key)):
            for j, name in enumerate(names or ()):
                where = f"{base}.{key}.{inst.tiers[t]}[{j}]"
                if name not in tier_of:
                    _fail(f"unknown system {quote(name)}", source, where)
                if tier_of[name] != inst.tiers[t]:
                    _fail(
                        f"system {quote(name)} is in tier {quote(tier_of[name])}, not {quote(inst.tiers[t])}",
                        source,
                        where,
                    )
