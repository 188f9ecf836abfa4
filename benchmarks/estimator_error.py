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
