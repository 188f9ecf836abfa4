"""Reading a network description: Scission's CSV, or JSON.

CSV: a header, then one row per directed link
``source,destination,ping_ms,bandwidth_mbps[,tx_power_w]`` (Scission's header
``source,destination,ping(ms),bandwidth(mbps)`` is accepted; values may be
padded with spaces; blank lines and lines starting with ``#`` are skipped).

JSON: ``{"links": [{"source", "destination", "latency_ms", "bandwidth_mbps",
"tx_power_w"?}, ...]}`` or the bare list; ``ping_ms`` is accepted for
``latency_ms``.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from .._fields import Fields, check_number, check_string
from ..errors import InvalidInstanceError
from ..instance import Link

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
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInstanceError("no such file", source) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInstanceError(f"cannot read: {exc}", source) from None
    if source.lower().endswith(".json") or text.lstrip()[:1] in ("{", "["):
        links = parse_network_json(text, source)
    else:
        links = parse_network_csv(text, source)
    seen: dict[tuple[str, str], int] = {}
    for i, link in enumerate(links):
        key = (link.source, link.destination)
        if key in seen:
            raise InvalidInstanceError(f"link {link.source} -> {link.destination} given twice", source, f"links[{i}]")
        seen[key] = i
    return links


def parse_network_csv(text: str, source: str = "<network>") -> tuple[Link, ...]:
    """Links from CSV text (see the module docstring)."""
    rows = [
        (n, row)
        for n, row in enumerate(csv.reader(io.StringIO(text)), start=1)
        if row and any(c.strip() for c in row) and not row[0].lstrip().startswith("#")
    ]
    if not rows:
        raise InvalidInstanceError("empty network file", source)
    _, header = rows[0]
    if len(header) not in (4, 5):
        raise InvalidInstanceError(
            f"header must have 4 or 5 columns ({','.join(_COLUMNS)}), got {len(header)}", source, "line 1"
        )
    links = []
    for n, row in rows[1:]:
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
                raise InvalidInstanceError(f"must be a number, got {raw!r}", source, f"line {n}.{col}") from None
            nums.append(check_number(num, f"line {n}.{col}", source, positive=col == "bandwidth_mbps"))
        links.append(_link(src, dst, nums[0], nums[1], nums[2] if len(nums) > 2 else 0.0, source, f"line {n}"))
    return tuple(links)


def parse_network_json(text: str | Any, source: str = "<network>") -> tuple[Link, ...]:
    """Links from JSON text or an already parsed document."""
    if isinstance(text, str):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInstanceError(
                f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", source
            ) from None
    else:
        data = text
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
    if src == dst:
        raise InvalidInstanceError("a link must join two different systems", source, where)
    return Link(source=src, destination=dst, latency_ms=ping_ms, bandwidth_mbps=mbps, tx_power_w=tx_w)
