"""Atomic file writes: a reader never sees a half-written file."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; give the mode a plain open() would
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write UTF-8 text atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: str | Path, data: Any) -> None:
    """Write JSON (indented, trailing newline) atomically."""
    write_text_atomic(path, json.dumps(data, indent=1) + "\n")


def read_bytes(path: str | Path) -> bytes:
    """The file's bytes; a missing or unreadable file is one :class:`InvalidInstanceError` line naming it."""
    from .errors import InvalidInstanceError

    source = str(path)
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise InvalidInstanceError("no such file", source) from None
    except IsADirectoryError:
        raise InvalidInstanceError("is a folder, not a file", source) from None
    except OSError as exc:
        raise InvalidInstanceError(f"cannot read: {exc.strerror or exc}", source) from None


def read_text(path: str | Path, encoding: str = "utf-8") -> str:
    """The file's text (see :func:`read_bytes`); undecodable text is reported the same way."""
    from .errors import InvalidInstanceError

    try:
        return read_bytes(path).decode(encoding)
    except UnicodeDecodeError as exc:
        raise InvalidInstanceError(f"cannot read: not {encoding} text ({exc.reason} at byte {exc.start})", str(path)) from None


def parse_json(text: str, source: str) -> Any:
    """Parse JSON text; malformed JSON is one line with its position."""
    from .errors import InvalidInstanceError

    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInstanceError(f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", source) from None


def read_json(path: str | Path) -> Any:
    """Read and parse a JSON file, with one-line errors naming the file."""
    return parse_json(read_text(path), str(path))
