"""Reading an instance from the versioned JSON format; the types themselves live in :mod:`scission_opt.problem`.

The format is ``scission-opt/instance@1``; its JSON Schema ships as
``scission_opt/schema/instance-1.json`` and formulations/cost-model.md explains
every field. The reader checks JSON types, resolves names (tiers, systems,
nodes by name or layer) and builds the typed objects, which check their own
values; the first problem is one line naming the file and the field path.
A file is untrusted: it may only name registered objectives (built-ins and
installed entry points), never ``package.module:name``, which would import code.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

from ._fields import Fields, check_integer, check_string
from ._nodes import read_nodes
from ._writer import FORMAT
from .errors import InvalidInstanceError, quote
from .io import gc_paused, read_json
from .problem import (
    BITS_PER_BYTE,
    MBPS,
    Constraints,
    Instance,
    Link,
    Node,
    ObjectiveSpec,
    System,
)

__all__ = [
    "BITS_PER_BYTE",
    "FORMAT",
    "MBPS",
    "Constraints",
    "Instance",
    "Link",
    "Node",
    "ObjectiveSpec",
    "System",
    "load_instance",
    "parse_instance",
]

T = TypeVar("T")


def _build(kind: Callable[..., T], origin: str, path: str, /, **values: Any) -> T:
    """``kind(**values)``, with a failing check re-raised under the file name ``origin`` and the JSON ``path``."""
    try:
        return kind(**values)
    except InvalidInstanceError as exc:
        field = f"{path}.{exc.field}" if path and exc.field else (exc.field or path)
        raise InvalidInstanceError(exc.detail, origin, field) from None


# ---------------------------------------------------------------------------
# Reading


def load_instance(path: str | Path) -> Instance:
    """Read and validate an instance file.

    Raises
    ------
    InvalidInstanceError
        With the file name and field path, for any problem.
    """
    with gc_paused():
        return parse_instance(read_json(path), str(path))


def parse_instance(data: Any, source: str = "<instance>") -> Instance:
    """Validate a parsed JSON document and build an :class:`Instance`."""
    root = Fields(data, "", source)
    fmt = root.string("format")
    if fmt != FORMAT:
        root.fail(f"unsupported format {quote(fmt)}; expected {quote(FORMAT)}", "format")
    name = root.string("name", "instance")
    provenance = root.text("provenance", "")

    model = root.object("model")
    model_name = model.string("name")
    input_bytes = model.number("input_bytes")
    raw_nodes = model.array("nodes")
    if not raw_nodes:
        model.fail("must list at least one node", model.sub("nodes"))
    nodes = read_nodes(raw_nodes)  # checked in bulk; None sends the list through the per-node reader
    if nodes is None:
        nodes = tuple(_parse_node(raw, i, model.sub("nodes"), source) for i, raw in enumerate(raw_nodes))
    _unique([n.name for n in nodes], model.sub("nodes"), source)
    model.done()
    n = len(nodes)

    tiers_raw = root.array("tiers")
    if not tiers_raw:
        root.fail("must list at least one tier", "tiers")
    tiers = tuple(check_string(t, f"tiers[{i}]", source) for i, t in enumerate(tiers_raw))
    _unique(list(tiers), "tiers", source)

    systems_raw = root.array("systems")
    if not systems_raw:
        root.fail("must list at least one system", "systems")
    systems = tuple(_parse_system(raw, i, tiers, n, source) for i, raw in enumerate(systems_raw))
    _unique([s.name for s in systems], "systems", source)
    if not any(s.tier == tiers[0] for s in systems):
        root.fail(
            f"no system in the first tier {quote(tiers[0])}: the raw input has nowhere to be born",
            "systems",
        )

    names = {s.name: s for s in systems}
    links = tuple(_parse_link(raw, i, names, tiers, source) for i, raw in enumerate(root.array("links", [])))
    seen: set[tuple[str, str]] = set()
    for i, link in enumerate(links):
        if (link.source, link.destination) in seen:
            root.fail(f"duplicate link {link.source} -> {link.destination}", f"links[{i}]")
        seen.add((link.source, link.destination))

    options = root.object("options", None)
    return_output = False
    if options is not None:
        return_output = options.boolean("return_output", False)
        options.done()

    constraints = _parse_constraints(root.object("constraints", None), nodes, tiers, systems, source)
    objective = _parse_objective(root.object("objective", None))
    root.done()
    return Instance(
        name=name,
        model=model_name,
        input_bytes=input_bytes,
        nodes=nodes,
        tiers=tiers,
        systems=systems,
        links=links,
        constraints=constraints,
        objective=objective,
        return_output=return_output,
        provenance=provenance,
        source=source,
    )


def _unique(names: Sequence[str], field_path: str, source: str) -> None:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            raise InvalidInstanceError(
                f"duplicate name {quote(name)}",
                source,
                f"{field_path}[{i}].name" if field_path != "tiers" else f"tiers[{i}]",
            )
        seen.add(name)


def _parse_node(raw: Any, i: int, base: str, source: str) -> Node:
    # The node checks its own values (with these paths); only the JSON shapes are checked here.
    f = Fields(raw, f"{base}[{i}]", source)
    node = _build(
        Node,
        source,
        f.path,
        name=f.raw("name"),
        layers=tuple(f.array("layers")),
        inputs=tuple(f.array("inputs", [i - 1] if i else [])),
        output_bytes=f.raw("output_bytes"),
        param_bytes=f.raw("param_bytes", 0.0),
        flops=f.raw("flops", None),
        activation_bytes=f.raw("activation_bytes", None),
    )
    f.done()
    return node


def _parse_system(raw: Any, i: int, tiers: tuple[str, ...], n: int, source: str) -> System:
    f = Fields(raw, f"systems[{i}]", source)
    name = f.string("name")
    tier = f.string("tier")
    if tier not in tiers:
        f.fail(f"unknown tier {quote(tier)} (tiers: {', '.join(tiers)})", f.sub("tier"))
    # every field below passes the checks System makes itself (the same functions), so none runs twice
    system = System._checked(
        name=name,
        tier=tier,
        latency_s=tuple(f.numbers("latency_s", n)),
        memory_bytes=f.number("memory_bytes", None),
        compute_w=f.number("compute_w", None),
        idle_w=f.number("idle_w", 0.0),
        price_per_s=f.number("price_per_s", 0.0),
        trusted=f.boolean("trusted", tier == tiers[0]),
        provenance=f.text("provenance", ""),
        segment_overhead_s=f.number("segment_overhead_s", 0.0),
    )
    f.done()
    return system


def _parse_link(raw: Any, i: int, systems: Mapping[str, System], tiers: tuple[str, ...], source: str) -> Link:
    f = Fields(raw, f"links[{i}]", source)
    src = f.string("source")
    dst = f.string("destination")
    for key, value in (("source", src), ("destination", dst)):
        if value not in systems:
            f.fail(f"unknown system {quote(value)}", f.sub(key))
    if src == dst:
        f.fail("a link must join two different systems", f.sub("destination"))
    link = _build(
        Link,
        source,
        f.path,
        source=src,
        destination=dst,
        latency_ms=f.number("latency_ms"),
        bandwidth_mbps=f.number("bandwidth_mbps", positive=True),
        tx_power_w=f.number("tx_power_w", 0.0),
    )
    f.done()
    return link


class _NodeIndex:
    """Node lookups by name and by model layer, built once per file (a pin list must not cost nodes x pins)."""

    def __init__(self, nodes: tuple[Node, ...]):
        self.nodes = nodes
        self._by_name: dict[str, int] | None = None
        self._firsts: list[int] | None = None

    def by_name(self, name: str) -> int | None:
        if self._by_name is None:
            self._by_name = {}
            for i, node in enumerate(self.nodes):
                self._by_name.setdefault(node.name, i)
        return self._by_name.get(name)

    def by_layer(self, layer: int) -> int | None:
        """The first node whose layer range covers ``layer``; by bisection when the ranges ascend without overlap."""
        if self._firsts is None:
            ordered = all(a.layers[1] < b.layers[0] for a, b in zip(self.nodes, self.nodes[1:]))
            self._firsts = [node.layers[0] for node in self.nodes] if ordered else []
        if self._firsts:
            i = bisect.bisect_right(self._firsts, layer) - 1
            return i if i >= 0 and layer <= self.nodes[i].layers[1] else None
        return next((i for i, n in enumerate(self.nodes) if n.layers[0] <= layer <= n.layers[1]), None)


def _node_ref(f: Fields, nodes: _NodeIndex) -> int:
    """A node named by index (``"node": 3``), by name (``"node": "block3"``) or by model layer (``"layer": 17``)."""
    source = f.source
    if f.has("node") and f.has("layer"):
        f.fail("give either node or layer, not both")
    if f.has("layer"):
        layer = f.integer("layer")
        found = nodes.by_layer(layer)
        if found is None:
            f.fail(f"no node covers model layer {layer}", f.sub("layer"))
        return cast(int, found)
    value = f.raw("node")
    if isinstance(value, str):
        found = nodes.by_name(value)
        if found is None:
            f.fail(f"unknown node {quote(value)}", f.sub("node"))
        return cast(int, found)
    index = check_integer(value, f.sub("node"), source)
    if index >= len(nodes.nodes):
        f.fail(f"node index must be < {len(nodes.nodes)}, got {index}", f.sub("node"))
    return index


def _tier_ref(f: Fields, key: str, tiers: tuple[str, ...]) -> int:
    tier = f.string(key)
    if tier not in tiers:
        f.fail(f"unknown tier {quote(tier)} (tiers: {', '.join(tiers)})", f.sub(key))
    return tiers.index(tier)


def _per_tier(
    f: Fields | None, key: str, tiers: tuple[str, ...], *, maximum: float | None = None
) -> tuple[float | None, ...]:
    out: list[float | None] = [None] * len(tiers)
    if f is None:
        return tuple(out)
    sub = f.object(key, None)
    if sub is None:
        return tuple(out)
    for tier in sub.data:
        if tier not in tiers:
            sub.fail(f"unknown tier {quote(tier)} (tiers: {', '.join(tiers)})", sub.sub(tier))
        out[tiers.index(tier)] = sub.number(tier, maximum=maximum)
    sub.done()
    return tuple(out)


def _pairs(f: Fields, key: str, nodes: _NodeIndex, tiers: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    out = []
    for j, raw in enumerate(f.array(key, [])):
        item = Fields(raw, f"{f.sub(key)}[{j}]", f.source)
        node = _node_ref(item, nodes)
        tier = _tier_ref(item, "tier", tiers)
        item.done()
        out.append((node, tier))
    return tuple(out)


def _system_lists(
    f: Fields, key: str, tiers: tuple[str, ...], systems: tuple[System, ...]
) -> dict[int, tuple[str, ...]]:
    sub = f.object(key, None)
    out: dict[int, tuple[str, ...]] = {}
    if sub is None:
        return out
    tier_of = {s.name: s.tier for s in systems}
    for tier in sub.data:
        if tier not in tiers:
            sub.fail(f"unknown tier {quote(tier)} (tiers: {', '.join(tiers)})", sub.sub(tier))
        names = sub.array(tier)
        for j, name in enumerate(names):
            where = f"{sub.sub(tier)}[{j}]"
            check_string(name, where, f.source)
            if name not in tier_of:
                sub.fail(f"unknown system {quote(name)}", where)
            if tier_of[name] != tier:
                sub.fail(f"system {quote(name)} is in tier {quote(tier_of[name])}, not {quote(tier)}", where)
        out[tiers.index(tier)] = tuple(names)
    sub.done()
    return out


def _tier_set(f: Fields, key: str, tiers: tuple[str, ...]) -> frozenset[int]:
    out = set()
    for j, tier in enumerate(f.array(key, [])):
        check_string(tier, f"{f.sub(key)}[{j}]", f.source)
        if tier not in tiers:
            f.fail(f"unknown tier {quote(tier)} (tiers: {', '.join(tiers)})", f"{f.sub(key)}[{j}]")
        out.add(tiers.index(tier))
    return frozenset(out)


def _node_set(f: Fields, key: str, nodes: _NodeIndex) -> frozenset[int]:
    """Nodes named by name or by index (``"privacy_set": ["conv1", 4]``)."""
    out = set()
    for j, value in enumerate(f.array(key, [])):
        where = f"{f.sub(key)}[{j}]"
        if isinstance(value, str):
            found = nodes.by_name(value)
            if found is None:
                f.fail(f"unknown node {quote(value)}", where)
            else:
                out.add(found)
            continue
        index = check_integer(value, where, f.source)
        if index >= len(nodes.nodes):
            f.fail(f"node index must be < {len(nodes.nodes)}, got {index}", where)
        out.add(index)
    return frozenset(out)


def _parse_constraints(
    f: Fields | None, nodes: tuple[Node, ...], tiers: tuple[str, ...], systems: tuple[System, ...], source: str
) -> Constraints:
    if f is None:
        return Constraints()  # the instance pads the per-tier tuples
    privacy = f.integer("privacy_nodes", 0)
    if privacy > len(nodes):
        f.fail(f"must be <= the number of nodes ({len(nodes)}), got {privacy}", f.sub("privacy_nodes"))
    allowed = _system_lists(f, "allowed_systems", tiers, systems)
    excluded = _system_lists(f, "excluded_systems", tiers, systems)
    required = _tier_set(f, "tiers_required", tiers)
    forbidden = _tier_set(f, "tiers_forbidden", tiers)
    both = required & forbidden
    if both:
        f.fail(f"tier {quote(tiers[min(both)])} is both required and forbidden", f.sub("tiers_forbidden"))
    index = _NodeIndex(nodes)
    constraints = _build(
        Constraints,
        source,
        "",
        privacy_nodes=privacy,
        privacy_set=_node_set(f, "privacy_set", index),
        pins=_pairs(f, "pins", index, tiers),
        bans=_pairs(f, "bans", index, tiers),
        allowed_systems=tuple(allowed.get(t) for t in range(len(tiers))),
        excluded_systems=tuple(excluded.get(t, ()) for t in range(len(tiers))),
        tiers_required=required,
        tiers_forbidden=forbidden,
        energy_budget_j=f.number("energy_budget_j", None),
        upload_limit_bytes=_per_tier(f, "upload_limit_bytes", tiers),
        compute_time_limit_s=_per_tier(f, "compute_time_limit_s", tiers),
        compute_time_limit_pct=_per_tier(f, "compute_time_limit_pct", tiers, maximum=100.0),
        deadline_s=f.number("deadline_s", None),
    )
    f.done()
    return constraints


def _parse_objective(f: Fields | None) -> ObjectiveSpec:
    if f is None:
        return ObjectiveSpec()
    from .objectives.builtin import BUILTIN
    from .objectives.registry import objective_names

    name = f.string("name", "latency")
    known = objective_names()
    if name not in known:
        # package.module:name would import (and run) code named by the file: only the command line or the API may
        why = "a file may not name package.module:name objectives, use --objective; " if ":" in name else ""
        f.fail(
            f"unknown objective {quote(name)} ({why}known: {', '.join(known)})",
            f.sub("name"),
        )
    weights_f = f.object("weights", None)
    weights: list[tuple[str, float]] = []
    if weights_f is not None:
        for key in weights_f.data:
            if key not in BUILTIN:
                weights_f.fail(
                    f"unknown objective {quote(key)} (weights may name: {', '.join(BUILTIN)})",
                    weights_f.sub(key),
                )
            weights.append((key, weights_f.number(key)))
        weights_f.done()
    if name == "weighted" and not weights:
        f.fail("the weighted objective needs weights", f.sub("weights"))
    f.done()
    return ObjectiveSpec(name=name, weights=tuple(weights))
