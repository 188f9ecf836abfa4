"""The shared NVIDIA H200 measurements as a ``scission-opt/profile@1`` profile.

``instances/measurements/nvidia-h200-keras-jax.json`` (copied unchanged from the
measurement run; its ``what``, ``how`` and ``caveats`` say how it was taken)
holds per-block and whole-model medians of the 18 models on one H200 with
Keras 3 on JAX/XLA. Its block i is node i of the shipped instances, so the
static figures (layers, bytes, FLOPs) come from a reference profile of the same
models measured here. NASNetLarge has only a whole-model time there: its
blocks are estimated (roofline with the H200 spec) and scaled so that the cost
model's whole-model time equals the measured one.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from scission_opt.io import read_json
from scission_opt.profiler.estimate import Spec, estimate_model
from scission_opt.profiler.profile import ModelProfile, Profile, Provenance
from scission_opt.profiler.timing import Timing

#: Datasheet figures of the H200 (NVIDIA H200 Tensor Core GPU datasheet, SXM form factor).
H200_SOURCE = (
    "NVIDIA H200 Tensor Core GPU datasheet (SXM): FP32 67 TFLOPS, 141 GB HBM3e at 4.8 TB/s, max TDP up to 700 W"
)


def _timing(median: float, lo: float, hi: float, repeats: int) -> Timing:
    # The file records median, min and max only: the quartiles are not known and are given as the median.
    return Timing(median, median, median, lo, hi, repeats)


def _measured_model(ref: ModelProfile, rec: dict[str, Any]) -> ModelProfile:
    blocks = rec["blocks"]
    if len(blocks) != len(ref.blocks):
        raise ValueError(f"{ref.name}: {len(blocks)} measured blocks, reference has {len(ref.blocks)}")
    out = []
    for b, r in zip(ref.blocks, blocks, strict=True):
        if r["last_layer"] != b.layers[1]:
            raise ValueError(f"{ref.name}: block {r['index']} ends at layer {r['last_layer']}, reference {b.layers[1]}")
        out.append(replace(b, latency=_timing(r["median_s"], r["min_s"], r["max_s"], rec["repeats"])))
    return _with_whole(ref, tuple(out), rec)


def _with_whole(ref: ModelProfile, blocks: tuple, rec: dict[str, Any]) -> ModelProfile:
    whole = _timing(rec["whole_median_s"], rec["whole_min_s"], rec["whole_max_s"], rec["repeats"])
    return replace(
        ref,
        blocks=blocks,
        whole=whole,
        fixed_call=_timing(0.0, 0.0, 0.0, 0),
        max_chain_diff=None,
        build_s=0.0,
        trace_s=0.0,
        profile_s=0.0,
    )


def scaled_model(ref: ModelProfile, rec: dict[str, Any], spec: Spec, overhead_s: float) -> ModelProfile:
    """A model measured whole only: estimated blocks, scaled so that ``f + sum(net) = whole``."""
    est = estimate_model(ref, replace(spec, fixed_s=0.0))
    net = [b.latency.median_s for b in est.blocks]
    scale = max(rec["whole_median_s"] - overhead_s, 0.0) / sum(net)
    blocks = tuple(
        replace(b, latency=_timing(n * scale + overhead_s, n * scale + overhead_s, n * scale + overhead_s, 0))
        for b, n in zip(ref.blocks, net, strict=True)
    )
    return _with_whole(ref, blocks, rec)


def h200_profile(path: str | Path, reference: Profile, *, system: str = "nvidia-h200") -> tuple[Profile, list[str]]:
    """The measured models of the shared file as a profile, and the names of those measured whole only."""
    data = read_json(path)
    models, whole_only = [], []
    for name, rec in data["models"].items():
        ref = reference.model(name)
        if ref is None:
            continue
        if rec.get("blocks"):
            models.append(_measured_model(ref, rec))
        else:
            whole_only.append(name)
    prov = Provenance(
        method="measured",
        date="2026-11-30",
        cpu="NVIDIA H200 (GPU)",
        keras="3.15.1",
        repeats=50,
        warmup=3,
        note=f"{data['how']} NOT TensorFlow: JAX/XLA kernels. Quartiles not recorded (q1 = q3 = median). "
        f"Source file: {Path(path).name}. Caveats: {' '.join(data['caveats'])}",
    )
    return Profile(system=system, tier="cloud", provenance=prov, models=tuple(models)), whole_only
