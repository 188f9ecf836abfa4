"""The immutable problem description: nodes, systems, links, constraints, and the instance.

Every type checks itself when it is built (``__post_init__``), with the one-line
field-path errors of the JSON reader; :meth:`Instance.replace` builds a new
instance, so a changed copy is checked too. This is the one construction path:
the JSON reader (:mod:`scission_opt.instance`), the profiler, the Scission
converter and the generator all build these objects directly.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from . import _validate
from ._writer import instance_to_dict
from .io import write_json_atomic
from .objectives.spec import ObjectiveSpec

BITS_PER_BYTE = 8.0
MBPS = 1e6  # bit/s in one Mbps


def _set(obj: Any, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)


T = TypeVar("T")


def _unchecked(cls: type[T], values: dict[str, Any]) -> T:
    """An instance of frozen dataclass ``cls`` with ``values`` set as they are: no ``__post_init__`` check runs."""
    obj = object.__new__(cls)
    obj.__dict__.update(values)
    return obj


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

    def __post_init__(self) -> None:
        _set(self, "layers", tuple(self.layers))
        _set(self, "inputs", tuple(self.inputs))
        _validate.check_node(self)
        # checked: now give every field its one type (2.0 -> 2 for indices, ints -> float for sizes)
        _set(self, "layers", (int(self.layers[0]), int(self.layers[1])))
        _set(self, "inputs", tuple(int(k) for k in self.inputs))
        for key in ("output_bytes", "param_bytes", "flops", "activation_bytes"):
            value = getattr(self, key)
            if value is not None and type(value) is not float:
                _set(self, key, float(value))

    @classmethod
    def _checked(cls, **values: Any) -> Node:
        """A node from values already checked by these rules and given their types (by :mod:`scission_opt._nodes`).

        No check runs: only a reader that checked every field in bulk builds nodes this way.
        """
        return _unchecked(cls, values)


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

    def __post_init__(self) -> None:
        _set(self, "latency_s", tuple(self.latency_s))
        if not _validate.check_system(self):
            _set(self, "latency_s", tuple(map(float, self.latency_s)))
        for key in ("memory_bytes", "compute_w", "idle_w", "price_per_s", "segment_overhead_s"):
            value = getattr(self, key)
            if value is not None and type(value) is not float:
                _set(self, key, float(value))

    @classmethod
    def _checked(cls, **values: Any) -> System:
        """A system from values the JSON reader has checked with these same checks and given their types.

        No check runs: the reader's field checks (:mod:`scission_opt._fields`) are the ones
        :func:`~scission_opt._validate.check_system` makes, so checking again would only repeat them
        (for 48 systems of 100,000 latencies, a tenth of the load time).
        """
        return _unchecked(cls, values)


@dataclass(frozen=True)
class Link:
    """A directed network link; a hop between two systems needs one."""

    source: str
    destination: str
    latency_ms: float
    bandwidth_mbps: float
    tx_power_w: float = 0.0

    def __post_init__(self) -> None:
        _validate.check_link(self)
        for key in ("latency_ms", "bandwidth_mbps", "tx_power_w"):
            _set(self, key, float(getattr(self, key)))


@dataclass(frozen=True)
class Constraints:
    """User constraints. Per-tier values are tuples indexed by tier (``None`` = no limit).

    Attributes
    ----------
    privacy_nodes
        The first ``privacy_nodes`` nodes must run on trusted systems (and the
        raw input must be born on a trusted system when it is >= 1).
    privacy_set
        Indices of nodes that must run on trusted systems, wherever they sit
        in the topological order (a named set; the origin need not be trusted).
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
    privacy_set: frozenset[int] = frozenset()
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

    def __post_init__(self) -> None:
        _set(
            self,
            "pins",
            tuple(tuple(p) if isinstance(p, list) else p for p in self.pins),
        )
        _set(
            self,
            "bans",
            tuple(tuple(p) if isinstance(p, list) else p for p in self.bans),
        )
        _set(
            self,
            "allowed_systems",
            tuple(a if a is None else tuple(a) for a in self.allowed_systems),
        )
        _set(
            self,
            "excluded_systems",
            tuple(tuple(e or ()) for e in self.excluded_systems),
        )
        _set(self, "privacy_set", frozenset(self.privacy_set))
        _set(self, "tiers_required", frozenset(self.tiers_required))
        _set(self, "tiers_forbidden", frozenset(self.tiers_forbidden))
        for key in (
            "upload_limit_bytes",
            "compute_time_limit_s",
            "compute_time_limit_pct",
        ):
            _set(self, key, tuple(getattr(self, key)))
        _validate.check_constraints(self)

    def groups(self, n_tiers: int) -> tuple[str, ...]:
        """Names of the constraint groups that are active, in :data:`GROUP_FIELDS` order."""
        return tuple(name for name, fields in GROUP_FIELDS.items() if any(_is_set(f, getattr(self, f)) for f in fields))

    def without(self, group: str, n_tiers: int) -> Constraints:
        """A copy with one constraint group (as named by :meth:`groups`) dropped."""
        if group not in GROUP_FIELDS:
            raise ValueError(f"unknown constraint group {group!r} (groups: {', '.join(GROUP_FIELDS)})")
        return dataclasses.replace(self, **{f: _unset(f, n_tiers) for f in GROUP_FIELDS[group]})


#: Each user constraint group and the :class:`Constraints` fields it owns. The evaluator's
#: table (:data:`scission_opt.checks.CHECKS`) checks the same groups under the same names.
GROUP_FIELDS: dict[str, tuple[str, ...]] = {
    "privacy": ("privacy_nodes", "privacy_set"),
    "pins": ("pins",),
    "bans": ("bans",),
    "system_filters": ("allowed_systems", "excluded_systems"),
    "tier_usage": ("tiers_required", "tiers_forbidden"),
    "energy_budget": ("energy_budget_j",),
    "upload_limits": ("upload_limit_bytes",),
    "compute_time_limits": ("compute_time_limit_s",),
    "compute_time_pct_limits": ("compute_time_limit_pct",),
    "deadline": ("deadline_s",),
}

#: Per-tier fields: dropped to one "no limit" entry per tier.
_PER_TIER_UNSET: dict[str, Any] = {
    "allowed_systems": None,
    "excluded_systems": (),
    "upload_limit_bytes": None,
    "compute_time_limit_s": None,
    "compute_time_limit_pct": None,
}


def _is_set(field_name: str, value: Any) -> bool:
    """Whether a constraint field says anything: per tier, an entry other than "no limit"; else not its default."""
    if field_name in _PER_TIER_UNSET:
        return any(v != _PER_TIER_UNSET[field_name] for v in value)
    return bool(value != Constraints.__dataclass_fields__[field_name].default)


def _unset(field_name: str, n_tiers: int) -> Any:
    if field_name in _PER_TIER_UNSET:
        return (_PER_TIER_UNSET[field_name],) * n_tiers
    return Constraints.__dataclass_fields__[field_name].default


@dataclass(frozen=True, eq=False)
class Instance:
    """An immutable partitioning problem: model, tiers, systems, links, constraints.

    Build one directly (it checks itself and raises
    :class:`~scission_opt.errors.InvalidInstanceError` naming the field), or read
    one with :func:`~scission_opt.instance.load_instance`; derive a checked,
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
        for key in ("nodes", "tiers", "systems", "links"):
            _set(self, key, tuple(getattr(self, key)))
        # Per-tier tuples may be left empty by a hand-built Constraints(); pad them
        # so every consumer can index by tier.
        c, t = self.constraints, len(self.tiers)
        if not isinstance(c, Constraints):
            raise TypeError(f"constraints must be a Constraints, got {type(c).__name__}")

        def pad(values: tuple[Any, ...], empty: Any) -> tuple[Any, ...]:
            return tuple(values) + (empty,) * (t - len(values))

        _set(
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
        _validate.check_instance(self)
        if type(self.input_bytes) is not float:
            _set(self, "input_bytes", float(self.input_bytes))

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

    def replace(self, **changes: Any) -> Instance:
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

    @cached_property
    def plan_count(self) -> int:
        """How many distinct plans the tiers and candidate systems allow (links and constraints ignored).

        An upper bound on what any top-k can return: an origin system, a non-empty
        set of used tiers with one candidate system each, and a split of the
        chain into that many contiguous non-empty ranges.
        """
        from math import comb

        n = self.n_nodes
        ways = [1]  # ways[k]: choices of k used tiers after the first, with a system each
        for cands in self.candidates[1:]:
            ways = [a + b * len(cands) for a, b in zip([*ways, 0], [0, *ways], strict=True)]
        total = 0
        for k, w in enumerate(ways):
            total += w * ((comb(n - 1, k - 1) if k >= 1 else 0) + comb(n - 1, k))
        return len(self.candidates[0]) * total

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
            [n.output_bytes if n.activation_bytes is None else n.activation_bytes for n in self.nodes],
            dtype=float,
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
        return instance_to_dict(self)

    def save(self, path: str | Path) -> None:
        """Write the instance as JSON, atomically."""
        write_json_atomic(path, self.to_dict())
