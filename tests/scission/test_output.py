"""Scission's ranked-line format."""

from __future__ import annotations

from scission_opt.evaluate import evaluate
from scission_opt.instance import Constraints, Instance, Link, Node, System
from scission_opt.plan import Plan
from scission_opt.scission import format_result_line


def _vgg_like() -> Instance:
    # 26 layers in three blocks named like Scission's published example (numbers are made up).
    nodes = (
        Node("b0", (0, 6), (), 1_000_000.0),
        Node("b1", (7, 11), (0,), 1_408_700.0),
        Node("b2", (12, 25), (1,), 4_000.0),
    )
    systems = (
        System("raspi4", "device", (1.0, 2.0, 3.0), trusted=True),
        System("vm2Core", "edge", (0.5, 0.5, 0.5)),
        System("6700k(GPU)", "cloud", (0.1, 0.1, 0.1)),
    )
    links = (
        Link("raspi4", "vm2Core", 0.0, 8.0),
        Link("vm2Core", "6700k(GPU)", 0.0, 8.0),
        Link("raspi4", "6700k(GPU)", 0.0, 8.0),
    )
    return Instance("x", "vgg19", 150_000.0, nodes, ("device", "edge", "cloud"), systems, links, Constraints())


def test_all_tiers_used() -> None:
    inst = _vgg_like()
    plan = Plan((0, 1, 2, 3), ("raspi4", "vm2Core", "6700k(GPU)"))
    m = evaluate(inst, plan)
    # 1 + 0.5 + 0.1 s compute; 1.0 MB and 1.4087 MB at 1 MB/s.
    assert format_result_line(1, inst, plan, m) == (
        "[1] 4.0087s - 2.4087MB - Device(raspi4) = 0 - 6, Edge(vm2Core) = 7 - 11, Cloud(6700k(GPU)) = 12 - 25"
    )


def test_unused_tiers() -> None:
    inst = _vgg_like()
    plan = Plan((0, 0, 0, 3), ("raspi4", None, "6700k(GPU)"))
    assert format_result_line(12, inst, plan, evaluate(inst, plan)) == (
        "[12] 0.4500s - 0.1500MB - Device(raspi4) = -1 - -1, Edge(None) = -1 - -1, Cloud(6700k(GPU)) = 0 - 25"
    )
    plan = Plan((0, 3, 3, 3), ("raspi4", None, None))
    assert format_result_line(2, inst, plan, evaluate(inst, plan)) == (
        "[2] 6.0000s - 0.0000MB - Device(raspi4) = 0 - 25, Edge(None) = -1 - -1, Cloud(None) = -1 - -1"
    )
