"""Network overrides: pure functions from an Instance to a changed Instance.

A link is named ``SRC:DST`` where each side is a tier name (every system of that
tier) or a system name. Bad names raise :class:`InvalidInstanceError` whose
source is the option (``--bandwidth``), so the CLI prints one line and exits 2.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import InvalidInstanceError
from ..instance import Instance, Link


@dataclass(frozen=True)
class LinkSelector:
    """``SRC:DST`` as given: each side a tier or a system name."""

    source: str
    destination: str

    def __str__(self) -> str:
        return f"{self.source}:{self.destination}"


def parse_selector(text: str, option: str) -> LinkSelector:
    """``SRC:DST`` -> :class:`LinkSelector` (names checked later, against an instance)."""
    src, sep, dst = text.partition(":")
    if not sep or not src or not dst:
        raise InvalidInstanceError(f"expected SRC:DST (tier or system names), got {text!r}", option)
    return LinkSelector(src.strip(), dst.strip())


def parse_link_value(text: str, option: str, *, positive: bool) -> tuple[LinkSelector, float]:
    """``SRC:DST=NUMBER`` -> ``(selector, number)``."""
    left, sep, right = text.rpartition("=")
    if not sep:
        raise InvalidInstanceError(f"expected SRC:DST=NUMBER, got {text!r}", option)
    try:
        value = float(right)
    except ValueError:
        raise InvalidInstanceError(f"not a number: {right!r} in {text!r}", option) from None
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise InvalidInstanceError(f"must be a finite number {'> 0' if positive else '>= 0'}, got {right}", option)
    return parse_selector(left, option), value


def _systems_named(instance: Instance, name: str, option: str) -> set[str]:
    if name in instance.tier_index:
        return {s.name for s in instance.systems if s.tier == name}
    if name in instance.system_index:
        return {name}
    raise InvalidInstanceError(
        f"unknown tier or system {name!r} (tiers: {', '.join(instance.tiers)}; "
        f"systems: {', '.join(s.name for s in instance.systems)})",
        option,
    )


def select_links(instance: Instance, selector: LinkSelector, option: str) -> list[int]:
    """Indices into ``instance.links`` of the links ``selector`` names; at least one, else an error."""
    sources = _systems_named(instance, selector.source, option)
    destinations = _systems_named(instance, selector.destination, option)
    found = [i for i, lk in enumerate(instance.links) if lk.source in sources and lk.destination in destinations]
    if not found:
        raise InvalidInstanceError(f"no link from {selector.source} to {selector.destination} in the instance", option)
    return found


def with_links(instance: Instance, changes: dict[int, Link]) -> Instance:
    """A copy with some links (by index) replaced."""
    return instance.replace(links=tuple(changes.get(i, lk) for i, lk in enumerate(instance.links)))


def set_bandwidth(instance: Instance, selector: LinkSelector, mbps: float, option: str = "--bandwidth") -> Instance:
    """Every link ``selector`` names runs at ``mbps`` megabits per second."""
    idx = select_links(instance, selector, option)
    return with_links(instance, {i: dataclasses.replace(instance.links[i], bandwidth_mbps=mbps) for i in idx})


def set_latency(instance: Instance, selector: LinkSelector, ms: float, option: str = "--link-latency") -> Instance:
    """Every link ``selector`` names has a fixed latency of ``ms`` milliseconds."""
    idx = select_links(instance, selector, option)
    return with_links(instance, {i: dataclasses.replace(instance.links[i], latency_ms=ms) for i in idx})


def _expand(instance: Instance, link: Link, where: str) -> list[Link]:
    """A network file's link whose ends may be tier names -> one link per pair of systems."""
    sources = _systems_named(instance, link.source, where)
    destinations = _systems_named(instance, link.destination, where)
    return [
        dataclasses.replace(link, source=a, destination=b)
        for a in sorted(sources)
        for b in sorted(destinations)
        if a != b
    ]


def set_network(instance: Instance, links: Sequence[Link], source: str) -> Instance:
    """Replace the instance's links by a network's (ends may be tier names; a pair named twice is an error)."""
    out: list[Link] = []
    seen: set[tuple[str, str]] = set()
    for i, link in enumerate(links):
        for expanded in _expand(instance, link, f"{source}: links[{i}]"):
            key = (expanded.source, expanded.destination)
            if key in seen:
                raise InvalidInstanceError(f"link {key[0]} -> {key[1]} given twice", source, f"links[{i}]")
            seen.add(key)
            out.append(expanded)
    return instance.replace(links=tuple(out))


def apply_overrides(
    instance: Instance,
    *,
    network: str | None = None,
    bandwidth: Sequence[str] = (),
    link_latency: Sequence[str] = (),
    input_bytes: float | None = None,
) -> Instance:
    """Apply the ``solve`` options in order: ``--network`` file, ``--bandwidth``, ``--link-latency``, ``--input-bytes``.

    Parameters
    ----------
    network
        A network file (CSV or JSON, see :mod:`scission_opt.network`) whose
        links replace the instance's.
    bandwidth, link_latency
        ``SRC:DST=MBPS`` and ``SRC:DST=MS`` strings.
    input_bytes
        Size of the raw input sent by the first tier.
    """
    if network is not None:
        from ..network import load_network

        instance = set_network(instance, load_network(network), network)
    for text in bandwidth:
        selector, mbps = parse_link_value(text, "--bandwidth", positive=True)
        instance = set_bandwidth(instance, selector, mbps)
    for text in link_latency:
        selector, ms = parse_link_value(text, "--link-latency", positive=False)
        instance = set_latency(instance, selector, ms)
    if input_bytes is not None:
        if not math.isfinite(input_bytes) or input_bytes < 0:
            raise InvalidInstanceError(f"must be a finite number >= 0, got {input_bytes}", "--input-bytes")
        instance = instance.replace(input_bytes=float(input_bytes))
    return instance
