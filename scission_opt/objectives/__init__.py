"""Objectives: the plug-in protocol, the built-ins, and lookup by name."""

from .base import AdditiveObjective, Needs, Objective, Terms, additive_value, is_additive, objective_needs
from .builtin import BUILTIN, Bytes, Energy, Latency, Price, Throughput, Weighted, require_power
from .registry import ENTRY_POINT_GROUP, get_objective, objective_names
from .spec import ObjectiveSpec

__all__ = [
    "AdditiveObjective",
    "BUILTIN",
    "Bytes",
    "ENTRY_POINT_GROUP",
    "Energy",
    "Latency",
    "Needs",
    "Objective",
    "ObjectiveSpec",
    "Price",
    "Terms",
    "Throughput",
    "Weighted",
    "additive_value",
    "get_objective",
    "is_additive",
    "objective_needs",
    "objective_names",
    "require_power",
]
