"""Finding an objective by name: built-ins, ``package.module:name``, or the entry-point group."""

from __future__ import annotations

import dataclasses
import importlib
import re
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from ..errors import UnknownNameError, quote
from .base import Objective
from .builtin import BUILTIN, Weighted
from .spec import ObjectiveSpec

ENTRY_POINT_GROUP = "scission_opt.objectives"

#: ``package.module:name`` with plain dotted identifiers only (no relative import, no empty part).
_REFERENCE = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*")


def _plugin_names() -> list[str]:
    return sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))


def objective_names() -> list[str]:
    """Every name :func:`get_objective` accepts (besides ``package.module:name``)."""
    return [*BUILTIN, "weighted", *_plugin_names()]


def _instantiate(obj: Any, label: str) -> Objective:
    if isinstance(obj, type):
        try:
            obj = obj()
        except Exception as exc:  # a class that needs arguments is not an objective class
            raise UnknownNameError(f"{label}: cannot make an objective ({type(exc).__name__}: {exc})") from None
    if not isinstance(obj, Objective):
        raise UnknownNameError(
            f"{label} is not an objective: it needs a 'name' and a 'value(instance, plan, metrics)' method"
        )
    return obj


@dataclass(frozen=True)
class _Renamed:
    """An objective shown under the name it was registered with; everything else is the wrapped one's."""

    inner: Any
    name: str

    def value(self, instance: Any, plan: Any, metrics: Any) -> float:
        return float(self.inner.value(instance, plan, metrics))

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.inner, attr)


def _named(objective: Objective, name: str) -> Objective:
    """``objective`` reporting itself as ``name`` (the entry point's name, not the class's default)."""
    if objective.name == name:
        return objective
    if dataclasses.is_dataclass(objective) and any(f.name == "name" for f in dataclasses.fields(objective)):
        try:
            return dataclasses.replace(objective, name=name)
        except (TypeError, ValueError):
            pass
    return _Renamed(objective, name)


def get_objective(spec: str | ObjectiveSpec | Objective | None, weights: dict[str, float] | None = None) -> Objective:
    """Resolve an objective.

    Parameters
    ----------
    spec
        An :class:`Objective` (returned as is), a built-in name (``latency``,
        ``energy``, ``bytes``, ``throughput``, ``price``, ``weighted``), a
        ``package.module:name`` reference, the name of an entry point in the
        ``scission_opt.objectives`` group, or an :class:`ObjectiveSpec` from an
        instance. ``None`` means latency.
    weights
        Weights for ``weighted``; override those of an ``ObjectiveSpec``.

    Raises
    ------
    UnknownNameError
        Listing the valid names.
    """
    if spec is None:
        spec = "latency"
    if isinstance(spec, ObjectiveSpec):
        weights = weights if weights is not None else dict(spec.weights)
        spec = spec.name
    if not isinstance(spec, str):
        return _instantiate(spec, repr(spec))
    if spec == "weighted":
        return Weighted(tuple((weights or {}).items()))
    if spec in BUILTIN:
        return BUILTIN[spec]()
    if ":" in spec:
        return _load_reference(spec)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == spec:
            return _named(_instantiate(ep.load(), f"entry point {spec!r}"), spec)
    raise UnknownNameError(
        f"unknown objective {spec!r} (known: {', '.join(objective_names())}, or package.module:name)"
    )


def _load_reference(spec: str) -> Objective:
    """``package.module:name`` (command line and Python API only: it imports and runs that module)."""
    if not _REFERENCE.fullmatch(spec):
        raise UnknownNameError(f"bad objective reference {quote(spec)}: expected package.module:name")
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # ImportError, or whatever the module raises while it is imported
        why = f"{type(exc).__name__}: {exc}"
        raise UnknownNameError(f"cannot import objective module {quote(module_name)}: {why}") from None
    try:
        obj = getattr(module, attr)
    except AttributeError:
        raise UnknownNameError(f"module {quote(module_name)} has no objective {quote(attr)}") from None
    return _instantiate(obj, spec)
