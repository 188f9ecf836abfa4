"""The figures of the shipped profiles, as Markdown: ``instances/profiles/summary.md``."""

from __future__ import annotations

from scission_opt.profiler.models import model_names
from scission_opt.profiler.overhead import OverheadFit, format_fit
from scission_opt.profiler.profile import Profile

from .pi4 import Pi4Calibration


def _order() -> dict[str, int]:
    return {name: i for i, name in enumerate(model_names())}


def _fits(fits: dict[str, OverheadFit]) -> list[str]:
    out = [
        "## Segment fixed cost per system",
        "",
        (
            "One fixed cost `f` per system, paid once per contiguous segment; block latencies net of it "
            "(`max(b - f, 0)`). `f` minimises the worst |log(cost model / measured)| of the whole-model time over the "
            "system's models (`scission_opt.profiler.overhead`). `cost model` = `f + sum(max(b - f, 0))`: the time "
            "the instances charge for running the whole model on that one system. Goal: within 1.5x for every model, "
            "median error within 20%. `leave-one-out`: the same model's time with `f` fitted on the system's other "
            "models only (how well one `f` carries over to a model it has not seen). Other cost models of the same "
            "shape (a dispatch cost per block apart from `f`, a fusion factor, other fit criteria) are compared in "
            "`segment-cost-study.md` (`python -m tools.segment_cost_study`)."
        ),
        "",
    ]
    for key, fit in fits.items():
        out += [f"### {key}", "", format_fit(fit, _order()), ""]
    return out


def _whole_table(device: Profile, edge: Profile, cloud: Profile) -> list[str]:
    out = [
        "## Whole-model latency per system",
        "",
        (
            "| model | blocks | device (Pi 4, estimated) ms | edge (this 2-core VM, measured) ms "
            "| cloud (H200, measured) ms |"
        ),
        "|---|---:|---:|---:|---:|",
    ]
    for m in sorted(device.models, key=lambda m: _order().get(m.name, 99)):
        e, c = edge.model(m.name), cloud.model(m.name)
        e_text = f"{e.whole.median_s * 1e3:.1f}" if e else ""
        c_text = f"{c.whole.median_s * 1e3:.2f}" if c else ""
        out.append(f"| {m.name} | {len(m.blocks)} | {m.whole.median_s * 1e3:.0f} | {e_text} | {c_text} |")
    return out + [""]


def summary(
    fits: dict[str, OverheadFit],
    pi: Pi4Calibration,
    device: Profile,
    edge: Profile,
    cloud: Profile,
    busy: dict[str, dict[str, float]],
) -> str:
    """The whole summary text."""
    prov = edge.provenance
    out = [
        "# Figures of the shipped profiles",
        "",
        (
            "Written by `python -m tools.ship`. Edge host: "
            f"{prov.cpu}, {prov.cores} cores (a KVM virtual machine); TensorFlow {prov.tensorflow}; {prov.repeats} "
            f"timed runs per block; edge profile started {prov.date}."
        ),
        "",
        "## The Raspberry Pi 4 estimate",
        "",
        f"{pi.spec.describe()}.",
        "",
        f"Calibration: {pi.describe()}.",
        "",
    ]
    out += _whole_table(device, edge, cloud)
    out += _fits(fits)
    out += [
        "## CPU busy before each model was profiled here",
        "",
        "Share of the CPU other processes used just before the model was profiled (the host is shared).",
        "",
        "| model | edge (all cores) | host, 1 thread |",
        "|---|---:|---:|",
    ]
    for name in model_names():
        e, d = busy.get("edge", {}).get(name), busy.get("device", {}).get(name)
        out.append(f"| {name} | {'' if e is None else f'{e:.0%}'} | {'' if d is None else f'{d:.0%}'} |")
    return "\n".join(out) + "\n"
