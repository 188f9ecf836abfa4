"""The immutable problem description, and reading it from the versioned JSON format.

The format is ``scission-opt/instance@1``; its JSON Schema ships as
``scission_opt/schema/instance-1.json`` and formulations/cost-model.md explains
every field. Loading validates everything and reports the first problem as one
line naming the file and the field path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from ._fields import Fields, check_integer, check_string
from .errors import InvalidInstanceError
from .io import read_json, write_json_atomic
from .objectives.spec import ObjectiveSpec

FORMAT = "scission-opt/instance@1"
BITS_PER_BYTE = 8.0
MBPS = 1e6  # bit/s in one Mbps


@dataclass(frozen=True)
class Node:
    """One block of the model: a run of model layers that is cut as a whole.

    Attributes
    ----------
    name
        Unique name of the block.
    layers
        First and last model layer index covered (inclusive), as in Scission.
    inputs
        Indices of predecessor nodes; ``()`` for a node fed by the raw input.
    output_bytes
        Size of the block's output tensor.
    param_bytes
        Size of the block's parameters.
    flops, activation_bytes
        Optional. ``activation_bytes`` is the peak activation memory while the
        block runs; when absent the output size stands in for it.
    """

    name: str
    layers: tuple[int, int]
    inputs: tuple[int, ...]
    output_bytes: float
    param_bytes: float = 0.0
    flops: float | None = None
    activation_bytes: float | None = None


@dataclass(frozen=True)
class System:
    """A candidate machine in one tier, with its measured per-node latency."""

    name: str
    tier: str
    latency_s: tuple[float, ...]
    memory_bytes: float | None = None
    compute_w: float | None = None
    idle_w: float = 0.0
    price_per_s: float = 0.0
    trusted: bool = False
    provenance: str = ""
    #: Fixed cost paid once per contiguous segment run on this system (one call's
    #: dispatch: a tf.function or XLA launch); ``latency_s`` is then net of it.
    segment_overhead_s: float = 0.0


@dataclass(frozen=True)
class Link:
    """A directed network link; a hop between two systems needs one."""

    source: str
    destination: str
    latency_ms: float
    bandwidth_mbps: float
    tx_power_w: float = 0.0


@dataclass(frozen=True)
class Constraints:
    """User constraints. Per-tier values are tuples indexed by tier (``None`` = no limit).

    Attributes
    ----------
    privacy_nodes
        The first ``privacy_nodes`` nodes must run on trusted systems (and the
        raw input must be born on a trusted system when it is >= 1).
    pins, bans
        ``(node, tier)`` pairs: the node must (must not) run on that tier.
    allowed_systems, excluded_systems
        Per tier, names of the systems that may (may not) be chosen;
        ``allowed_systems[t] is None`` means any.
    tiers_required, tiers_forbidden
        Tier indices that must hold at least one node / must hold none.
    energy_budget_j
        Limit on the first tier's energy per inference.
    upload_limit_bytes
        Per tier, limit on the bytes sent by the tier's system.
    compute_time_limit_s, compute_time_limit_pct
        Per tier, limit on its compute time, absolute or as a percentage of
        the total compute time (communication not counted).
    deadline_s
        Limit on the end-to-end latency.
    """

    privacy_nodes: int = 0
    pins: tuple[tuple[int, int], ...] = ()
    bans: tuple[tuple[int, int], ...] = ()
    allowed_systems: tuple[tuple[str, ...] | None, ...] = ()
    excluded_systems: tuple[tuple[str, ...], ...] = ()
    tiers_required: frozenset[int] = frozenset()
    tiers_forbidden: frozenset[int] = frozenset()
    energy_budget_j: float | None = None
    upload_limit_bytes: tuple[float | None, ...] = ()
    compute_time_limit_s: tuple[float | None, ...] = ()
    compute_time_limit_pct: tuple[float | None, ...] = ()
    deadline_s: float | None = None

    def groups(self, n_tiers: int) -> tuple[str, ...]:
        """Names of the constraint groups that are active (used to explain infeasibility)."""
        active = []
        if self.privacy_nodes:
            active.append("privacy")
        if self.pins:
            active.append("pins")
        if self.bans:
            active.append("bans")
        if any(a is not None for a in self.allowed_systems) or any(self.excluded_systems):
            active.append("system_filters")
        if self.tiers_required or self.tiers_forbidden:
            active.append("tier_usage")
        if self.energy_budget_j is not None:
            active.append("energy_budget")
        if any(v is not None for v in self.upload_limit_bytes):
            active.append("upload_limits")
        if any(v is not None for v in self.compute_time_limit_s):
            active.append("compute_time_limits")
        if any(v is not None for v in self.compute_time_limit_pct):
            active.append("compute_time_pct_limits")
        if self.deadline_s is not None:
            active.append("deadline")
        return tuple(active)

    def without(self, group: str, n_tiers: int) -> "Constraints":
        """A copy with one constraint group (as named by :meth:`groups`) dropped."""
        none = (None,) * n_tiers
        drop: dict[str, dict[str, Any]] = {
            "privacy": {"privacy_nodes": 0},
            "pins": {"pins": ()},
            "bans": {"bans": ()},
            "system_filters": {"allowed_systems": none, "excluded_systems": ((),) * n_tiers},
            "tier_usage": {"tiers_required": frozenset(), "tiers_forbidden": frozenset()},
            "energy_budget": {"energy_budget_j": None},
            "upload_limits": {"upload_limit_bytes": none},
            "compute_time_limits": {"compute_time_limit_s": none},
            "compute_time_pct_limits": {"compute_time_limit_pct": none},
            "deadline": {"deadline_s": None},
        }
        return dataclasses.replace(self, **drop[group])


@dataclass(frozen=True, eq=False)
class Instance:
    """An immutable partitioning problem: model, tiers, systems, links, constraints.

    Build one with :func:`load_instance` or :func:`parse_instance`; derive a
    changed copy with :meth:`replace`. Array views used by the solvers
    (``latency``, ``boundary_bytes``, link matrices) are computed once.
    """

    name: str
    model: str
    input_bytes: float
    nodes: tuple[Node, ...]
    tiers: tuple[str, ...]
    systems: tuple[System, ...]
    links: tuple[Link, ...]
    constraints: Constraints = field(default_factory=Constraints)
    objective: ObjectiveSpec = field(default_factory=ObjectiveSpec)
    return_output: bool = False
    provenance: str = ""
    source: str = "<instance>"

    def __post_init__(self) -> None:
        # Per-tier tuples may be left empty by a hand-built Constraints(); pad them
        # so every consumer can index by tier.
        c, t = self.constraints, len(self.tiers)

        def pad(values: tuple[Any, ...], empty: Any) -> tuple[Any, ...]:
            return tuple(values) + (empty,) * (t - len(values))

        object.__setattr__(
            self,
            "constraints",
            dataclasses.replace(
                c,
                allowed_systems=pad(c.allowed_systems, None),
                excluded_systems=pad(c.excluded_systems, ()),
                upload_limit_bytes=pad(c.upload_limit_bytes, None),
                compute_time_limit_s=pad(c.compute_time_limit_s, None),
                compute_time_limit_pct=pad(c.compute_time_limit_pct, None),
            ),
        )

    # ---- structure -------------------------------------------------------
    @property
    def n_nodes(self) -> int:
        return len(self.nodes)

    @property
    def n_tiers(self) -> int:
        return len(self.tiers)

    @property
    def n_systems(self) -> int:
        return len(self.systems)

    def replace(self, **changes: Any) -> "Instance":
        """A copy with some fields changed (cached arrays are recomputed)."""
        return dataclasses.replace(self, **changes)

    @cached_property
    def is_chain(self) -> bool:
        """Whether every node is fed by exactly the previous one (the first by the raw input)."""
        return all(node.inputs == ((i - 1,) if i else ()) for i, node in enumerate(self.nodes))

    @cached_property
    def system_index(self) -> dict[str, int]:
        return {s.name: i for i, s in enumerate(self.systems)}

    @cached_property
    def tier_index(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.tiers)}

    @cached_property
    def system_tier(self) -> np.ndarray:
        """Tier index of each system, shape ``(S,)``."""
        return np.array([self.tier_index[s.tier] for s in self.systems], dtype=np.int64)

    @cached_property
    def candidates(self) -> tuple[tuple[int, ...], ...]:
        """Per tier, indices of the systems the constraints let the plan choose."""
        c = self.constraints
        out = []
        for t, tier in enumerate(self.tiers):
            allowed = c.allowed_systems[t] if c.allowed_systems else None
            excluded = set(c.excluded_systems[t]) if c.excluded_systems else set()
            out.append(
                tuple(
                    i
                    for i, s in enumerate(self.systems)
                    if s.tier == tier and (allowed is None or s.name in allowed) and s.name not in excluded
                )
            )
        return tuple(out)

    # ---- arrays ----------------------------------------------------------
    @cached_property
    def latency(self) -> np.ndarray:
        """Compute time of node ``i`` on system ``s``: shape ``(S, n)``, seconds."""
        return np.array([s.latency_s for s in self.systems], dtype=float).reshape(self.n_systems, self.n_nodes)

    @cached_property
    def boundary_bytes(self) -> np.ndarray:
        """Bytes crossing boundary ``b`` (just before node ``b``): raw input, then node outputs; ``(n+1,)``."""
        return np.array([self.input_bytes] + [n.output_bytes for n in self.nodes], dtype=float)

    @cached_property
    def param_bytes(self) -> np.ndarray:
        return np.array([n.param_bytes for n in self.nodes], dtype=float)

    @cached_property
    def activation_bytes(self) -> np.ndarray:
        """Peak activation bytes per node (output bytes where not given)."""
        return np.array(
            [n.output_bytes if n.activation_bytes is None else n.activation_bytes for n in self.nodes], dtype=float
        )

    @cached_property
    def has_link(self) -> np.ndarray:
        """``(S, S)`` booleans: a link from system ``s`` to ``s'`` exists."""
        out = np.zeros((self.n_systems, self.n_systems), dtype=bool)
        for link in self.links:
            out[self.system_index[link.source], self.system_index[link.destination]] = True
        return out

    def _link_matrix(self, value: str, scale: float) -> np.ndarray:
        out = np.full((self.n_systems, self.n_systems), np.nan)
        for link in self.links:
            out[self.system_index[link.source], self.system_index[link.destination]] = getattr(link, value) * scale
        return out

    @cached_property
    def link_latency_s(self) -> np.ndarray:
        """Fixed time per transfer, seconds; NaN where there is no link."""
        return self._link_matrix("latency_ms", 1e-3)

    @cached_property
    def link_bytes_per_s(self) -> np.ndarray:
        """Bandwidth in bytes per second; NaN where there is no link."""
        return self._link_matrix("bandwidth_mbps", MBPS / BITS_PER_BYTE)

    @cached_property
    def link_tx_w(self) -> np.ndarray:
        return self._link_matrix("tx_power_w", 1.0)

    def transfer_s(self, nbytes: float | np.ndarray, src: int, dst: int) -> float | np.ndarray:
        """Time on the wire (bandwidth part only) for ``nbytes`` from ``src`` to ``dst``."""
        return nbytes / self.link_bytes_per_s[src, dst]

    def hop_s(self, nbytes: float | np.ndarray, src: int, dst: int) -> float | np.ndarray:
        """Time of one hop: the link's fixed latency plus the transfer time."""
        return self.link_latency_s[src, dst] + nbytes / self.link_bytes_per_s[src, dst]

    # ---- node references ---------------------------------------------------
    def node_of_layer(self, layer: int) -> int | None:
        """Index of the node whose layer range covers model layer ``layer``."""
        for i, node in enumerate(self.nodes):
            if node.layers[0] <= layer <= node.layers[1]:
                return i
        return None

    # ---- writing -----------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The instance as a JSON-ready dict in the ``scission-opt/instance@1`` format."""
        return _to_dict(self)

    def save(self, path: str | Path) -> None:
        """Write the instance as JSON, atomically."""
        write_json_atomic(path, self.to_dict())


# ---------------------------------------------------------------------------
# Reading


def load_instance(path: str | Path) -> Instance:
    """Read and validate an instance file.

    Raises
    ------
    InvalidInstanceError
        With the file name and field path, for any problem.
    """
    return parse_instance(read_json(path), str(path))


def parse_instance(data: Any, source: str = "<instance>") -> Instance:
    """Validate a parsed JSON document and build an :class:`Instance`."""
    root = Fields(data, "", source)
    fmt = root.string("format")
    if fmt != FORMAT:
        root.fail(f"unsupported format {fmt!r}; expected {FORMAT!r}", "format")
    name = root.string("name", "instance")
    provenance = root.string("provenance", "")

    model = root.object("model")
    model_name = model.string("name")
    input_bytes = model.number("input_bytes")
    raw_nodes = model.array("nodes")
    if not raw_nodes:
        model.fail("must list at least one node", model.sub("nodes"))
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
        root.fail(f"no system in the first tier {tiers[0]!r}: the raw input has nowhere to be born", "systems")

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
            raise InvalidInstanceError(f"duplicate name {name!r}", source, f"{field_path}[{i}].name" if field_path != "tiers" else f"tiers[{i}]")
        seen.add(name)


def _parse_node(raw: Any, i: int, base: str, source: str) -> Node:
    f = Fields(raw, f"{base}[{i}]", source)
    name = f.string("name")
    layers = f.array("layers")
    if len(layers) != 2:
        f.fail(f"must be [first, last], got {len(layers)} entries", f.sub("layers"))
    first = check_integer(layers[0], f.sub("layers") + "[0]", source)
    last = check_integer(layers[1], f.sub("layers") + "[1]", source)
    if last < first:
        f.fail(f"last layer {last} is before first layer {first}", f.sub("layers"))
    inputs_raw = f.array("inputs", [i - 1] if i else [])
    inputs = []
    for j, v in enumerate(inputs_raw):
        k = check_integer(v, f"{f.sub('inputs')}[{j}]", source)
        if k >= i:
            f.fail(f"must name an earlier node (index < {i}), got {k}", f"{f.sub('inputs')}[{j}]")
        inputs.append(k)
    node = Node(
        name=name,
        layers=(first, last),
        inputs=tuple(inputs),
        output_bytes=f.number("output_bytes"),
        param_bytes=f.number("param_bytes", 0.0),
        flops=f.number("flops", None),
        activation_bytes=f.number("activation_bytes", None),
    )
    f.done()
    return node


def _parse_system(raw: Any, i: int, tiers: tuple[str, ...], n: int, source: str) -> System:
    f = Fields(raw, f"systems[{i}]", source)
    name = f.string("name")
    tier = f.string("tier")
    if tier not in tiers:
        f.fail(f"unknown tier {tier!r} (tiers: {', '.join(tiers)})", f.sub("tier"))
    system = System(
        name=name,
        tier=tier,
        latency_s=tuple(f.numbers("latency_s", n)),
        memory_bytes=f.number("memory_bytes", None),
        compute_w=f.number("compute_w", None),
        idle_w=f.number("idle_w", 0.0),
        price_per_s=f.number("price_per_s", 0.0),
        trusted=f.boolean("trusted", tier == tiers[0]),
        provenance=f.string("provenance", ""),
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
            f.fail(f"unknown system {value!r}", f.sub(key))
    if src == dst:
        f.fail("a link must join two different systems", f.sub("destination"))
    link = Link(
        source=src,
        destination=dst,
        latency_ms=f.number("latency_ms"),
        bandwidth_mbps=f.number("bandwidth_mbps", positive=True),
        tx_power_w=f.number("tx_power_w", 0.0),
    )
    f.done()
    return link


def _node_ref(f: Fields, nodes: tuple[Node, ...], key_path: str) -> int:
    """A node named by index (``"node": 3``), by name (``"node": "block3"``) or by model layer (``"layer": 17``)."""
    source = f.source
    if f.has("node") and f.has("layer"):
        f.fail("give either node or layer, not both")
    if f.has("layer"):
        layer = f.integer("layer")
        for i, node in enumerate(nodes):
            if node.layers[0] <= layer <= node.layers[1]:
                return i
        f.fail(f"no node covers model layer {layer}", f.sub("layer"))
    value = f.raw("node")
    if isinstance(value, str):
        for i, node in enumerate(nodes):
            if node.name == value:
                return i
        f.fail(f"unknown node {value!r}", f.sub("node"))
    index = check_integer(value, f.sub("node"), source)
    if index >= len(nodes):
        f.fail(f"node index must be < {len(nodes)}, got {index}", f.sub("node"))
    return index


def _tier_ref(f: Fields, key: str, tiers: tuple[str, ...]) -> int:
    tier = f.string(key)
    if tier not in tiers:
        f.fail(f"unknown tier {tier!r} (tiers: {', '.join(tiers)})", f.sub(key))
    return tiers.index(tier)


def _per_tier(f: Fields | None, key: str, tiers: tuple[str, ...], *, maximum: float | None = None) -> tuple[float | None, ...]:
    out: list[float | None] = [None] * len(tiers)
    if f is None:
        return tuple(out)
    sub = f.object(key, None)
    if sub is None:
        return tuple(out)
    for tier in sub.data:
        if tier not in tiers:
            sub.fail(f"unknown tier {tier!r} (tiers: {', '.join(tiers)})", sub.sub(tier))
        out[tiers.index(tier)] = sub.number(tier, maximum=maximum)
    sub.done()
    return tuple(out)


def _parse_constraints(
    f: Fields | None, nodes: tuple[Node, ...], tiers: tuple[str, ...], systems: tuple[System, ...], source: str
) -> Constraints:
    n_tiers = len(tiers)
    if f is None:
        return Constraints(
            allowed_systems=(None,) * n_tiers,
            excluded_systems=((),) * n_tiers,
            upload_limit_bytes=(None,) * n_tiers,
            compute_time_limit_s=(None,) * n_tiers,
            compute_time_limit_pct=(None,) * n_tiers,
        )
    privacy = f.integer("privacy_nodes", 0)
    if privacy > len(nodes):
        f.fail(f"must be <= the number of nodes ({len(nodes)}), got {privacy}", f.sub("privacy_nodes"))

    def pairs(key: str) -> tuple[tuple[int, int], ...]:
        out = []
        for j, raw in enumerate(f.array(key, [])):
            item = Fields(raw, f"{f.sub(key)}[{j}]", source)
            node = _node_ref(item, nodes, item.path)
            tier = _tier_ref(item, "tier", tiers)
            item.done()
            out.append((node, tier))
        return tuple(out)

    pins = pairs("pins")
    bans = pairs("bans")

    by_name = {s.name: s for s in systems}

    def system_lists(key: str) -> dict[int, tuple[str, ...]]:
        sub = f.object(key, None)
        out: dict[int, tuple[str, ...]] = {}
        if sub is None:
            return out
        for tier in sub.data:
            if tier not in tiers:
                sub.fail(f"unknown tier {tier!r} (tiers: {', '.join(tiers)})", sub.sub(tier))
            names = sub.array(tier)
            for j, name in enumerate(names):
                check_string(name, f"{sub.sub(tier)}[{j}]", source)
                if name not in by_name:
                    sub.fail(f"unknown system {name!r}", f"{sub.sub(tier)}[{j}]")
                if by_name[name].tier != tier:
                    sub.fail(f"system {name!r} is in tier {by_name[name].tier!r}, not {tier!r}", f"{sub.sub(tier)}[{j}]")
            out[tiers.index(tier)] = tuple(names)
        sub.done()
        return out

    allowed = system_lists("allowed_systems")
    excluded = system_lists("excluded_systems")

    def tier_set(key: str) -> frozenset[int]:
        out = set()
        for j, tier in enumerate(f.array(key, [])):
            check_string(tier, f"{f.sub(key)}[{j}]", source)
            if tier not in tiers:
                f.fail(f"unknown tier {tier!r} (tiers: {', '.join(tiers)})", f"{f.sub(key)}[{j}]")
            out.add(tiers.index(tier))
        return frozenset(out)

    required = tier_set("tiers_required")
    forbidden = tier_set("tiers_forbidden")
    both = required & forbidden
    if both:
        f.fail(f"tier {tiers[min(both)]!r} is both required and forbidden", f.sub("tiers_forbidden"))

    constraints = Constraints(
        privacy_nodes=privacy,
        pins=pins,
        bans=bans,
        allowed_systems=tuple(allowed.get(t) for t in range(n_tiers)),
        excluded_systems=tuple(excluded.get(t, ()) for t in range(n_tiers)),
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
    if ":" not in name and name not in objective_names():
        f.fail(f"unknown objective {name!r} (known: {', '.join(objective_names())}, or package.module:name)", f.sub("name"))
    weights_f = f.object("weights", None)
    weights: list[tuple[str, float]] = []
    if weights_f is not None:
        for key in weights_f.data:
            if key not in BUILTIN:
                weights_f.fail(f"unknown objective {key!r} (weights may name: {', '.join(BUILTIN)})", weights_f.sub(key))
            weights.append((key, weights_f.number(key)))
        weights_f.done()
    if name == "weighted" and not weights:
        f.fail("the weighted objective needs weights", f.sub("weights"))
    f.done()
    return ObjectiveSpec(name=name, weights=tuple(weights))


# ---------------------------------------------------------------------------
# Writing


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _to_dict(inst: Instance) -> dict[str, Any]:
    c = inst.constraints
    tiers = inst.tiers

    def per_tier(values: tuple[Any, ...]) -> dict[str, Any] | None:
        out = {tiers[t]: v for t, v in enumerate(values) if v is not None}
        return out or None

    constraints = _drop_none(
        {
            "privacy_nodes": c.privacy_nodes or None,
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
    if inst.objective != ObjectiveSpec():
        obj: dict[str, Any] = {"name": inst.objective.name}
        if inst.objective.weights:
            obj["weights"] = dict(inst.objective.weights)
        out["objective"] = obj
    return out
