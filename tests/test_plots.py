"""Plan, timeline and profile charts: each file is written, is a valid image and is not blank."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("matplotlib")
from matplotlib.colors import to_hex  # noqa: E402
from PIL import Image  # noqa: E402  (a matplotlib dependency)

from scission_opt.cli import main  # noqa: E402
from scission_opt.errors import UnsupportedError  # noqa: E402
from scission_opt.evaluate import evaluate  # noqa: E402
from scission_opt.generate import generate  # noqa: E402
from scission_opt.instance import Instance  # noqa: E402
from scission_opt.plan import Plan  # noqa: E402
from scission_opt.plots import (  # noqa: E402
    MIN_SEGMENT_SHARE,
    latency_origin,
    plan_figure,
    plot_plan,
    plot_profile,
    plot_timeline,
    profile_figure,
    tier_colour,
)
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
    assert result.plan is not None and result.metrics is not None
    plot_plan(inst, result.plan, tmp_path / "best.svg")
    # The title states the evaluator's end-to-end latency.
    assert f"{result.metrics.latency_s:.4g} s end to end" in (tmp_path / "best.svg").read_text()


# ---------------------------------------------------------------------------
# Layout, read from the matplotlib figure objects (no pixel comparison)


def _renderer(fig: Any) -> Any:
    fig.draw_without_rendering()
    return fig.canvas.get_renderer()


def _overlap(a: Any, b: Any) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_profile_legend_with_many_systems_sits_outside_both_panels() -> None:
    inst = generate(30, 3, 8, seed=1)  # 24 systems
    fig = profile_figure(inst)
    renderer = _renderer(fig)
    (legend,) = fig.legends
    assert not [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    box = legend.get_window_extent(renderer)
    assert len(legend.get_texts()) == inst.n_systems + 2
    for ax in fig.axes:
        assert not _overlap(box, ax.get_tightbbox(renderer)), ax.get_ylabel()
    assert fig.bbox.contains(box.x0, box.y0) and fig.bbox.contains(box.x1, box.y1)
    assert box.y1 < min(ax.get_window_extent(renderer).y0 for ax in fig.axes)  # below the panels


def _with_provenance(inst: Instance, texts: list[str], instance_text: str) -> Instance:
    systems = tuple(dataclasses.replace(s, provenance=t) for s, t in zip(inst.systems, texts))
    return inst.replace(systems=systems, provenance=instance_text)


def test_profile_title_says_where_the_latencies_came_from() -> None:
    inst = generate(10, 3, 1, seed=1)
    title = profile_figure(inst).axes[0].get_title()
    assert "synthetic" in title and "measured" not in title
    shipped_like = _with_provenance(
        inst,
        ["latency_s: measured on host A; other figures: a datasheet", "latency_s: measured on host B",
         "latency_s: ESTIMATED (roofline model; the fixed cost measured on host B)"],
        "made by the profiler",
    )  # fmt: skip
    fig = profile_figure(shipped_like)
    assert "measured and estimated profile" in fig.axes[0].get_title()
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert sum("measured" in t for t in labels) == 2 and sum("estimated" in t for t in labels) == 1
    bare = _with_provenance(inst, ["", "", ""], "")
    assert "measured" not in profile_figure(bare).axes[0].get_title()
    assert latency_origin(bare, bare.systems[0]) == "of unstated origin"


def _crowded_plan() -> tuple[Instance, Plan]:
    # five tiers, the middle three running one block each: four hops side by side
    inst = generate(40, 5, 1, seed=2)
    return inst, Plan((0, 20, 21, 22, 23, 40), tuple(s.name for s in inst.systems))


@pytest.mark.parametrize("plan_of", ["crowded", "six tiers"])
def test_plan_hop_labels_do_not_overlap(plan_of: str) -> None:
    from matplotlib.text import Text

    if plan_of == "crowded":
        inst, plan = _crowded_plan()
    else:
        inst = generate(12, 6, 1, seed=2)
        plan = Plan((0, 0, 1, 2, 3, 4, 12), tuple(s.name for s in inst.systems))
    fig = plan_figure(inst, plan)
    renderer = _renderer(fig)
    (ax,) = fig.axes
    labels = [t for t in ax.texts if "\u2192" in t.get_text()]
    assert len(labels) == len(evaluate(inst, plan).hops) >= 4
    boxes = [Text.get_window_extent(t, renderer) for t in labels]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not _overlap(a, b), (labels[boxes.index(a)].get_text(), labels[boxes.index(b)].get_text())
    frame = ax.get_window_extent(renderer)
    assert all(b.y1 <= frame.y1 + 1 for b in boxes)  # inside the axes: the y limit was raised to fit


def test_plan_one_block_segment_stays_visible() -> None:
    inst = generate(300, 3, 1, seed=2)
    plan = Plan((0, 150, 151, 300), tuple(s.name for s in inst.systems))  # the edge runs one block
    fig = plan_figure(inst, plan)
    renderer = _renderer(fig)
    (ax,) = fig.axes
    frame = ax.get_window_extent(renderer)
    for t in range(3):
        patches = [p for p in ax.patches if to_hex(p.get_facecolor()) == tier_colour(t).lower()]
        widest = max(p.get_window_extent(renderer).width for p in patches)
        tallest = max(p.get_window_extent(renderer).height for p in patches)
        assert widest >= MIN_SEGMENT_SHARE * 0.9 * frame.width and tallest >= 0.02 * frame.height, t
