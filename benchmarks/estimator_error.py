"""The roofline estimator's error per model against measured systems: ``python -m benchmarks.estimator_error``.

Writes ``benchmarks/results/estimator-error.md``. For each measured system (the
NVIDIA H200 of ``instances/measurements``, this host on all cores and on one
thread), each model's whole-model time estimated by
``scission_opt.profiler.estimate`` is divided by the measured one, three ways:

- ``nominal``: datasheet / nominal peaks, no per-layer cost (the estimator as
  it was before the per-layer term);
- ``calibrated``: efficiency and per-layer cost fitted on all the system's
  models (in sample: the same models it is judged on);
- ``leave-one-out``: fitted on the other models only, then applied to this one
  (the honest figure for a model the calibration has not seen).

Every estimate uses the system's fitted segment fixed cost as its per-call cost.

The Raspberry Pi 4 (no measurement of our own) is judged against the published
TensorFlow timings it is calibrated on (``tools.pi4``), in sample and leave one
out, with the published figures of other runtimes shown beside as a cross-check
only (see :data:`PI4_CROSS_CHECKS`).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from scission_opt.io import read_json, write_text_atomic
from scission_opt.profiler.estimate import Spec, calibrate, estimate_profile
from scission_opt.profiler.models import model_names
from scission_opt.profiler.overhead import fit_profile
from scission_opt.profiler.profile import Profile, load_profile
from tools.h200 import H200_SOURCE, h200_profile
from tools.pi4 import ALLAN_PI4_TENSORFLOW_S, pi4_spec, predict_s

ROOT = Path(__file__).resolve().parents[1]


def _ratios(spec: Spec, measured: Profile) -> dict[str, float]:
    est = estimate_profile(measured, spec)
    return {m.name: m.whole.median_s / measured.model(m.name).whole.median_s for m in est.models}  # type: ignore[union-attr]


def _loo(spec: Spec, measured: Profile) -> dict[str, float]:
    out = {}
    for m in measured.models:
        fitted = calibrate(spec, measured, exclude=(m.name,)).spec
        one = replace(measured, models=(m,))
        out[m.name] = _ratios(fitted, one)[m.name]
    return out


def _summary(r: dict[str, float]) -> str:
    worst = max(max(v, 1 / v) for v in r.values())
    median = statistics.median(abs(v - 1) for v in r.values())
    return f"worst {worst:.2f}x, median error {median:.0%}"


def system_table(label: str, nominal: Spec, measured: Profile) -> list[str]:
    """One system's section: per model, estimated / measured whole-model time three ways."""
    cal = calibrate(nominal, measured)
    cols = {
        "nominal": _ratios(nominal, measured),
        "calibrated": _ratios(cal.spec, measured),
        "leave-one-out": _loo(nominal, measured),
    }
    order = {n: i for i, n in enumerate(model_names())}
    out = [
        f"### {label}",
        "",
        f"Nominal spec: {nominal.describe()}.",
        "",
        (
            f"Calibrated on all {len(measured.models)} models: flops_efficiency {cal.spec.flops_efficiency:.3g}, "
            f"layer_s {cal.spec.layer_s * 1e6:.1f} us."
        ),
        "",
        "| model | measured whole ms | nominal est./meas. | calibrated est./meas. | leave-one-out est./meas. |",
        "|---|---:|---:|---:|---:|",
    ]
    for m in sorted(measured.models, key=lambda m: order.get(m.name, 99)):
        out.append(
            f"| {m.name} | {m.whole.median_s * 1e3:.3f} | {cols['nominal'][m.name]:.2f} | "
            f"{cols['calibrated'][m.name]:.2f} | {cols['leave-one-out'][m.name]:.2f} |"
        )
    out.append("| **all** | | " + " | ".join(_summary(c) for c in cols.values()) + " |")
    return out + [""]


#: Published Pi 4 figures of other runtimes: NOT used in the calibration (TensorFlow Lite kernels differ from
#: TensorFlow's); shown against the shipped TensorFlow estimate with the runtime named.
PI4_CROSS_CHECKS = (
    (
        "mobilenet",
        0.087,
        "TensorFlow Lite, MobileNet v1 1.0_224, Pi 4 CPU, 87 ms (TildAlice, 'MobileNet vs EfficientNet-Lite: Pi 4 "
        "First Model 38ms Gap', dev.to/tildalice, 2026; precision and thread count not stated). On one Pi 4 A. Allan "
        "measured TensorFlow Lite 3x to 4x faster than TensorFlow on the same two SSD models (hackster.io, "
        "'Benchmarking TensorFlow Lite on the New Raspberry Pi 4, Model B', 2019)",
    ),
)


def pi4_table(root: Path) -> list[str]:
    """Pi 4: each published TensorFlow timing against the calibrated model, in sample and leave one out."""
    spec = read_json(root / "instances" / "specs" / "raspberry-pi4-estimated.json")
    backbones = read_json(root / "instances" / "specs" / "pi4-calibration.json")["backbones"]
    fixed_s, layer_s = spec["fixed_s"], spec["layer_s"]
    full = pi4_spec(fixed_s, layer_s, backbones).spec
    out = [
        "### Raspberry Pi 4 (estimated; calibrated on published TensorFlow timings)",
        "",
        (
            "Published Pi 4 TensorFlow timings of the models' backbones (A. Allan, see `tools/pi4.py`; SSD heads and "
            "post-processing not counted by the estimate) against the calibrated estimate. `leave-one-out`: "
            "efficiency calibrated on the other published point only."
        ),
        "",
        "| published point | published ms | calibrated est./pub. | leave-one-out est./pub. |",
        "|---|---:|---:|---:|",
    ]
    cal, loo = {}, {}
    for name, seconds in ALLAN_PI4_TENSORFLOW_S.items():
        others = {k: v for k, v in ALLAN_PI4_TENSORFLOW_S.items() if k != name}
        held = pi4_spec(fixed_s, layer_s, backbones, others).spec
        cal[name] = predict_s(full, backbones[name]) / seconds
        loo[name] = predict_s(held, backbones[name]) / seconds
        out.append(f"| {name} | {seconds * 1e3:.1f} | {cal[name]:.2f} | {loo[name]:.2f} |")
    out.append(f"| **all** | | {_summary(cal)} | {_summary(loo)} |")
    device = load_profile(root / "instances" / "profiles" / "device-pi4-estimated.json")
    out += ["", "Cross-check only (another runtime, not used in the calibration):", ""]
    for model, seconds, source in PI4_CROSS_CHECKS:
        m = device.model(model)
        if m is not None:
            est = m.whole.median_s
            out.append(f"- {model}: shipped TensorFlow estimate {est * 1e3:.0f} ms = {est / seconds:.1f}x {source}.")
    return out + [""]


def report(root: Path) -> str:
    prof = root / "instances" / "profiles"
    edge = load_profile(prof / "edge-host-2threads.json")
    host1 = load_profile(prof / "host-1thread.json")
    h200, _ = h200_profile(root / "instances" / "measurements" / "nvidia-h200-keras-jax.json", edge)
    specs = {k: read_json(root / "instances" / "specs" / f"host-spec-{k}.json") for k in ("1t", "2t")}

    def host(key: str, measured: Profile) -> Spec:
        d = specs[key]
        f = fit_profile(measured).segment_overhead_s
        return Spec(d["name"], "edge", d["peak_flops"], d["memory_bandwidth"], fixed_s=f, source=d["source"])

    h200_nominal = Spec(
        "nvidia-h200", "cloud", 67e12, 4.8e12, fixed_s=fit_profile(h200).segment_overhead_s, source=H200_SOURCE
    )
    out = [
        "# Roofline estimator against measurement, per model",
        "",
        (
            "Written by `python -m benchmarks.estimator_error` (see its docstring). Ratios are estimated / measured "
            "whole-model time; `worst` is the largest factor either way. The host profiles were measured on this "
            "2-core VM while other work shared it (CPU-busy shares per model: `instances/profiles/cpu-busy.json`)."
        ),
        "",
    ]
    out += system_table("NVIDIA H200 (Keras 3 on JAX/XLA; 17 models measured per block)", h200_nominal, h200)
    out += system_table("This host, all (2) cores, TensorFlow", host("2t", edge), edge)
    out += system_table("This host, 1 thread, TensorFlow", host("1t", host1), host1)
    out += pi4_table(root)
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.estimator_error", description=__doc__.split("\n")[0])
    parser.add_argument("-o", "--output", default=str(ROOT / "benchmarks" / "results" / "estimator-error.md"))
    args = parser.parse_args(argv)
    text = report(ROOT)
    write_text_atomic(args.output, text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
