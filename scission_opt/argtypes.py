"""Argument types shared by every command: each rejects bad values with one argparse line."""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from typing import Any

from ._fields import check_number
from .errors import ScissionError, one_line


def _number(text: str, kind: type) -> float:
    try:
        value = kind(text)
    except ValueError:
        noun = "whole number" if kind is int else "number"
        raise argparse.ArgumentTypeError(f"not a {noun}: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be finite, got {text}")
    return value


def count(text: str) -> int:
    """A whole number >= 1."""
    value = int(_number(text, int))
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
    return value


def natural(text: str) -> int:
    """A whole number >= 0."""
    value = int(_number(text, int))
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def positive(text: str) -> float:
    """A finite number > 0 (seconds, megabytes)."""
    value = _number(text, float)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _weights(pairs: Sequence[str] | None) -> dict[str, float] | None:
    if not pairs:
        return None
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        try:
            out[key] = float(value)
        except ValueError:
            sep = ""
        if not sep or not key:
            raise ScissionError(f"--weight: expected NAME=NUMBER, got {one_line(repr(pair), 80)}")
    for name, weight in out.items():  # the bounds a file's weights obey (limits.MAX_NUMBER)
        check_number(weight, f"--weight {one_line(name, 40)}", "")
    return out


def weights_for(args: argparse.Namespace, instance: Any) -> dict[str, float] | None:
    """``--weight`` values, refused unless the objective in effect is ``weighted``.

    That is ``--objective weighted``, or no ``--objective`` and an instance
    whose own objective is ``weighted`` (the weights then replace its own).
    """
    weights = _weights(args.weight)
    objective = args.objective if args.objective is not None else instance.objective.name
    if weights is not None and objective != "weighted":
        raise ScissionError(f"--weight applies only to --objective weighted, and the objective is {objective!r}")
    return weights
