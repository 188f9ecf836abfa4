"""From profiles to an instance: merge one model's profiles from several systems with a network.

The profiles of one model must agree on its blocks (layer ranges, output and
parameter bytes); the first profile given is the reference and any other that
differs is named with the block that differs. Every hop a plan may use (from
each system to each system of a later tier) needs a link in the network.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._fields import Fields
from ..errors import InvalidInstanceError
from ..instance import Constraints, Instance, Link, Node, System
from ..io import read_json
from ..network import load_network
from .models import ALIASES, APPLICATIONS
from .overhead import net_latencies
from .profile import ModelProfile, Profile, load_profile

#: Tiers in the order data flows through them; other tier names follow in order of appearance.
STANDARD_TIERS = ("device", "edge", "cloud")


@dataclass(frozen=True)
class SystemProperties:
    """What a profile does not measure about a system. ``None``: not given.

    Attributes
    ----------
    memory_bytes
        Memory available for the model's parameters and activations.
    compute_w, idle_w
        Power while computing and while idle, watts.
    price_per_s
        Price per second of compute.
    trusted
        Whether private data may be processed there.
    segment_overhead_s
        Fixed cost the system pays once per contiguous segment it runs (see
        :mod:`~scission_opt.profiler.overhead`). When given, the profile's block
        latencies (which each include it) are netted: ``max(b - f, 0)``.
    provenance
        Where these figures come from.
    """

    memory_bytes: float | None = None
    compute_w: float | None = None
    idle_w: float | None = None
    price_per_s: float | None = None
    trusted: bool | None = None
    segment_overhead_s: float | None = None
    provenance: str = ""


def parse_system_properties(data: Any, source: str = "<systems>") -> dict[str, SystemProperties]:
    """Read ``{"systems": {name: {memory_bytes?, compute_w?, idle_w?, price_per_s?, trusted?, segment_overhead_s?,
    provenance?}}}``.

    A top-level ``"notes"`` string (or list of strings) is allowed for sources and comments.
    """
    root = Fields(data, "", source)
    root.raw("notes", None)
    systems = root.object("systems")
    out = {}
    for name in list(systems.data):
        f = systems.object(name)
        out[name] = SystemProperties(
            memory_bytes=f.number("memory_bytes", None, positive=True),
            compute_w=f.number("compute_w", None),
            idle_w=f.number("idle_w", None),
            price_per_s=f.number("price_per_s", None),
            trusted=f.boolean("trusted") if f.has("trusted") else None,
            segment_overhead_s=f.number("segment_overhead_s", None),
            provenance=f.string("provenance", ""),
        )
        f.done()
    systems.done()
    root.done()
    return out


def load_system_properties(path: str | Path) -> dict[str, SystemProperties]:
    """Read a system properties file (see :func:`parse_system_properties`)."""
    return parse_system_properties(read_json(path), str(path))


def _model_key(model: str, profiles: Sequence[Profile]) -> str:
    """The name ``model`` is recorded under: as given if profiled, else its registry spelling."""
    if any(p.model(model) is not None for p in profiles):
        return model
    key = model.lower().replace("-", "_")
    key = ALIASES.get(key, key)
    return key if key in APPLICATIONS else model


def check_same_blocks(model: str, profiles: Sequence[Profile]) -> list[ModelProfile]:
    """The model's profile from each profile file, after checking that they share their blocks.

    Raises
    ------
    InvalidInstanceError
        Naming the profile file (and system) and the block that differs, or
        the file that lacks the model.
    """
    records = []
    for p in profiles:
        m = p.model(model)
        if m is None:
            known = ", ".join(x.name for x in p.models) or "none"
            raise InvalidInstanceError(
                f"model {model!r} is not in the profile of system {p.system!r} (profiled: {known})", p.source, "models"
            )
        records.append(m)
    ref, ref_p = records[0], profiles[0]
    for m, p in zip(records[1:], profiles[1:], strict=True):
        where = f"models.{model}"
        against = f"the profile of system {ref_p.system!r} ({ref_p.source})"
        if m.input_bytes != ref.input_bytes:
            raise InvalidInstanceError(
                f"system {p.system!r}: input of {m.input_bytes} bytes, {against} has {ref.input_bytes}",
                p.source,
                f"{where}.input_bytes",
            )
        for i, (a, b) in enumerate(zip(m.blocks, ref.blocks, strict=False)):
            diff = a.same_structure(b)
            if diff is not None:
                raise InvalidInstanceError(
                    f"system {p.system!r}: block {i} differs from {against}: {diff}", p.source, f"{where}.blocks[{i}]"
                )
        if len(m.blocks) != len(ref.blocks):
            raise InvalidInstanceError(
                f"system {p.system!r} has {len(m.blocks)} blocks, {against} has {len(ref.blocks)}",
                p.source,
                f"{where}.blocks",
            )
    return records


def _tiers(profiles: Sequence[Profile]) -> list[str]:
    present = [p.tier for p in profiles]
    tiers = [t for t in STANDARD_TIERS if t in present]
    for t in present:
        if t not in tiers:
            tiers.append(t)
    return tiers


def build_instance(
    model: str,
    profiles: Sequence[Profile],
    links: Sequence[Link],
    properties: Mapping[str, SystemProperties] | None = None,
    *,
    name: str | None = None,
    network_source: str = "<network>",
    provenance: str = "",
    source: str = "<instance>",
    input_bytes: int | None = None,
    privacy_nodes: int = 0,
) -> Instance:
    """Merge one model's profiles from several systems with a network into an instance.

    Parameters
    ----------
    model
        The model's name as recorded in the profiles (Scission spellings accepted).
    profiles
        One profile per system; the system's name and tier come from it.
    links
        The network; links between systems not in ``profiles`` are ignored.
    properties
        Optional memory, power, price and trust per system name.
    name
        The instance's name (default: the model's).
    network_source
        File the links came from, for error messages.
    provenance
        The instance's provenance text (a default one names the inputs).
    source
        Name used for the instance in later error messages.
    input_bytes
        Bytes of the raw input as the first tier sends it (default: the
        model's raw input tensor, from the profiles), e.g. a compressed image.
    privacy_nodes
        The first nodes that must run on trusted systems (0: no constraint).

    Raises
    ------
    InvalidInstanceError
        For profiles that disagree on the model's blocks, a system profiled
        twice, or a missing link.
    """
    if not profiles:
        raise InvalidInstanceError("give at least one profile", None, "profiles")
    key = _model_key(model, profiles)
    records = check_same_blocks(key, profiles)
    properties = dict(properties or {})
    seen: dict[str, Profile] = {}
    for p in profiles:
        if p.system in seen:
            raise InvalidInstanceError(
                f"system {p.system!r} is also profiled in {seen[p.system].source}", p.source, "system"
            )
        seen[p.system] = p
    tiers = _tiers(profiles)
    order = {t: i for i, t in enumerate(tiers)}

    used_links = _used_links(profiles, links, order, network_source)

    ref = records[0]
    nodes = [_node(i, blk) for i, blk in enumerate(ref.blocks)]

    systems = [
        _system(p, m, properties.get(p.system, SystemProperties()), tiers[0])
        for p, m in sorted(zip(profiles, records, strict=True), key=lambda pm: order[pm[0].tier])
    ]

    if not provenance:
        provenance = (
            f"built from the profiles {', '.join(p.source for p in profiles)} and the network {network_source}; "
            f"model {key}: {ref.source}, input shape {list(ref.input_shape)}, {len(ref.blocks)} blocks"
        )
    # Built as typed objects, which check themselves (no JSON round trip).
    return Instance(
        name=name or key,
        model=key,
        input_bytes=ref.input_bytes if input_bytes is None else input_bytes,
        nodes=tuple(nodes),
        tiers=tuple(tiers),
        systems=tuple(systems),
        links=tuple(used_links),
        constraints=Constraints(privacy_nodes=privacy_nodes),
        provenance=provenance,
        source=source,
    )


def _used_links(
    profiles: Sequence[Profile], links: Sequence[Link], order: Mapping[str, int], network_source: str
) -> list[Link]:
    """Every link from a system to one of a later tier (each required), then those back towards earlier tiers."""
    by_pair = {(lk.source, lk.destination): lk for lk in links}
    used = []
    for a in profiles:
        for b in profiles:
            if order[a.tier] < order[b.tier]:
                link = by_pair.get((a.system, b.system))
                if link is None:
                    raise InvalidInstanceError(
                        f"missing link {a.system} -> {b.system} ({a.tier} -> {b.tier})", network_source, "links"
                    )
                used.append(link)
    # Links back towards earlier tiers are kept when given (a plan may return its output).
    used += [
        by_pair[(a.system, b.system)]
        for a in profiles
        for b in profiles
        if order[a.tier] > order[b.tier] and (a.system, b.system) in by_pair
    ]
    return used


def _node(i: int, blk: Any) -> Node:
    return Node(
        name=f"b{i}_{blk.last_layer}" if blk.last_layer else f"b{i}",
        layers=tuple(blk.layers),
        inputs=(i - 1,) if i else (),
        output_bytes=blk.output_bytes,
        param_bytes=blk.param_bytes,
        flops=blk.flops,
        activation_bytes=blk.activation_bytes,
    )


def _system(p: Profile, m: ModelProfile, props: SystemProperties, first_tier: str) -> System:
    """One system of the instance: latencies (net of the segment cost when given), properties, provenance."""
    text = f"latency_s: {_latency_provenance(p)} (profile {p.source})"
    latency = list(m.latency_s)
    if props.segment_overhead_s:
        latency = list(net_latencies(latency, props.segment_overhead_s))
        text += f"; latencies net of the segment fixed cost, max(b - {props.segment_overhead_s:.6g} s, 0)"
    if props.provenance:
        text += f"; other figures: {props.provenance}"
    given = {
        key: getattr(props, key)
        for key in ("memory_bytes", "compute_w", "idle_w", "price_per_s", "trusted", "segment_overhead_s")
        if getattr(props, key) is not None
    }
    given.setdefault("trusted", p.tier == first_tier)  # the first tier is trusted unless said otherwise
    return System(name=p.system, tier=p.tier, latency_s=tuple(latency), provenance=text, **given)


def with_fitted_overheads(
    profiles: Sequence[Profile], properties: Mapping[str, SystemProperties] | None = None
) -> dict[str, SystemProperties]:
    """``properties`` with a segment fixed cost for every profiled system that has none.

    A measured profile's cost is fitted over all its models (one per system, see
    :func:`~scission_opt.profiler.overhead.fit_profile`); an estimated profile's is
    its per-call cost (the spec's ``fixed_s``, recorded as each model's fixed call).
    """
    from dataclasses import replace as _replace

    from .overhead import fit_profile

    out = dict(properties or {})
    for p in profiles:
        props = out.get(p.system, SystemProperties())
        if props.segment_overhead_s is not None:
            continue
        if p.provenance.method == "estimated":
            f = p.models[0].fixed_call.median_s if p.models else 0.0
            how = f"segment_overhead_s = the estimate's fixed cost per call ({f * 1e3:.4g} ms)"
        else:
            fit = fit_profile(p, with_loo=False)
            f, how = fit.segment_overhead_s, fit.describe()
        text = f"{props.provenance}; {how}" if props.provenance else how
        out[p.system] = _replace(props, segment_overhead_s=f, provenance=text)
    return out


def _latency_provenance(p: Profile) -> str:
    """How a profile's latencies were obtained; its own note alone when it was not measured with TensorFlow."""
    prov = p.provenance
    if prov.method == "measured" and not prov.tensorflow and prov.note:
        return f"measured on {prov.cpu or p.system}: {prov.note}" if prov.cpu else f"measured: {prov.note}"
    return prov.describe()


def build_instance_files(
    model: str,
    profile_paths: Sequence[str | Path],
    network_path: str | Path,
    output: str | Path | None = None,
    *,
    systems_path: str | Path | None = None,
    name: str | None = None,
    provenance: str = "",
    input_bytes: int | None = None,
    privacy_nodes: int = 0,
    fit_overhead: bool = False,
) -> Instance:
    """:func:`build_instance` from files; writes the instance atomically to ``output`` when given.

    With ``fit_overhead``, every system the systems file gives no ``segment_overhead_s`` gets one from
    :func:`with_fitted_overheads`.
    """
    profiles = [load_profile(p) for p in profile_paths]
    links = load_network(network_path)
    properties = load_system_properties(systems_path) if systems_path is not None else None
    if fit_overhead:
        properties = with_fitted_overheads(profiles, properties)
    instance = build_instance(
        model,
        profiles,
        links,
        properties,
        name=name,
        network_source=str(network_path),
        provenance=provenance,
        source=str(output) if output is not None else "<instance>",
        input_bytes=input_bytes,
        privacy_nodes=privacy_nodes,
    )
    if output is not None:
        instance.save(output)
    return instance
