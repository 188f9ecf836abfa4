"""Objectives: the plug-in protocol, the built-ins, and lookup by name."""

from .base import AdditiveObjective, Objective, Terms, additive_value, is_additive
from .builtin import BUILTIN, Bytes, Energy, Latency, Price, Throughput, Weighted, require_power
from .registry import ENTRY_POINT_GROUP, get_objective, objective_names

__all__ = [
    "AdditiveObjective",
    "BUILTIN",
    "Bytes",
    "ENTRY_POINT_GROUP",
    "Energy",
    "Latency",
    "Objective",
    "Price",
    "Terms",
    "Throughput",
    "Weighted",
    "additive_value",
    "get_objective",
    "is_additive",
    "objective_names",
    "require_power",
]
