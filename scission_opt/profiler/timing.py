"""Timing a callable (median and spread), and TensorFlow's thread settings and ``tf.function`` per callable.

:func:`time_call` serves every backend (each backend's compiled call waits for
its result); the rest is TensorFlow's, used by its backend module.

``model.predict`` costs tens of milliseconds per call whatever the model, so
every block is traced once into a ``tf.function`` (``autograph=False``) with a
fixed input signature and its concrete function is called directly.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ScissionError
from ._tf import tensorflow


class ThreadSettingError(ScissionError, RuntimeError):
    """TensorFlow's thread pools were already started with another size."""


@dataclass(frozen=True)
class Timing:
    """Summary of repeated timings, seconds.

    Attributes
    ----------
    median_s
        The figure used as the latency.
    q1_s, q3_s
        Lower and upper quartiles: the spread.
    min_s, max_s
        Extremes.
    repeats
        Number of timed runs (after the warm-up).
    """

    median_s: float
    q1_s: float
    q3_s: float
    min_s: float
    max_s: float
    repeats: int

    @classmethod
    def of(cls, samples: Sequence[float]) -> Timing:
        xs = sorted(samples)
        if len(xs) >= 2:
            q1, _, q3 = statistics.quantiles(xs, n=4, method="inclusive")
        else:
            q1 = q3 = xs[0]
        return cls(statistics.median(xs), q1, q3, xs[0], xs[-1], len(xs))

    def to_dict(self) -> dict[str, float | int]:
        return {
            "median_s": self.median_s,
            "q1_s": self.q1_s,
            "q3_s": self.q3_s,
            "min_s": self.min_s,
            "max_s": self.max_s,
            "repeats": self.repeats,
        }


def set_threads(threads: int | None, inter_op: int | None = None) -> tuple[int, int]:
    """Set TensorFlow's intra-op (and inter-op, default the same) thread counts.

    ``threads=None`` leaves TensorFlow's defaults. Returns the settings in force
    (0 means TensorFlow picks). Thread pools are fixed once TensorFlow runs its
    first operation, so this must happen before any model is built.

    Raises
    ------
    ThreadSettingError
        When TensorFlow already runs with other settings (start a new process).
    """
    tf = tensorflow()

    cfg = tf.config.threading
    if threads is not None:
        if threads < 1:
            raise ThreadSettingError(f"--threads must be >= 1, got {threads}")
        inter = threads if inter_op is None else inter_op
        if (cfg.get_intra_op_parallelism_threads(), cfg.get_inter_op_parallelism_threads()) != (threads, inter):
            try:
                cfg.set_intra_op_parallelism_threads(threads)
                cfg.set_inter_op_parallelism_threads(inter)
            except RuntimeError:
                raise ThreadSettingError(
                    f"TensorFlow already runs with {cfg.get_intra_op_parallelism_threads()} intra-op threads; "
                    f"set threads={threads} in a new process, before any model is built"
                ) from None
    return cfg.get_intra_op_parallelism_threads(), cfg.get_inter_op_parallelism_threads()


def compile_call(model: Any, input_shape: Sequence[int], dtype: str = "float32") -> Any:
    """A concrete ``tf.function`` running ``model`` in inference mode on one batch of ``input_shape``."""
    tf = tensorflow()

    fn = tf.function(lambda x: model(x, training=False), autograph=False)
    return fn.get_concrete_function(tf.TensorSpec((1, *input_shape), dtype))


def time_call(fn: Callable[[Any], Any], arg: Any, repeats: int = 10, warmup: int = 2) -> Timing:
    """Call ``fn(arg)`` ``warmup`` times, then time ``repeats`` calls with ``time.perf_counter``.

    On the CPU a concrete function returns when its outputs are computed, so
    the wall time of the call is the compute time plus the fixed cost per call.
    """
    if repeats < 1:
        raise ValueError("repeats must be >= 1")
    for _ in range(warmup):
        fn(arg)
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(arg)
        samples.append(time.perf_counter() - start)
    return Timing.of(samples)


def fixed_call_cost(repeats: int = 50) -> Timing:
    """Timing of a ``tf.function`` that does almost nothing: the fixed cost every block call pays."""
    tf = tensorflow()

    fn = tf.function(lambda x: x + 1.0, autograph=False).get_concrete_function(tf.TensorSpec((1,), tf.float32))
    return time_call(fn, tf.zeros((1,)), repeats=repeats, warmup=5)
