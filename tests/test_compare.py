"""compare(): every solver next to the reference, agreement within the stated tolerance."""

from __future__ import annotations

import pytest

from scission_opt import compare as compare_module
from scission_opt.compare import compare, format_comparison, objectives_agree
from scission_opt.generate import generate


def test_objectives_agree_tolerance() -> None:
    assert objectives_agree((1.0, 2.0), (1.0 + 1e-7, 2.0))
    assert not objectives_agree((1.0,), (1.001,))
    assert not objectives_agree((1.0,), (1.0, 2.0))


def test_every_solver_agrees_with_exhaustive() -> None:
    rows = compare(generate(9, 3, 2, seed=2), top_k=2)
    by_name = {r.solver: r for r in rows}
    assert by_name["exhaustive"].status == "optimal" and by_name["exhaustive"].agrees is None
    for name in ("dp", "cbc", "cpsat"):
        assert by_name[name].agrees is True, by_name[name]


def test_large_instance_skips_exhaustive_and_compares_with_the_first_proof(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compare_module, "EXHAUSTIVE_MAX_PLANS", 10)
    instance = generate(30, 3, 2, seed=1)
    rows = compare(instance)
    assert rows[0].status == "skipped" and "plans" in rows[0].message
    assert all(r.agrees for r in rows[2:])
    text = format_comparison(instance, rows)
    assert "reference" in text and "agrees (vs dp)" in text
