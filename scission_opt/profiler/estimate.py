"""Latencies for hardware one does not have: a roofline model from FLOPs and bytes.

A block's estimated latency is

    fixed_s + max(flops / (peak_flops * flops_efficiency),
                  traffic_bytes / (memory_bandwidth * bandwidth_efficiency))

with ``traffic_bytes`` the bytes every layer of the block reads and writes plus
its weights (see :class:`~scission_opt.profiler.costs.BlockCosts`). The whole
model is estimated the same way as one call. Estimated profiles are marked
``"estimated"`` in their provenance, with the spec written out.
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
    flops_efficiency: float = 1.0
    bandwidth_efficiency: float = 1.0
    source: str = ""

    def seconds(self, flops: float, traffic_bytes: float) -> float:
        """Roofline time of one call doing ``flops`` and moving ``traffic_bytes``."""
        compute = flops / (self.peak_flops * self.flops_efficiency)
        memory = traffic_bytes / (self.memory_bandwidth * self.bandwidth_efficiency)
        return self.fixed_s + max(compute, memory)

    def describe(self) -> str:
        eff = ""
        if self.flops_efficiency != 1.0 or self.bandwidth_efficiency != 1.0:
            eff = f" at {self.flops_efficiency:g} / {self.bandwidth_efficiency:g} of those peaks"
        return (
            f"roofline model: peak {self.peak_flops / 1e12:g} TFLOP/s FP32, memory {self.memory_bandwidth / 1e9:g} GB/s"
            f"{eff}, fixed {self.fixed_s * 1e3:g} ms per block call"
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
            raise InvalidInstanceError("no FLOP count: cannot estimate", source, f"models.{model.name}.blocks[{i}].flops")
        blocks.append(replace(b, latency=_fixed(spec.seconds(b.flops, b.traffic_bytes))))
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
        pairs = [(e.latency.median_s, r.latency.median_s) for e, r in zip(est.blocks, real.blocks) if r.latency.median_s > 0]
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
    lines = [f"{'model':<20} {'blocks':>6} {'median est/meas':>15} {'median |log2|':>13} {'sum est/meas':>12} {'whole est/meas':>14}"]
    for r in rows:
        lines.append(
            f"{r.model:<20} {r.blocks:>6} {r.median_block_ratio:>15.3f} {r.median_abs_log2_error:>13.3f} "
            f"{r.sum_ratio:>12.3f} {r.whole_ratio:>14.3f}"
        )
    return "\n".join(lines)
