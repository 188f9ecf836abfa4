"""The exception hierarchy: one base class, subclasses that also derive from builtins.

Infeasibility is never an exception; it is a :class:`~scission_opt.result.Status`.
"""

from __future__ import annotations


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
        where = ": ".join(x for x in (self.source, self.field) if x)
        return f"{where}: {self.detail}" if where else self.detail


class UnknownNameError(ScissionError, KeyError):
    """A name (solver, objective, model, system) is not known; the message lists valid names."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class UnsupportedError(ScissionError, NotImplementedError):
    """A solver cannot handle a feature of the instance (a constraint, an objective, a DAG)."""


class UnsafePickleError(ScissionError, ValueError):
    """A pickle file names a class or callable that is not on the allow list."""
