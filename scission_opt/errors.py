"""The exception hierarchy: one base class, subclasses that also derive from builtins.

Infeasibility is never an exception; it is a :class:`~scission_opt.result.Status`.
Every message is one line: :func:`one_line` escapes control characters and
cuts long text, and :func:`quote` renders a value taken from a file with a
bounded length, so a hostile name can neither forge a second line nor flood
the terminal.
"""

from __future__ import annotations

import reprlib
import unicodedata
from typing import Any

from .limits import MAX_MESSAGE_CHARS, MAX_VALUE_CHARS

#: Unicode categories that must never reach a terminal unescaped: controls, format
#: characters (bidi overrides), line and paragraph separators, lone surrogates.
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})

_repr = reprlib.Repr()
_repr.maxlevel = 2
_repr.maxlist = _repr.maxtuple = _repr.maxset = _repr.maxdict = 4
_repr.maxstring = _repr.maxother = MAX_VALUE_CHARS
_repr.maxlong = 40


def unsafe_char(text: str) -> int | None:
    """Index of the first character of ``text`` that is a control or other unsafe character, or ``None``."""
    for i, ch in enumerate(text):
        if (ch < " " or ch >= "\x7f") and unicodedata.category(ch) in UNSAFE_CATEGORIES:
            return i
    return None


def _escape(text: str) -> str:
    if unsafe_char(text) is None:
        return text
    return "".join(
        ch.encode("unicode_escape", "backslashreplace").decode("ascii")
        if (ch < " " or ch >= "\x7f") and unicodedata.category(ch) in UNSAFE_CATEGORIES
        else ch
        for ch in text
    )


def one_line(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` with unsafe characters escaped (``\\n`` stays two visible characters) and cut to ``limit``."""
    if len(text) > 4 * limit:
        text = text[: 4 * limit]
    text = _escape(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def quote(value: Any) -> str:
    """A bounded, one-line ``repr`` of ``value`` for a message (deep or huge values are elided)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"an integer of {value.bit_length()} bits"
    try:
        text = _repr.repr(value)
    except Exception:  # noqa: BLE001 - a value whose repr fails (huge int inside a list, hostile object)
        text = f"<{type(value).__name__}>"
    return one_line(text, MAX_VALUE_CHARS + 10)


class ScissionError(Exception):
    """Base class of every error raised on purpose by scission_opt."""


class InvalidInstanceError(ScissionError, ValueError):
    """An input file or object is malformed or holds impossible values.

    Parameters
    ----------
    message
        What is wrong, in one line.
    source
        The file (or other origin) the value came from.
    field
        Path of the offending field, e.g. ``systems[2].latency_s[5]``.
    """

    def __init__(self, message: str, source: str | None = None, field: str | None = None):
        self.source = source
        self.field = field
        self.detail = message
        super().__init__(self._line())

    def _line(self) -> str:
        where = ": ".join(one_line(x, 200) for x in (self.source, self.field) if x)
        return one_line(f"{where}: {self.detail}" if where else self.detail)


class UnknownNameError(ScissionError, KeyError):
    """A name (solver, objective, model, system) is not known; the message lists valid names."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class UnsupportedError(ScissionError, NotImplementedError):
    """A solver cannot handle a feature of the instance (a constraint, an objective, a DAG)."""


class UnsafePickleError(ScissionError, ValueError):
    """A pickle file names a class or callable that is not on the allow list."""


class OutputError(ScissionError, OSError):
    """An output file cannot be written (a folder, no permission, an empty name); the message names it."""
