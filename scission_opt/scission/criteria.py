"""Scission's query criteria -> :class:`~scission_opt.Constraints`.

``-d``, ``-e`` and ``-c`` take, for the device, edge and cloud tier, a
comma-separated list of:

==========  ==========================================  =====================
token       meaning                                      constraint
==========  ==========================================  =====================
``N``       Keras layer N must run on this tier          ``pins``
``!N``      Keras layer N must not run on this tier      ``bans``
``name``    only this system may be used for the tier    ``allowed_systems``
``!name``   this system must not be used                 ``excluded_systems``
``-1``      the tier must not be used                    ``tiers_forbidden``
``!-1``     the tier must be used                        ``tiers_required``
==========  ==========================================  =====================

Layer numbers are mapped to the node (Scission block) whose layer range covers
them. A whole number that no block covers but that names a system of the tier
(Scission's example network has an edge machine called ``2500``) is taken as
that system; a number that is both a layer and a system name means the layer.
Several names in one list mean "any of these".

``--device-upload``/``--edge-upload`` in MB (10^6 bytes) limit the bytes a
tier sends; ``--device-time``/``--edge-time``/``--cloud-time`` limit a tier's
compute time in seconds (``0.5``) or as a percentage of the total compute time
(``30%``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import InvalidInstanceError
from ..instance import Instance

#: Option names, per tier, as Scission spells them.
CRITERIA_OPTIONS = {"device": "-d", "edge": "-e", "cloud": "-c"}


@dataclass(frozen=True)
class Token:
    """One criterion: ``text`` (a layer number or a system name) and whether it was negated with ``!``."""

    text: str
    negated: bool

    @property
    def number(self) -> int | None:
        try:
            return int(self.text)
        except ValueError:
            return None


@dataclass(frozen=True)
class TierCriteria:
    """The parsed criteria of one tier, before layers and names are resolved against an instance."""

    tier: str
    option: str
    tokens: tuple[Token, ...]


def parse_criteria(text: str, tier: str, option: str | None = None) -> TierCriteria:
    """Split one ``-d/-e/-c`` value into tokens; errors name the option and the token."""
    option = option or CRITERIA_OPTIONS.get(tier, tier)
    # ``-d=-1,5`` reaches us as "=-1,5": argparse would take a bare "-1,5" for an option.
    text = text[1:] if text.startswith("=") else text
    tokens = []
    for raw in text.split(","):
        item = raw.strip()
        negated = item.startswith("!")
        body = item[1:].strip() if negated else item
        if not body:
            raise InvalidInstanceError(f"empty criterion in {text!r}", option)
        tokens.append(Token(body, negated))
    return TierCriteria(tier, option, tuple(tokens))


def parse_time_limit(text: str, option: str) -> tuple[float | None, float | None]:
    """``"0.5"`` -> ``(0.5, None)`` seconds; ``"30%"`` -> ``(None, 30.0)`` percent of total compute."""
    body = text.strip()
    pct = body.endswith("%")
    if pct:
        body = body[:-1].strip()
    try:
        value = float(body)
    except ValueError:
        raise InvalidInstanceError(f"expected seconds (0.5) or a percentage (30%), got {text!r}", option) from None
    if not math.isfinite(value) or value < 0:
        raise InvalidInstanceError(f"must be >= 0, got {text!r}", option)
    if pct:
        if value > 100:
            raise InvalidInstanceError(f"a percentage must be <= 100, got {text!r}", option)
        return None, value
    return value, None


def parse_megabytes(text: str, option: str) -> float:
    """A size in MB (10^6 bytes) -> bytes."""
    try:
        value = float(text)
    except ValueError:
        raise InvalidInstanceError(f"expected a size in MB, got {text!r}", option) from None
    if not math.isfinite(value) or value < 0:
        raise InvalidInstanceError(f"must be >= 0 MB, got {text!r}", option)
    return value * 1e6


def _upload_limits(
    instance: Instance, upload: list[float | None], upload_mb: Mapping[str, str | float | None] | None
) -> None:
    """Set ``upload[t]`` in bytes from each tier's MB (a number or its text)."""
    for tier, value in (upload_mb or {}).items():
        if value is None:
            continue
        t = _tier(instance, tier)
        option = f"--{tier}-upload"
        limit = value * 1e6 if isinstance(value, (int, float)) else parse_megabytes(value, option)
        if not math.isfinite(limit) or limit < 0:
            raise InvalidInstanceError(f"must be >= 0 MB, got {value}", option)
        upload[t] = limit


def apply_criteria(
    instance: Instance,
    criteria: Mapping[str, str | None] | None = None,
    *,
    upload_mb: Mapping[str, str | float | None] | None = None,
    time_limit: Mapping[str, str | None] | None = None,
) -> Instance:
    """A copy of ``instance`` with Scission's criteria and limits added to its constraints.

    Parameters
    ----------
    criteria
        Tier name -> the ``-d/-e/-c`` text (``None`` or absent: no criteria).
    upload_mb
        Tier name -> upload limit in MB (a number or its text).
    time_limit
        Tier name -> ``"S"`` seconds or ``"P%"``.

    Raises
    ------
    InvalidInstanceError
        Naming the option: a layer no block covers, an unknown system, a
        system of another tier, a tier both required and forbidden, a bad number.
    """
    c = instance.constraints
    pins, bans = list(c.pins), list(c.bans)
    allowed = list(c.allowed_systems)
    excluded = [list(e) for e in c.excluded_systems]
    required, forbidden = set(c.tiers_required), set(c.tiers_forbidden)
    upload = list(c.upload_limit_bytes)
    time_s, time_pct = list(c.compute_time_limit_s), list(c.compute_time_limit_pct)

    for tier, text in (criteria or {}).items():
        if text is None:
            continue
        t = _tier(instance, tier)
        parsed = parse_criteria(text, tier)
        names: list[str] = []
        for token in parsed.tokens:
            number = token.number
            if number == -1:
                (required if token.negated else forbidden).add(t)
                continue
            node = instance.node_of_layer(number) if number is not None else None
            if node is not None:
                (bans if token.negated else pins).append((node, t))
                continue
            name = _system(instance, t, token.text, parsed.option, number is not None)
            if token.negated:
                excluded[t].append(name)
            else:
                names.append(name)
        if names:
            previous = allowed[t]
            allowed[t] = tuple(n for n in names if previous is None or n in previous)
        if t in required and t in forbidden:
            raise InvalidInstanceError(f"tier {tier} cannot be both required (!-1) and forbidden (-1)", parsed.option)

    _upload_limits(instance, upload, upload_mb)

    for tier, text in (time_limit or {}).items():
        if text is None:
            continue
        t = _tier(instance, tier)
        seconds, pct = parse_time_limit(text, f"--{tier}-time")
        if seconds is not None:
            time_s[t] = seconds
        if pct is not None:
            time_pct[t] = pct

    constraints = dataclasses.replace(
        c,
        pins=tuple(dict.fromkeys(pins)),
        bans=tuple(dict.fromkeys(bans)),
        allowed_systems=tuple(allowed),
        excluded_systems=tuple(tuple(dict.fromkeys(e)) for e in excluded),
        tiers_required=frozenset(required),
        tiers_forbidden=frozenset(forbidden),
        upload_limit_bytes=tuple(upload),
        compute_time_limit_s=tuple(time_s),
        compute_time_limit_pct=tuple(time_pct),
    )
    return instance.replace(constraints=constraints)


def _tier(instance: Instance, tier: str) -> int:
    if tier not in instance.tier_index:
        raise InvalidInstanceError(f"unknown tier {tier!r} (tiers: {', '.join(instance.tiers)})", "criteria")
    return instance.tier_index[tier]


def _system(instance: Instance, t: int, name: str, option: str, is_number: bool) -> str:
    """The system ``name`` of tier ``t``, or an error that says what ``name`` could have meant."""
    tier = instance.tiers[t]
    index = instance.system_index.get(name)
    if index is not None and instance.systems[index].tier == tier:
        return name
    if index is not None:
        raise InvalidInstanceError(
            f"system {name!r} belongs to the {instance.systems[index].tier} tier, not the {tier} tier", option
        )
    here = ", ".join(s.name for s in instance.systems if s.tier == tier) or "none"
    if is_number:
        first, last = instance.nodes[0].layers[0], instance.nodes[-1].layers[1]
        raise InvalidInstanceError(
            f"no block of {instance.model} covers layer {name} (layers {first}-{last}) and no {tier} system is "
            f"called {name!r} ({tier} systems: {here})",
            option,
        )
    raise InvalidInstanceError(f"unknown {tier} system {name!r} ({tier} systems: {here})", option)
