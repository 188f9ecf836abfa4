"""The TensorFlow backend: one concrete ``tf.function`` (``autograph=False``) per block, graph mode.

Its FLOPs come from TensorFlow's graph profiler on the traced graph (see
:func:`scission_opt.profiler.costs.count_flops`). A concrete function returns
on the CPU when its outputs are computed, so no extra synchronisation is needed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._tf import tensorflow
from ..timing import compile_call, set_threads
from . import Compiled


@dataclass(frozen=True)
class TensorFlowBackend:
    """Keras 3 on TensorFlow (see :class:`scission_opt.profiler.backends.Backend`)."""

    name: str = "tensorflow"
    method: str = "one tf.function per block"

    def versions(self) -> tuple[str, str]:
        tf = tensorflow()
        gpus = tf.config.list_logical_devices("GPU")
        return tf.__version__, ("gpu: " + ", ".join(d.name for d in gpus)) if gpus else "cpu"

    def set_threads(self, threads: int | None, inter_op: int | None) -> tuple[int, int]:
        return set_threads(threads, inter_op)

    def build_scope(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def compile(self, model: Any, input_shape: tuple[int, ...], dtype: str) -> Compiled:
        from ..costs import count_flops

        fn = compile_call(model, input_shape, dtype)
        return Compiled(call=fn, flops=lambda: count_flops(fn))

    def compile_all(self, items: Sequence[tuple[Any, tuple[int, ...], str]]) -> list[Compiled]:
        return [self.compile(*item) for item in items]  # tracing holds the GIL: nothing to gain from threads

    def to_input(self, array: np.ndarray) -> Any:
        return tensorflow().constant(array)

    def to_numpy(self, value: Any) -> np.ndarray:
        return np.asarray(value)

    def empty_call(self) -> tuple[Callable[[Any], Any], Any]:
        tf = tensorflow()
        fn = tf.function(lambda x: x + 1.0, autograph=False).get_concrete_function(tf.TensorSpec((1,), tf.float32))
        return fn, tf.zeros((1,))


BACKEND = TensorFlowBackend()
