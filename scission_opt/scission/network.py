"""Reading Scission's network CSV: one row per directed pair of system names.

Header ``source,destination,ping(ms),bandwidth(mbps)``; values may be padded with
spaces (``raspi4,2500,            66.7,  1.6``). Ping is in milliseconds and
bandwidth in megabits per second, the units of :class:`~scission_opt.Link`.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from pathlib import Path

from ..errors import InvalidInstanceError
from ..instance import Link

HEADER = ("source", "destination", "ping(ms)", "bandwidth(mbps)")


def read_network_csv(path: str | Path) -> tuple[Link, ...]:
    """Every row of a Scission network CSV as a :class:`Link`, in file order.

    Raises
    ------
    InvalidInstanceError
        Naming the file and the line: missing file, wrong column count, a value
        that is not a number, a bandwidth <= 0, a negative ping, a pair listed twice.
    """
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InvalidInstanceError("no such file", source) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInstanceError(f"cannot read: {exc}", source) from None
    return parse_network_csv(text, source)


def parse_network_csv(text: str, source: str = "<network>") -> tuple[Link, ...]:
    """Parse the text of a network CSV (see :func:`read_network_csv`)."""
    links: list[Link] = []
    seen: dict[tuple[str, str], int] = {}
    for lineno, row in enumerate(csv.reader(io.StringIO(text)), 1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        where = f"line {lineno}"
        if len(cells) != 4:
            raise InvalidInstanceError(
                f"expected 4 columns ({','.join(HEADER)}), got {len(cells)}", source, where
            )
        if not links and not seen and cells[0].lower() == HEADER[0] and cells[1].lower() == HEADER[1]:
            continue  # the header
        src, dst = cells[0], cells[1]
        if not src or not dst:
            raise InvalidInstanceError("empty system name", source, where)
        if src == dst:
            raise InvalidInstanceError(f"a link must join two different systems, got {src} -> {dst}", source, where)
        ping = _number(cells[2], "ping(ms)", source, where)
        bandwidth = _number(cells[3], "bandwidth(mbps)", source, where)
        if ping < 0:
            raise InvalidInstanceError(f"ping(ms) must be >= 0, got {cells[2]}", source, where)
        if bandwidth <= 0:
            raise InvalidInstanceError(f"bandwidth(mbps) must be > 0, got {cells[3]}", source, where)
        if (src, dst) in seen:
            raise InvalidInstanceError(
                f"{src} -> {dst} is listed twice (first on line {seen[src, dst]})", source, where
            )
        seen[src, dst] = lineno
        links.append(Link(source=src, destination=dst, latency_ms=ping, bandwidth_mbps=bandwidth))
    return tuple(links)


def _number(text: str, column: str, source: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InvalidInstanceError(f"{column} is not a number: {text!r}", source, where) from None
    if not math.isfinite(value):
        raise InvalidInstanceError(f"{column} must be finite, got {text!r}", source, where)
    return value


def missing_pairs(links: Iterable[Link], pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The directed ``pairs`` that no link covers, in the order given."""
    have = {(lk.source, lk.destination) for lk in links}
    return [p for p in pairs if p not in have]
