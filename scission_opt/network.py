"""Reading a network description: Scission's CSV, or JSON.

CSV: an optional header, then one row per directed link
``source,destination,ping_ms,bandwidth_mbps[,tx_power_w]`` (Scission's header
``source,destination,ping(ms),bandwidth(mbps)`` is accepted; values may be
padded with spaces, e.g. ``raspi4,2500,            66.7,  1.6``; blank lines
and lines starting with ``#`` are skipped). Ping is in milliseconds and
bandwidth in megabits per second, the units of :class:`~scission_opt.Link`.

JSON: ``{"links": [{"source", "destination", "latency_ms", "bandwidth_mbps",
"tx_power_w"?}, ...]}`` or the bare list; ``ping_ms`` is accepted for
``latency_ms``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ._fields import Fields, check_number, check_string
from .errors import InvalidInstanceError, quote
from .io import parse_json, read_text
from .limits import MAX_NETWORK_BYTES
from .problem import Link

_COLUMNS = ("source", "destination", "ping_ms", "bandwidth_mbps", "tx_power_w")


def load_network(path: str | Path) -> tuple[Link, ...]:
    """Read a network file; JSON when it ends in ``.json`` or starts with ``{`` or ``[``, else CSV.

    Raises
    ------
    InvalidInstanceError
        Naming the file and the line or field, for any problem, including a
        link given twice.
    """
    source = str(path)
    text = read_text(path, encoding="utf-8-sig", limit=MAX_NETWORK_BYTES)
    if source.lower().endswith(".json") or text.lstrip()[:1] in ("{", "["):
        links = parse_network_json(text, source)
    else:
        links = parse_network_csv(text, source)
    seen: dict[tuple[str, str], int] = {}
    for i, link in enumerate(links):
        key = (link.source, link.destination)
        if key in seen:
            raise InvalidInstanceError(
                f"link {quote(link.source)} -> {quote(link.destination)} given twice", source, f"links[{i}]"
            )
        seen[key] = i
    return links


def parse_network_csv(text: str, source: str = "<network>") -> tuple[Link, ...]:
    """Links from CSV text (see the module docstring); any line ending (LF, CRLF, CR) is accepted."""
    try:
        # splitlines: CR-only files (old Mac exports) would be one long line to the csv module
        parsed = list(enumerate(csv.reader(text.splitlines()), start=1))
    except csv.Error as exc:  # a field past csv's 128 KiB limit, a NUL byte
        raise InvalidInstanceError(f"not a network CSV: {exc}", source) from None
    rows = [
        (n, row) for n, row in parsed if row and any(c.strip() for c in row) and not row[0].lstrip().startswith("#")
    ]
    if not rows:
        raise InvalidInstanceError("empty network file", source)
    first_line, header = rows[0]
    if len(header) not in (4, 5):
        raise InvalidInstanceError(
            f"must have 4 or 5 columns ({','.join(_COLUMNS)}), got {len(header)}", source, f"line {first_line}"
        )
    # the header names its first column "source"; without one the file starts with data
    body = rows[1:] if header[0].strip().lower() == "source" else rows
    links = []
    seen: dict[tuple[str, str], int] = {}
    for n, row in body:
        if len(row) != len(header):
            raise InvalidInstanceError(f"expected {len(header)} values, got {len(row)}", source, f"line {n}")
        values = [c.strip() for c in row]
        src = check_string(values[0], f"line {n}.source", source)
        dst = check_string(values[1], f"line {n}.destination", source)
        nums = []
        for col, raw in zip(_COLUMNS[2:], values[2:]):
            try:
                num = float(raw)
            except ValueError:
                raise InvalidInstanceError(f"must be a number, got {quote(raw)}", source, f"line {n}.{col}") from None
            nums.append(check_number(num, f"line {n}.{col}", source, positive=col == "bandwidth_mbps"))
        if (src, dst) in seen:
            raise InvalidInstanceError(
                f"link {quote(src)} -> {quote(dst)} given twice (first on line {seen[src, dst]})", source, f"line {n}"
            )
        seen[src, dst] = n
        links.append(_link(src, dst, nums[0], nums[1], nums[2] if len(nums) > 2 else 0.0, source, f"line {n}"))
    return tuple(links)


def missing_pairs(links: Iterable[Link], pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The directed ``pairs`` that no link covers, in the order given."""
    have = {(lk.source, lk.destination) for lk in links}
    return [p for p in pairs if p not in have]


def parse_network_json(text: str | Any, source: str = "<network>") -> tuple[Link, ...]:
    """Links from JSON text or an already parsed document."""
    data = parse_json(text, source) if isinstance(text, str) else text
    base = "links"
    if isinstance(data, dict):
        root = Fields(data, "", source)
        data = root.array("links")
        root.done()
    elif not isinstance(data, list):
        raise InvalidInstanceError("must be an object with 'links' or a list of links", source)
    else:
        base = ""
    links = []
    for i, raw in enumerate(data):
        f = Fields(raw, f"{base}[{i}]", source)
        latency = f.number("ping_ms") if f.has("ping_ms") and not f.has("latency_ms") else f.number("latency_ms")
        link = _link(
            f.string("source"),
            f.string("destination"),
            latency,
            f.number("bandwidth_mbps", positive=True),
            f.number("tx_power_w", 0.0),
            source,
            f.path,
        )
        f.done()
        links.append(link)
    return tuple(links)


def _link(src: str, dst: str, ping_ms: float, mbps: float, tx_w: float, source: str, where: str) -> Link:
    """A checked :class:`Link`; a failing check names the file and the line or field."""
    try:
        return Link(source=src, destination=dst, latency_ms=ping_ms, bandwidth_mbps=mbps, tx_power_w=tx_w)
    except InvalidInstanceError as exc:
        if exc.field == "destination" and src == dst:
            raise InvalidInstanceError(exc.detail, source, where) from None
        raise InvalidInstanceError(exc.detail, source, f"{where}.{exc.field}" if exc.field else where) from None
