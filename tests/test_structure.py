"""The package's shape: no import cycle among its modules, and no module over 500 lines."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _import_cycles_tool():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("import_cycles", ROOT / "tools" / "import_cycles.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_import_cycle(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    tool = _import_cycles_tool()
    monkeypatch.chdir(ROOT)
    assert tool.cycles(tool.module_graph(Path("scission_opt"))) == []


def test_the_cycle_finder_sees_a_cycle() -> None:
    tool = _import_cycles_tool()
    assert tool.cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_over_500_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in (ROOT / "scission_opt").rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 500
    }
    assert long == {}
