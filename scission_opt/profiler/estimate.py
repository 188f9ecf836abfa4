"""Latencies for hardware one does not have: a roofline model from FLOPs and bytes.

A block's estimated latency is

    fixed_s + layers * layer_s
            + max(flops / (peak_flops * flops_efficiency),
                  traffic_bytes / (memory_bandwidth * bandwidth_efficiency))

with ``traffic_bytes`` the bytes every layer of the block reads and writes plus
its weights (see :class:`~scission_opt.profiler.costs.BlockCosts`) and
``layers`` the number of Keras layers in the block. The whole model is
estimated the same way as one call (one ``fixed_s``).

``layer_s`` is the cost every layer pays whatever its size (an op's dispatch,
a kernel launch, a pass over a tensor too small to reach the bandwidth
peak). Without it a roofline is blind to models made of many small layers:
on a real H200 the plain roofline put NASNetMobile (771 layers, 1.1 GFLOP)
at 0.65 ms against 8.9 ms measured. The FLOP count was not at fault: 1.13
GFLOP for NASNetMobile matches its published 564 M multiply-adds. Estimated
profiles are marked ``"estimated"`` in their provenance, with the spec
written out.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .._fields import Fields
from ..errors import InvalidInstanceError
from ..io import read_json
from .profile import ModelProfile, Profile, Provenance
from .timing import Timing


@dataclass(frozen=True)
class Spec:
    """The compute figures of a machine, with where they come from.

    Attributes
    ----------
    name, tier
        Name and tier of the estimated system.
    peak_flops
        Peak floating-point operations per second (FP32).
    memory_bandwidth
        Memory bandwidth in bytes per second.
    fixed_s
        Fixed cost of one block call (dispatch, kernel launches), seconds.
    layer_s
        Cost of every layer whatever its size (op dispatch, kernel launch), seconds.
    flops_efficiency, bandwidth_efficiency
        Fractions of the peaks assumed reachable (1.0: the nominal peaks).
    source
        Where the figures come from.
    """

    name: str
    tier: str
    peak_flops: float
    memory_bandwidth: float
    fixed_s: float = 0.0
    layer_s: float = 0.0
    flops_efficiency: float = 1.0
    bandwidth_efficiency: float = 1.0
    source: str = ""

    def seconds(self, flops: float, traffic_bytes: float, layers: int = 0) -> float:
        """Time of one call running ``layers`` layers that do ``flops`` and move ``traffic_bytes``."""
        return self.fixed_s + self.net_seconds(flops, traffic_bytes, layers)

    def net_seconds(self, flops: float, traffic_bytes: float, layers: int = 0) -> float:
        """:meth:`seconds` without the call's fixed cost."""
        compute = flops / (self.peak_flops * self.flops_efficiency)
        memory = traffic_bytes / (self.memory_bandwidth * self.bandwidth_efficiency)
        return layers * self.layer_s + max(compute, memory)

    def describe(self) -> str:
        eff = ""
        if self.flops_efficiency != 1.0 or self.bandwidth_efficiency != 1.0:
            eff = f" at {self.flops_efficiency:g} / {self.bandwidth_efficiency:g} of those peaks"
        return (
            f"roofline model: peak {self.peak_flops / 1e12:g} TFLOP/s FP32, memory {self.memory_bandwidth / 1e9:g} GB/s"
            f"{eff}, fixed {self.fixed_s * 1e3:g} ms per block call"
            + (f", {self.layer_s * 1e6:g} us per layer" if self.layer_s else "")
            + (f"; source: {self.source}" if self.source else "")
        )


def parse_spec(data: Any, source: str = "<spec>") -> Spec:
    """Validate a spec document (JSON object with the fields of :class:`Spec`)."""
    f = Fields(data, "", source)
    spec = Spec(
        name=f.string("name"),
        tier=f.string("tier"),
        peak_flops=f.number("peak_flops", positive=True),
        memory_bandwidth=f.number("memory_bandwidth", positive=True),
        fixed_s=f.number("fixed_s", 0.0),
        layer_s=f.number("layer_s", 0.0),
        flops_efficiency=f.number("flops_efficiency", 1.0, positive=True, maximum=1.0),
        bandwidth_efficiency=f.number("bandwidth_efficiency", 1.0, positive=True, maximum=1.0),
        source=f.string("source", ""),
    )
    f.done()
    return spec


def load_spec(path: str | Path) -> Spec:
    """Read a spec file.

    Raises
    ------
    InvalidInstanceError
        Naming the file and the field.
    """
    return parse_spec(read_json(path), str(path))


def _fixed(seconds: float) -> Timing:
    return Timing(seconds, seconds, seconds, seconds, seconds, 0)


def estimate_model(model: ModelProfile, spec: Spec, source: str | None = None) -> ModelProfile:
    """The model's profile with every latency replaced by the roofline estimate.

    Raises
    ------
    InvalidInstanceError
        For a block without a FLOP count, naming ``source`` (the profile file) and the block.
    """
    blocks = []
    for i, b in enumerate(model.blocks):
        if b.flops is None:
            where = f"models.{model.name}.blocks[{i}].flops"
            raise InvalidInstanceError("no FLOP count: cannot estimate", source, where)
        layers = b.layers[1] - b.layers[0] + 1
        blocks.append(replace(b, latency=_fixed(spec.seconds(b.flops, b.traffic_bytes, layers))))
    whole = spec.fixed_s + sum(bl.latency.median_s - spec.fixed_s for bl in blocks)
    return replace(
        model,
        blocks=tuple(blocks),
        whole=_fixed(whole),
        fixed_call=_fixed(spec.fixed_s),
        max_chain_diff=None,
        build_s=0.0,
        trace_s=0.0,
        profile_s=0.0,
    )


def estimate_profile(profile: Profile, spec: Spec, models: list[str] | None = None) -> Profile:
    """An estimated profile for ``spec``'s machine, from the FLOPs and bytes of ``profile``.

    Parameters
    ----------
    profile
        A profile (measured anywhere) that holds the models' FLOPs and bytes.
    spec
        The machine to estimate.
    models
        Names of the models to estimate (default: all in ``profile``).
    """
    chosen = profile.models if models is None else tuple(m for m in profile.models if m.name in models)
    prov = Provenance(
        method="estimated",
        date=profile.provenance.date,
        tensorflow=profile.provenance.tensorflow,
        keras=profile.provenance.keras,
        note=f"{spec.describe()}; FLOPs and bytes from profile {profile.system!r} ({profile.source})",
    )
    return Profile(
        system=spec.name,
        tier=spec.tier,
        provenance=prov,
        models=tuple(estimate_model(m, spec, profile.source) for m in chosen),
    )


@dataclass(frozen=True)
class EstimateError:
    """How far an estimate is from a measurement, for one model.

    Attributes
    ----------
    model
        Model name.
    blocks
        Number of blocks compared.
    median_block_ratio
        Median over blocks of estimated / measured latency.
    median_abs_log2_error
        Median over blocks of |log2(estimated / measured)| (1.0 = a factor 2 off).
    sum_ratio
        Estimated / measured sum of block latencies.
    whole_ratio
        Estimated / measured whole-model latency.
    """

    model: str
    blocks: int
    median_block_ratio: float
    median_abs_log2_error: float
    sum_ratio: float
    whole_ratio: float


def estimate_error(measured: Profile, estimated: Profile) -> list[EstimateError]:
    """Compare an estimated profile with a measured one, model by model (models in both only)."""
    import math

    out = []
    for est in estimated.models:
        real = measured.model(est.name)
        if real is None:
            continue
        pairs = [
            (e.latency.median_s, r.latency.median_s)
            for e, r in zip(est.blocks, real.blocks, strict=False)
            if r.latency.median_s > 0
        ]
        ratios = [e / r for e, r in pairs]
        out.append(
            EstimateError(
                model=est.name,
                blocks=len(pairs),
                median_block_ratio=statistics.median(ratios),
                median_abs_log2_error=statistics.median(abs(math.log2(q)) for q in ratios),
                sum_ratio=est.sum_of_blocks_s / real.sum_of_blocks_s,
                whole_ratio=est.whole.median_s / real.whole.median_s,
            )
        )
    return out


def estimate_file(
    profile_path: str | Path,
    spec_path: str | Path,
    output: str | Path | None = None,
    *,
    models: list[str] | None = None,
) -> Profile:
    """:func:`estimate_profile` from files; writes the estimated profile atomically to ``output`` when given."""
    from .profile import load_profile

    estimated = estimate_profile(load_profile(profile_path), load_spec(spec_path), models)
    if output is not None:
        estimated.save(output)
    return replace(estimated, source=str(output) if output is not None else "<estimate>")


def format_estimate_error(rows: list[EstimateError]) -> str:
    """A small table of :func:`estimate_error` rows."""
    lines = [
        (
            f"{'model':<20} {'blocks':>6} {'median est/meas':>15} {'median |log2|':>13} {'sum est/meas':>12} "
            f"{'whole est/meas':>14}"
        )
    ]
    for r in rows:
        lines.append(
            f"{r.model:<20} {r.blocks:>6} {r.median_block_ratio:>15.3f} {r.median_abs_log2_error:>13.3f} "
            f"{r.sum_ratio:>12.3f} {r.whole_ratio:>14.3f}"
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class Calibration:
    """A spec's free parameters fitted to measured whole-model times.

    Attributes
    ----------
    spec
        The spec with the fitted ``flops_efficiency`` (and ``layer_s`` when fitted).
    worst_factor
        Largest factor between estimated and measured whole-model time over the models used.
    models
        Names of the models used.
    """

    spec: Spec
    worst_factor: float
    models: tuple[str, ...]


def _whole_arrays(models: list[ModelProfile]) -> list[tuple[Any, Any, Any]]:
    import numpy as np

    out = []
    for m in models:
        if any(b.flops is None for b in m.blocks):
            raise InvalidInstanceError("no FLOP count: cannot calibrate", None, f"models.{m.name}")
        out.append(
            (
                np.array([b.flops for b in m.blocks], dtype=float),
                np.array([b.traffic_bytes for b in m.blocks], dtype=float),
                np.array([b.layers[1] - b.layers[0] + 1 for b in m.blocks], dtype=float),
            )
        )
    return out


def calibrate(spec: Spec, measured: Profile, *, fit_layer_s: bool = True, exclude: tuple[str, ...] = ()) -> Calibration:
    """Fit ``flops_efficiency`` (and ``layer_s``) of ``spec`` to ``measured``'s whole-model times.

    The criterion is the smallest worst ``|log(estimated whole / measured whole)|``
    over the models, on a grid (efficiency log-spaced from 0.005 to 1, layer
    cost from 0 to 200 microseconds). ``bandwidth_efficiency`` and ``fixed_s``
    are kept as given. The estimate is then *in sample* for these models: say
    so wherever its error is quoted.
    """
    import numpy as np

    models = [m for m in measured.models if m.name not in exclude]
    arrays = _whole_arrays(models)
    whole = np.array([m.whole.median_s for m in models])
    effs = np.geomspace(0.005, 1.0, 241)
    layer_grid = np.linspace(0.0, 200e-6, 401) if fit_layer_s else np.array([spec.layer_s])
    best = (np.inf, spec.flops_efficiency, spec.layer_s)
    bw = spec.memory_bandwidth * spec.bandwidth_efficiency
    for eff in effs:
        compute = [np.maximum(f / (spec.peak_flops * eff), t / bw) for f, t, _ in arrays]
        base = np.array([c.sum() for c in compute]) + spec.fixed_s
        layers = np.array([n.sum() for _, _, n in arrays])
        est = base[None, :] + layer_grid[:, None] * layers[None, :]
        worst = np.abs(np.log(est / whole[None, :])).max(axis=1)
        k = int(np.argmin(worst))
        if worst[k] < best[0]:
            best = (float(worst[k]), float(eff), float(layer_grid[k]))
    fitted = replace(spec, flops_efficiency=best[1], layer_s=best[2])
    return Calibration(spec=fitted, worst_factor=float(np.exp(best[0])), models=tuple(m.name for m in models))
