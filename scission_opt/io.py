"""Bounded reads and atomic writes.

Reading: a file larger than its bound is refused before it is read whole, and
JSON that nests too deeply, holds too many arrays and objects, or holds integer
literals too long to be a real measurement is one error line, never a
traceback. Writing goes through a temporary file in the same folder and a
rename, so a reader never sees a half-written file; a path that cannot be
written is one :class:`~scission_opt.errors.OutputError` line naming it.
"""

from __future__ import annotations

import gc
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .errors import InvalidInstanceError, OutputError, one_line
from .limits import MAX_INSTANCE_BYTES, MAX_INT_DIGITS, MAX_JSON_CONTAINERS, MIB


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _output_path(path: str | Path) -> Path:
    if str(path) == "":
        raise OutputError("cannot write '': the output file name is empty")
    out = Path(path)
    if out.is_dir():
        raise OutputError(f"cannot write {one_line(str(out), 200)}: is a folder, not a file")
    return out


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    Raises
    ------
    OutputError
        For an empty name, a folder, or any OS error (no permission, no space), naming the path.
    """
    path = _output_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {one_line(str(path), 200)}: {exc.strerror or exc}") from None
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; give the mode a plain open() would
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {one_line(str(path), 200)}: {exc.strerror or exc}") from None
        raise


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write UTF-8 text atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: str | Path, data: Any) -> None:
    """Write JSON (indented, trailing newline) atomically."""
    write_text_atomic(path, json.dumps(data, indent=1) + "\n")


def read_bytes(path: str | Path, limit: int = MAX_INSTANCE_BYTES) -> bytes:
    """The file's bytes, at most ``limit`` of them.

    Raises
    ------
    InvalidInstanceError
        One line naming the file: missing, a folder, unreadable, or larger than ``limit``.
    """
    source = str(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)  # also bounds files whose size stat cannot tell (pipes, /dev/zero)
    except FileNotFoundError:
        raise InvalidInstanceError("no such file", source) from None
    except IsADirectoryError:
        raise InvalidInstanceError("is a folder, not a file", source) from None
    except OSError as exc:
        raise InvalidInstanceError(f"cannot read: {exc.strerror or exc}", source) from None
    if len(data) > limit:
        raise InvalidInstanceError(f"file is larger than the {limit / MIB:g} MiB accepted", source)
    return data


def read_text(path: str | Path, encoding: str = "utf-8", limit: int = MAX_INSTANCE_BYTES) -> str:
    """The file's text (see :func:`read_bytes`); undecodable text is reported the same way."""
    try:
        return read_bytes(path, limit).decode(encoding)
    except UnicodeDecodeError as exc:
        raise InvalidInstanceError(
            f"cannot read: not {encoding} text ({exc.reason} at byte {exc.start})",
            str(path),
        ) from None


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large file is parsed and its objects built.

    Parsing creates millions of objects and no reference cycles; each automatic
    collection would walk all of them again (about a quarter of the load time of a
    100,000-node instance, measured here). Restores the collector's previous state.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _parse_int(text: str) -> int | float:
    # A literal longer than any measurement becomes infinity, which the field checks then refuse
    # by name; int() of 4,300+ digits would raise, and float() of 309+ would overflow.
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        return float("-inf") if text.startswith("-") else float("inf")
    return int(text)


def parse_json(text: str, source: str) -> Any:
    """Parse JSON text; malformed, too deep or too large JSON is one line naming the file."""
    containers = text.count("[") + text.count("{")  # an upper bound (brackets in strings count too)
    if containers > MAX_JSON_CONTAINERS:
        raise InvalidInstanceError(
            f"too many JSON arrays and objects ({containers} > {MAX_JSON_CONTAINERS})",
            source,
        )
    try:
        return json.loads(text, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        raise InvalidInstanceError(
            f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", source
        ) from None
    except RecursionError:
        raise InvalidInstanceError("malformed JSON: nested too deeply", source) from None
    except (ValueError, OverflowError) as exc:
        raise InvalidInstanceError(f"malformed JSON: {exc}", source) from None


def read_json(path: str | Path, limit: int = MAX_INSTANCE_BYTES) -> Any:
    """Read and parse a JSON file, with one-line errors naming the file."""
    return parse_json(read_text(path, limit=limit), str(path))
