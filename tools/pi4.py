"""The Raspberry Pi 4 device tier: its spec, and its efficiency calibrated on published TensorFlow timings.

No Pi 4 is at hand, so its block latencies are estimated with the roofline
model of :mod:`scission_opt.profiler.estimate` from the published spec, with:

- ``flops_efficiency`` calibrated on the only TensorFlow-on-Pi-4 timings found
  (A. Allan, github.com/aallan/benchmarking-ml-on-the-edge: Raspberry Pi 4,
  TensorFlow, COCO detectors at 300 x 300: MobileNet v2 SSD 483.5 ms, MobileNet
  v1 SSD 0.75 depth 263.9 ms) against the FLOPs and layers of their backbones
  counted here (``python -m tools.ssd_backbones``; stored in
  ``instances/specs/pi4-calibration.json``). The SSD heads and post-processing
  are not counted, so the efficiency is biased low (the estimate slow), and
  both points are depthwise-separable networks, which TensorFlow runs less
  efficiently than dense convolutions: VGG- and ResNet-like models may well
  run faster on a real Pi 4 than estimated.
- no other published TensorFlow (not TFLite) Pi 4 timing of a shipped model
  was found (searched 2026-12-01: web pages, GitHub issues and code). Found but
  not usable here: DeepEdgeBench (Baller et al., IC2E 2021, arXiv 2108.09457:
  Pi 4 with TensorFlow, TFLite and PyTorch on MobileNetV2; its figures were not
  readable in the stored text), Scission's own Pi 4 block timings
  (github.com/qub-blesson/Scission, benchmark_data/device-raspi4.dat: a binary
  pickle, not readable from here), and TensorFlow Lite or PyTorch figures
  (another runtime). ``benchmarks/estimator_error.py`` shows one TFLite figure
  beside the estimate as a cross-check, labelled as such.
- ``layer_s`` and ``fixed_s`` (per-layer and per-call costs: op dispatch in
  TensorFlow's runtime) taken from this host measured on one thread and scaled
  by the clock ratio (2.6 GHz / 1.5 GHz), an assumption: equal work per cycle.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from scission_opt.profiler.estimate import Spec

#: Raspberry Pi 4 Model B product brief: Broadcom BCM2711, quad-core Cortex-A72 (ARM v8) 64-bit SoC @ 1.5 GHz,
#: LPDDR4-3200 SDRAM. Cortex-A72: 128-bit NEON, one 4-lane FP32 fused multiply-add per cycle assumed (8 FLOP/cycle).
PI4_CORES, PI4_HZ, PI4_FLOP_PER_CYCLE = 4, 1.5e9, 8
#: LPDDR4-3200 on the BCM2711's 32-bit bus (assumed width): 3200 MT/s x 4 bytes.
PI4_BANDWIDTH = 3200e6 * 4
#: Clock of this host (/proc/cpuinfo: 2.6 GHz), for scaling per-call and per-layer costs to the Pi's 1.5 GHz.
HOST_HZ = 2.6e9

PI4_SPEC_SOURCE = (
    "Raspberry Pi 4 Model B product brief: quad-core Cortex-A72 @ 1.5 GHz, LPDDR4-3200; peak = 4 cores x 1.5 GHz x "
    "8 FP32 FLOP/cycle (one 128-bit NEON FMA per cycle, assumed) = 48 GFLOP/s; memory 3200 MT/s x 32-bit bus "
    "(assumed) = 12.8 GB/s, nominal"
)
ALLAN_SOURCE = (
    "A. Allan, 'Benchmarking machine learning on the edge' (github.com/aallan/benchmarking-ml-on-the-edge; "
    "hackster.io 'Benchmarking Machine Learning on the New Raspberry Pi 4, Model B', 2019): Raspberry Pi 4, "
    "TensorFlow, MobileNet v2 SSD 483.5 ms and MobileNet v1 SSD 0.75 depth 263.9 ms per 300x300 COCO inference"
)
#: Published Pi 4 TensorFlow timings (seconds) keyed as in tools/ssd_backbones.py.
ALLAN_PI4_TENSORFLOW_S = {"mobilenet_v2_ssd_300": 0.4835, "mobilenet_v1_075_ssd_300": 0.2639}


@dataclass(frozen=True)
class Pi4Calibration:
    """The Pi 4 spec and how its efficiency was obtained.

    Attributes
    ----------
    spec
        The calibrated spec.
    per_point
        Per published timing: the efficiency it alone implies.
    """

    spec: Spec
    per_point: dict[str, float]

    def describe(self) -> str:
        points = ", ".join(f"{k} {v:.4f}" for k, v in self.per_point.items())
        return (
            f"flops_efficiency {self.spec.flops_efficiency:.4f} = geometric mean of the efficiencies implied by each "
            f"published timing ({points}): fitting all within {self.spread:.2f}x"
        )

    @property
    def spread(self) -> float:
        vals = list(self.per_point.values())
        return math.sqrt(max(vals) / min(vals))


def predict_s(spec: Spec, backbone: dict[str, Any]) -> float:
    """The calibrated model's time for one published point: per-call + per-layer + compute at the efficiency."""
    compute_s = backbone["flops"] / (spec.peak_flops * spec.flops_efficiency)
    return spec.fixed_s + backbone["layers"] * spec.layer_s + compute_s


def pi4_spec(
    host_fixed_s: float,
    host_layer_s: float,
    backbones: dict[str, Any],
    points: Mapping[str, float] = ALLAN_PI4_TENSORFLOW_S,
) -> Pi4Calibration:
    """Calibrate the Pi 4 spec.

    Parameters
    ----------
    host_fixed_s, host_layer_s
        This host's per-call (segment) cost and per-layer cost on one thread, seconds.
    backbones
        ``{name: {"flops", "layers"}}`` from ``python -m tools.ssd_backbones``.
    points
        The published timings to calibrate on (default: all; a subset for leave-one-out).
    """
    scale = HOST_HZ / PI4_HZ
    peak = PI4_CORES * PI4_HZ * PI4_FLOP_PER_CYCLE
    base = Spec(
        name="raspberry-pi4-estimated",
        tier="device",
        peak_flops=peak,
        memory_bandwidth=PI4_BANDWIDTH,
        fixed_s=host_fixed_s * scale,
        layer_s=host_layer_s * scale,
    )
    per_point = {}
    for name, seconds in points.items():
        b = backbones[name]
        compute_s = seconds - base.fixed_s - b["layers"] * base.layer_s
        per_point[name] = b["flops"] / peak / compute_s
    eff = math.exp(sum(math.log(v) for v in per_point.values()) / len(per_point))
    source = (
        f"{PI4_SPEC_SOURCE}. Calibrated: {ALLAN_SOURCE}; backbone FLOPs counted here (python -m tools.ssd_backbones; "
        f"heads and post-processing not counted). fixed_s and layer_s = this host's one-thread segment cost "
        f"({host_fixed_s * 1e3:.3f} ms) and per-layer cost ({host_layer_s * 1e6:.1f} us) x {scale:.2f} (clock ratio "
        f"2.6 / 1.5 GHz; equal work per cycle assumed)"
    )
    spec = replace(base, flops_efficiency=eff, source=source)
    return Pi4Calibration(spec=spec, per_point=per_point)
