"""Typed access to parsed JSON with field paths in every error message.

Every reader takes the value, its field path and the file it came from, and
either returns a clean Python value or raises :class:`InvalidInstanceError`
naming the file and the field in one line.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, overload

import numpy as np

from .errors import InvalidInstanceError, quote, unsafe_char
from .limits import MAX_NAME_CHARS, MAX_NUMBER

_MISSING = object()


class Fields:
    """A JSON object being read, with the path that leads to it.

    Parameters
    ----------
    data
        The parsed JSON object.
    path
        Field path of ``data`` itself (empty for the document root).
    source
        Name of the file, for error messages.
    """

    def __init__(self, data: Any, path: str, source: str):
        self.path = path
        self.source = source
        if not isinstance(data, Mapping):
            self.fail(f"must be an object, got {_kind(data)}")
        self.data = data
        self._seen: set[str] = set()

    def sub(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def fail(self, message: str, field: str | None = None) -> None:
        raise InvalidInstanceError(message, self.source, field if field is not None else (self.path or None))

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        self._seen.add(key)
        if key not in self.data:
            if default is _MISSING:
                self.fail("missing required field", self.sub(key))
            return default
        return self.data[key]

    @overload
    def object(self, key: str) -> Fields: ...

    @overload
    def object(self, key: str, default: None) -> Fields | None: ...

    def object(self, key: str, default: Any = _MISSING) -> Fields | None:
        """The sub-object at ``key``; ``None`` only when it is absent and ``default`` is ``None``."""
        value = self.raw(key, default)
        if value is None and default is None:
            return None
        return Fields(value, self.sub(key), self.source)

    def string(self, key: str, default: Any = _MISSING) -> str:
        value = self.raw(key, default)
        if value is default and default is not _MISSING:
            return value
        return check_string(value, self.sub(key), self.source)

    def text(self, key: str, default: Any = _MISSING) -> str:
        """Free text (a provenance note): any length, may be empty, no control characters."""
        value = self.raw(key, default)
        if value == "" or (value is default and default is not _MISSING):
            return value
        return check_string(value, self.sub(key), self.source, limit=None)

    def boolean(self, key: str, default: Any = _MISSING) -> bool:
        value = self.raw(key, default)
        if not isinstance(value, bool):
            self.fail(f"must be true or false, got {_kind(value)}", self.sub(key))
        return value

    def number(
        self,
        key: str,
        default: Any = _MISSING,
        *,
        positive: bool = False,
        maximum: float | None = None,
    ) -> float:
        value = self.raw(key, default)
        if value is default and default is not _MISSING:
            return value
        return check_number(value, self.sub(key), self.source, positive=positive, maximum=maximum)

    def integer(self, key: str, default: Any = _MISSING, *, minimum: int = 0) -> int:
        value = self.raw(key, default)
        if value is default and default is not _MISSING:
            return value
        return check_integer(value, self.sub(key), self.source, minimum=minimum)

    def array(self, key: str, default: Any = _MISSING) -> list[Any]:
        value = self.raw(key, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, list):
            self.fail(f"must be an array, got {_kind(value)}", self.sub(key))
        return value

    def numbers(self, key: str, length: int | None = None, default: Any = _MISSING) -> list[float]:
        values = self.array(key, default)
        if values is default and default is not _MISSING:
            return values
        if length is not None and len(values) != length:
            self.fail(f"must have {length} entries (one per node), got {len(values)}", self.sub(key))
        if check_numbers(values, self.sub(key), self.source):
            return values  # all floats already: nothing to convert
        return list(map(float, values))

    def done(self) -> None:
        """Reject fields that were never read: a typo must not pass silently."""
        unknown = sorted(set(self.data) - self._seen)
        if unknown:
            self.fail(
                f"unknown field (known: {', '.join(sorted(self._seen))})",
                self.sub(unknown[0]),
            )


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return quote(value)
    if isinstance(value, str):
        return f"the string {quote(value)}"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, Sequence):
        return "an array"
    return type(value).__name__


def check_string(value: Any, field: str, source: str, *, limit: int | None = MAX_NAME_CHARS) -> str:
    """A non-empty string without control characters, at most ``limit`` characters long."""
    if not isinstance(value, str) or not value:
        raise InvalidInstanceError(f"must be a non-empty string, got {_kind(value)}", source, field)
    if limit is not None and len(value) > limit:
        raise InvalidInstanceError(f"must be at most {limit} characters long, got {len(value)}", source, field)
    bad = None if value.isprintable() else unsafe_char(value)  # isprintable() is False for every unsafe category
    if bad is not None:
        raise InvalidInstanceError(
            f"must not contain control characters, got {quote(value[bad])} at character {bad} of {quote(value)}",
            source,
            field,
        )
    return value


def _as_float(value: Any, field: str, source: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInstanceError(f"must be a number, got {_kind(value)}", source, field)
    try:
        out = float(value)
    except OverflowError:  # an integer past float range
        out = math.inf if value > 0 else -math.inf
    if math.isnan(out) or math.isinf(out):
        raise InvalidInstanceError(
            f"must be finite, got {_kind(value) if isinstance(value, int) else out}",
            source,
            field,
        )
    return out


def check_number(
    value: Any,
    field: str,
    source: str,
    *,
    positive: bool = False,
    maximum: float | None = None,
) -> float:
    """A finite number >= 0 (> 0 when ``positive``), at most ``maximum`` and at most :data:`MAX_NUMBER`."""
    out = _as_float(value, field, source)
    if positive and out <= 0:
        raise InvalidInstanceError(f"must be > 0, got {out:g}", source, field)
    if out < 0:
        raise InvalidInstanceError(f"must be >= 0, got {out:g}", source, field)
    if maximum is not None and out > maximum:
        raise InvalidInstanceError(f"must be <= {maximum:g}, got {out:g}", source, field)
    if out > MAX_NUMBER:
        raise InvalidInstanceError(
            f"must be <= {MAX_NUMBER:g} (larger values overflow the cost model), got {out:g}",
            source,
            field,
        )
    return out


def check_integer(value: Any, field: str, source: str, *, minimum: int = 0) -> int:
    """A whole number (an integral float is accepted) >= ``minimum`` and at most :data:`MAX_NUMBER`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInstanceError(f"must be an integer, got {_kind(value)}", source, field)
    out = _as_float(value, field, source)
    if out != int(out):
        raise InvalidInstanceError(f"must be an integer, got {_kind(value)}", source, field)
    if out < minimum:
        raise InvalidInstanceError(f"must be >= {minimum}, got {int(out)}", source, field)
    if out > MAX_NUMBER:
        raise InvalidInstanceError(f"must be <= {MAX_NUMBER:g}, got {out:g}", source, field)
    return int(value)


def number_kinds(values: Sequence[Any]) -> set[type] | None:
    """The types of ``values`` when every one is a finite number in ``[0, MAX_NUMBER]``, else ``None``.

    One numpy pass; booleans and strings are not numbers. It names nothing: a
    caller that must say which value is bad walks the list with :func:`check_number`.
    """
    kinds = set(map(type, values))
    if not kinds <= {int, float, np.float64}:
        return None
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError, OverflowError):
        return None
    if arr.size == 0 or bool(np.all((arr >= 0) & (arr <= MAX_NUMBER))):  # NaN fails both comparisons
        return kinds
    return None


def check_numbers(values: Sequence[Any], field: str, source: str | None) -> bool:
    """Every value a finite number in ``[0, MAX_NUMBER]``; names the first bad one.

    A long list is checked with numpy in one pass (:func:`number_kinds`); only a
    failing list is walked one value at a time, to name the first bad entry.

    Returns
    -------
    bool
        Whether every value is already a Python ``float`` (so a caller need not convert them).
    """
    kinds = number_kinds(values)
    if kinds is None:
        for i, v in enumerate(values):
            check_number(v, f"{field}[{i}]", source or "")
        kinds = set(map(type, values))
    return kinds <= {float}
