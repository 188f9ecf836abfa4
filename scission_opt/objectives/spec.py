"""The objective an instance names: kept here, beside the objectives, so the instance reader imports downward."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ObjectiveSpec:
    """The objective named in an instance: a built-in or plug-in name, with weights for ``weighted``."""

    name: str = "latency"
    weights: tuple[tuple[str, float], ...] = ()
