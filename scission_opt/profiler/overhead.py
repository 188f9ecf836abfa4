"""One fixed cost per system, paid once per contiguous segment: fitted on whole-model times.

Every block latency a profiler measures includes one call's fixed cost
(dispatching a ``tf.function`` or an XLA executable, launching its first
kernel). Summing blocks therefore charges that cost once per block, while
running a segment of blocks as one call pays it once. With a fixed cost ``f``
per system, the cost model charges a segment

    f + sum over its blocks of max(b - f, 0)

(``System.segment_overhead_s`` = ``f``; node latencies net of it). One ``f``
is fitted per system, over all models measured on it (a per-model value would
only restate each measurement): the value that minimises the worst
``|log(predicted whole / measured whole)|`` over the models, where "predicted
whole" is the cost model's time for the whole model run on that system alone.
The minimax criterion is chosen because the project's goal is a bound on the
worst model (within 1.5x), with the median reported beside it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .profile import ModelProfile, Profile


@dataclass(frozen=True)
class ModelFit:
    """How one model's whole-model time compares with the cost model, at the fitted cost.

    Attributes
    ----------
    model
        Model name.
    blocks
        Number of blocks.
    measured_s
        Measured whole-model latency (one call).
    sum_s
        Plain sum of the measured block latencies (the cost model without a fixed cost).
    predicted_s
        ``f + sum(max(b - f, 0))``: the cost model with the fitted fixed cost.
    """

    model: str
    blocks: int
    measured_s: float
    sum_s: float
    predicted_s: float

    @property
    def ratio(self) -> float:
        """Predicted / measured whole-model time."""
        return self.predicted_s / self.measured_s

    @property
    def sum_ratio(self) -> float:
        """Plain sum of blocks / measured whole-model time."""
        return self.sum_s / self.measured_s


@dataclass(frozen=True)
class OverheadFit:
    """The fitted fixed cost of one system and the error it leaves, per model.

    Attributes
    ----------
    system
        The system's name.
    segment_overhead_s
        The fitted fixed cost per segment, seconds.
    models
        One :class:`ModelFit` per model used in the fit.
    criterion
        What was minimised, in words.
    """

    system: str
    segment_overhead_s: float
    models: tuple[ModelFit, ...]
    criterion: str = "minimax |log(predicted whole / measured whole)| over the models"
    loo_ratios: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.loo_ratios and len(self.loo_ratios) != len(self.models):
            raise ValueError(f"{len(self.loo_ratios)} leave-one-out ratios for {len(self.models)} models")

    @property
    def worst_factor(self) -> float:
        """Largest factor (>= 1) between predicted and measured whole time, either way."""
        return _worst([m.ratio for m in self.models])

    @property
    def median_error(self) -> float:
        """Median of |predicted / measured - 1|."""
        return _median_error([m.ratio for m in self.models])

    @property
    def worst_factor_plain_sum(self) -> float:
        """The same worst factor for the plain sum of blocks (no fixed cost)."""
        return _worst([m.sum_ratio for m in self.models])

    @property
    def median_error_plain_sum(self) -> float:
        return _median_error([m.sum_ratio for m in self.models])

    @property
    def worst_factor_loo(self) -> float:
        """The worst factor when each model's time is predicted with ``f`` fitted on the other models only."""
        return _worst(self.loo_ratios)

    @property
    def median_error_loo(self) -> float:
        """The median error of those leave-one-model-out predictions."""
        return _median_error(self.loo_ratios)

    def describe(self) -> str:
        """One sentence for provenance strings."""
        return (
            f"segment_overhead_s = {self.segment_overhead_s * 1e3:.4g} ms, fitted over {len(self.models)} models "
            f"({self.criterion}); whole-model time predicted within {self.worst_factor:.2f}x at worst, median error "
            f"{self.median_error:.1%} (plain sum of blocks: {self.worst_factor_plain_sum:.2f}x, "
            f"{self.median_error_plain_sum:.1%})"
            + (
                f"; leave one model out (f fitted on the others, the model predicted): within "
                f"{self.worst_factor_loo:.2f}x, median error {self.median_error_loo:.1%}"
                if self.loo_ratios
                else ""
            )
        )


def _worst(ratios: Sequence[float]) -> float:
    """Largest factor (>= 1) between predicted and measured, either way."""
    return max(max(r, 1 / r) for r in ratios)


def _median_error(ratios: Sequence[float]) -> float:
    """Median of |predicted / measured - 1|."""
    return statistics.median(abs(r - 1) for r in ratios)


def segment_time(latencies: Sequence[float] | np.ndarray, overhead_s: float) -> float:
    """Cost-model time of one segment running ``latencies`` (gross, as measured) with fixed cost ``overhead_s``."""
    b = np.asarray(latencies, dtype=float)
    return float(overhead_s + np.maximum(b - overhead_s, 0.0).sum())


def net_latencies(latencies: Sequence[float], overhead_s: float) -> tuple[float, ...]:
    """Block latencies net of the fixed cost: ``max(b - f, 0)`` each."""
    return tuple(max(float(b) - overhead_s, 0.0) for b in latencies)


def _worst_log_error(blocks: list[np.ndarray], wholes: np.ndarray, f: float) -> float:
    pred = np.array([f + np.maximum(b - f, 0.0).sum() for b in blocks])
    return float(np.max(np.abs(np.log(pred / wholes))))


def fit_overhead(
    blocks: Sequence[Sequence[float]], wholes: Sequence[float], *, upper_s: float | None = None, grid: int = 4001
) -> float:
    """The fixed cost ``f`` minimising the worst ``|log((f + sum max(b - f, 0)) / whole)|``.

    Parameters
    ----------
    blocks
        Per model, its measured block latencies (seconds).
    wholes
        Per model, its measured whole-model latency (seconds), > 0.
    upper_s
        Largest value tried (default: the smallest whole-model time: a
        segment cannot cost more than a whole model).
    grid
        Points of the search grid; the best point is then refined by a golden
        section search on its neighbourhood (the error is piecewise smooth in ``f``).

    Returns
    -------
    The fitted ``f`` in seconds (0 when no fixed cost helps).
    """
    arrays = [np.asarray(b, dtype=float) for b in blocks]
    whole = np.asarray(wholes, dtype=float)
    if not arrays or len(arrays) != len(whole) or np.any(whole <= 0):
        raise ValueError("give at least one model, each with a positive whole-model time")
    hi = float(upper_s if upper_s is not None else whole.min())
    xs = np.linspace(0.0, hi, grid)
    pred = np.stack([xs + np.maximum(b[None, :] - xs[:, None], 0.0).sum(axis=1) for b in arrays], axis=1)
    errs = np.abs(np.log(pred / whole[None, :])).max(axis=1)
    # Refine every local minimum of the grid: a single model also fits exactly at f = its whole time (all blocks
    # net 0), so among equally good minima the smallest f is kept.
    lower = np.r_[True, errs[1:] <= errs[:-1]] & np.r_[errs[:-1] <= errs[1:], True]
    best_f, best_err = 0.0, math.inf
    minima = np.flatnonzero(lower)
    for k in sorted(minima[np.argsort(errs[minima])[:5]]):
        f = _golden(arrays, whole, xs[max(k - 1, 0)], xs[min(k + 1, grid - 1)])
        f, err = (
            (f, _worst_log_error(arrays, whole, f))
            if _worst_log_error(arrays, whole, f) <= errs[k]
            else (float(xs[k]), float(errs[k]))
        )
        if err < best_err - 1e-9:
            best_f, best_err = f, err
    return best_f


def _golden(arrays: list[np.ndarray], whole: np.ndarray, a: float, b: float) -> float:
    g = (math.sqrt(5) - 1) / 2
    for _ in range(60):
        c, d = b - g * (b - a), a + g * (b - a)
        if _worst_log_error(arrays, whole, c) <= _worst_log_error(arrays, whole, d):
            b = d
        else:
            a = c
    return (a + b) / 2


def model_fits(models: Sequence[ModelProfile], overhead_s: float) -> tuple[ModelFit, ...]:
    """Per model, measured whole time against the cost model's whole time at ``overhead_s``."""
    return tuple(
        ModelFit(
            model=m.name,
            blocks=len(m.blocks),
            measured_s=m.whole.median_s,
            sum_s=m.sum_of_blocks_s,
            predicted_s=segment_time(m.latency_s, overhead_s),
        )
        for m in models
    )


def leave_one_out(blocks: Sequence[Sequence[float]], wholes: Sequence[float]) -> tuple[float, ...]:
    """Per model, predicted / measured whole time with ``f`` fitted on the other models only.

    The honest error for a model the fit has not seen: one ``f`` per system is
    meant to carry over to models profiled later. With a single model there is
    nothing to fit on, and the result is empty.
    """
    if len(blocks) < 2:
        return ()
    out = []
    for k in range(len(blocks)):
        rest = [i for i in range(len(blocks)) if i != k]
        f = fit_overhead([blocks[i] for i in rest], [wholes[i] for i in rest])
        out.append(segment_time(blocks[k], f) / float(wholes[k]))
    return tuple(out)


def fit_profile(profile: Profile, *, exclude: Sequence[str] = (), with_loo: bool = True) -> OverheadFit:
    """Fit the fixed cost of ``profile``'s system over all its models (but ``exclude``).

    Models whose blocks are not measured (e.g. estimated, or scaled to a
    whole-model time) should be excluded: they carry no information on ``f``.
    With ``with_loo`` the leave-one-model-out ratios are computed as well
    (:func:`leave_one_out`, one more fit per model).
    """
    models = [m for m in profile.models if m.name not in exclude and m.whole.median_s > 0]
    blocks = [m.latency_s for m in models]
    wholes = [m.whole.median_s for m in models]
    f = fit_overhead(blocks, wholes)
    loo = leave_one_out(blocks, wholes) if with_loo else ()
    return OverheadFit(system=profile.system, segment_overhead_s=f, models=model_fits(models, f), loo_ratios=loo)


def format_fit(fit: OverheadFit, order: Mapping[str, int] | None = None) -> str:
    """A Markdown table of one system's fit, per model, with the summary line."""
    rows = sorted(fit.models, key=lambda m: (order or {}).get(m.model, 0))
    out = [
        f"**{fit.system}**: {fit.describe()}",
        "",
        (
            "| model | blocks | measured whole ms | sum of blocks ms | sum / measured | cost model ms "
            "| cost model / measured | leave-one-out / measured |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    loo = dict(zip((m.model for m in fit.models), fit.loo_ratios, strict=False))
    for m in rows:
        held_out = f"{loo[m.model]:.2f}" if m.model in loo else "n/a"
        out.append(
            f"| {m.model} | {m.blocks} | {m.measured_s * 1e3:.3f} | {m.sum_s * 1e3:.3f} | {m.sum_ratio:.2f} | "
            f"{m.predicted_s * 1e3:.3f} | {m.ratio:.2f} | {held_out} |"
        )
    return "\n".join(out)
