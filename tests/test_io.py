"""Atomic writes and one-line read errors."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from scission_opt.errors import InvalidInstanceError
from scission_opt.io import read_json, write_json_atomic, write_text_atomic


def test_atomic_write_replaces_and_leaves_no_temporaries(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.json"
    write_json_atomic(target, {"a": 1})
    write_json_atomic(target, {"a": 2})
    assert read_json(target) == {"a": 2}
    assert [p.name for p in target.parent.iterdir()] == ["out.json"]


def test_atomic_write_has_the_usual_mode(tmp_path: Path) -> None:
    target = tmp_path / "x.txt"
    write_text_atomic(target, "hi")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    write_json_atomic(target, {"ok": True})
    with pytest.raises(TypeError):
        write_json_atomic(target, {"bad": object()})
    assert read_json(target) == {"ok": True}


@pytest.mark.parametrize(
    "content, words",
    [(None, "no such file"), (b"\xff\xfe\x00", "not utf-8 text"), (b"{", "malformed JSON")],
)
def test_read_errors_are_one_line(tmp_path: Path, content: bytes | None, words: str) -> None:
    path = tmp_path / "f.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InvalidInstanceError) as err:
        read_json(path)
    assert str(err.value).startswith(str(path)) and words in str(err.value) and "\n" not in str(err.value)


def test_folder_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInstanceError, match="is a folder"):
        read_json(tmp_path)


@pytest.mark.parametrize("enabled", [True, False])
def test_gc_paused_restores_the_collector_even_on_error(enabled: bool) -> None:
    import gc

    from scission_opt.io import gc_paused

    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        with pytest.raises(ValueError), gc_paused():
            assert not gc.isenabled()
            raise ValueError("a parse that fails")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
