"""Plan, timeline and profile charts: each file is written, is a valid image and is not blank."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")
from PIL import Image  # noqa: E402  (a matplotlib dependency)

from scission_opt.cli import main  # noqa: E402
from scission_opt.errors import UnsupportedError  # noqa: E402
from scission_opt.generate import generate  # noqa: E402
from scission_opt.instance import Instance  # noqa: E402
from scission_opt.plan import Plan  # noqa: E402
from scission_opt.plots import plot_plan, plot_profile, plot_timeline  # noqa: E402
from scission_opt.solve import solve  # noqa: E402


def assert_png(path: Path) -> None:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        rgb = image.convert("RGB")
        assert rgb.width > 400 and rgb.height > 300
        colours = rgb.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50  # text, bars, hatching: far from blank
    white = max(count for count, c in colours if c == (255, 255, 255))
    assert white < 0.97 * rgb.width * rgb.height


def assert_svg(path: Path) -> None:
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    assert sum(1 for el in root.iter() if el.tag.endswith("path")) > 20


def check(path: Path) -> None:
    (assert_png if path.suffix == ".png" else assert_svg)(path)


@pytest.fixture(scope="module")
def three_tiers() -> tuple[Instance, Plan]:
    inst = generate(12, 3, 2, seed=4)
    by_tier = [[s.name for s in inst.systems if s.tier == tier] for tier in inst.tiers]
    plan = Plan((0, 3, 7, 12), (by_tier[0][0], by_tier[1][1], by_tier[2][0]))
    return inst, plan


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_plan_chart(tmp_path: Path, three_tiers: tuple[Instance, Plan], suffix: str) -> None:
    inst, plan = three_tiers
    path = tmp_path / f"plan{suffix}"
    plot_plan(inst, plan, path)
    check(path)
    if suffix == ".svg":
        text = path.read_text()
        for label in ("time (s)", "block (model layers)", "transfer", "0", "11"):
            assert label in text


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_timeline(tmp_path: Path, three_tiers: tuple[Instance, Plan], suffix: str) -> None:
    inst, plan = three_tiers
    path = tmp_path / f"timeline{suffix}"
    plot_timeline(inst, plan, path)
    check(path)
    if suffix == ".svg":
        text = path.read_text()
        assert "time since the input was ready (s)" in text and "link ping" in text


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_profile(tmp_path: Path, suffix: str) -> None:
    inst = generate(30, 3, 2, seed=1)
    path = tmp_path / f"profile{suffix}"
    plot_profile(inst, path)
    check(path)
    if suffix == ".svg":
        text = path.read_text()
        assert "compute time per block (s)" in text and "output size (MB)" in text


def test_unused_origin_result_back_and_many_blocks(tmp_path: Path) -> None:
    # The device only holds the input, the result travels back, and 92 blocks need thinned labels.
    inst = generate(92, 3, 1, seed=2, return_output=True)
    plan = Plan((0, 0, 40, 92), tuple(s.name for s in inst.systems))
    plot_plan(inst, plan, tmp_path / "plan.png")
    plot_timeline(inst, plan, tmp_path / "timeline.png")
    assert_png(tmp_path / "plan.png")
    assert_png(tmp_path / "timeline.png")


def test_bad_suffix(tmp_path: Path, three_tiers: tuple[Instance, Plan]) -> None:
    with pytest.raises(UnsupportedError, match="use .png or .svg"):
        plot_plan(*three_tiers, tmp_path / "plan.jpg")
    assert not (tmp_path / "plan.jpg").exists()


def test_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    instance_file = tmp_path / "g.json"
    generate(15, 3, 2, seed=5).save(instance_file)
    assert main(["plot-profile", str(instance_file), "-o", str(tmp_path / "profile.png")]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {tmp_path / 'profile.png'}")
    assert_png(tmp_path / "profile.png")
    assert main(["solve", str(instance_file), "--plot", str(tmp_path / "plan.svg")]) == 0
    assert_svg(tmp_path / "plan.svg")
    assert main(["plot-profile", str(instance_file), "-o", str(tmp_path / "p.gif")]) == 2
    assert "use .png or .svg" in capsys.readouterr().err


def test_plot_agrees_with_the_evaluator(tmp_path: Path) -> None:
    inst = generate(10, 3, 1, seed=7)
    result = solve(inst)
    plot_plan(inst, result.plan, tmp_path / "best.svg")
    # The title states the evaluator's end-to-end latency.
    assert f"{result.metrics.latency_s:.4g} s end to end" in (tmp_path / "best.svg").read_text()
