"""The JAX backend: one ``jax.jit`` over ``Model.stateless_call(training=False)`` per block.

Each block is lowered once (tracing Keras's Python, serially: it holds the GIL)
and compiled by XLA ahead of time; on a CPU the compilations of a model's
blocks run in a thread pool (XLA compiles outside the GIL; see
:func:`compile_threads`), and only then is anything timed, so the timing runs
alone. Every timed call ends with ``block_until_ready``, so
on a GPU its wall time covers dispatch, the kernels and the wait for them. The
block's weights are passed as arguments (already on the device), as
``stateless_call`` wants. FLOPs are XLA's own count of the compiled program
(``cost_analysis()["flops"]``, a multiply-add counts 2).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..splits import Block, LayerGraph
from . import BackendError, Compiled, compile_submodels


def _flops(compiled: Any) -> int | None:
    try:
        analysis = compiled.cost_analysis()
    except Exception:  # best effort, as for TensorFlow's count: a missing FLOP count is not fatal
        return None
    if isinstance(analysis, (list, tuple)):  # older jax: one dict per device program
        analysis = analysis[0] if analysis else None
    if not isinstance(analysis, dict) or "flops" not in analysis:
        return None
    flops = int(analysis["flops"])
    # XLA reports -1 where it cannot count (seen on the H200 for programs made of cuDNN custom calls): unknown.
    return flops if flops >= 0 else None


def compile_threads() -> int:
    """Threads that compile a model's blocks: ``SCISSION_OPT_COMPILE_THREADS``, else up to 16 on a CPU, 1 elsewhere.

    On a GPU, XLA autotunes while it compiles (it times candidate kernels on
    the device); compilations running side by side would time them under
    contention and could pick slower kernels, so they run one at a time unless
    asked otherwise.
    """
    import jax

    text = os.environ.get("SCISSION_OPT_COMPILE_THREADS", "")
    if text.strip().isdigit() and int(text) >= 1:
        return int(text)
    if jax.devices()[0].platform != "cpu":
        return 1
    return min(16, os.cpu_count() or 1)


@contextlib.contextmanager
def numpy_initializers(seed: int = 0) -> Iterator[None]:
    """Keras's random, zeros and ones initializers drawn with numpy while a model is built.

    Built eagerly on JAX, every initializer call is one XLA program compiled for
    its shape: building a ResNet50 took 59 s here (1.3 s of CPU with numpy
    draws), almost all of it compiling. Drawn with numpy and put on the device,
    nothing compiles. Normal and uniform draws keep Keras's distributions; the
    truncated normal is clipped at 2 standard deviations rather than redrawn.
    Timing does not depend on weight values (models are built with
    ``weights=None``), and a loaded model file's weights overwrite these.
    """
    import jax.numpy as jnp
    from keras.src.backend import standardize_dtype
    from keras.src.backend.jax import numpy as backend_numpy
    from keras.src.backend.jax import random as backend_random

    rng = np.random.default_rng(seed)

    def arr(x: Any, dtype: Any) -> Any:
        return jnp.asarray(np.asarray(x, dtype=standardize_dtype(dtype)))

    def normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: Any = None) -> Any:
        return arr(rng.normal(mean, stddev, shape), dtype)

    def uniform(shape: Any, minval: float = 0.0, maxval: float = 1.0, dtype: Any = None, seed: Any = None) -> Any:
        return arr(rng.uniform(minval, maxval, shape), dtype)

    def truncated_normal(
        shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: Any = None
    ) -> Any:
        return arr(mean + stddev * np.clip(rng.standard_normal(shape), -2.0, 2.0), dtype)

    def zeros(shape: Any, dtype: Any = None) -> Any:
        return arr(np.zeros(shape), dtype)

    def ones(shape: Any, dtype: Any = None) -> Any:
        return arr(np.ones(shape), dtype)

    patches: list[tuple[Any, Callable[..., Any]]] = [(backend_random, f) for f in (normal, uniform, truncated_normal)]
    patches += [(backend_numpy, f) for f in (zeros, ones)]
    saved = [(module, f.__name__, getattr(module, f.__name__)) for module, f in patches]
    for module, f in patches:
        setattr(module, f.__name__, f)
    try:
        yield
    finally:
        for module, name, original in saved:
            setattr(module, name, original)


@dataclass(frozen=True)
class _Lowered:
    lowered: Any
    trainable: list[Any]
    non_trainable: list[Any]


@dataclass(frozen=True)
class JaxBackend:
    """Keras 3 on JAX / XLA (see :class:`scission_opt.profiler.backends.Backend`)."""

    name: str = "jax"
    method: str = "one jax.jit of Model.stateless_call per block, XLA-compiled ahead of time, block_until_ready"
    needs_submodels: bool = True

    def versions(self) -> tuple[str, str]:
        import jax

        dev = jax.devices()[0]
        return jax.__version__, f"{dev.platform}:{dev.id} {dev.device_kind}"

    def set_threads(self, threads: int | None, inter_op: int | None) -> tuple[int, int]:
        if threads is not None or inter_op is not None:
            raise BackendError(
                "--threads applies to the tensorflow and torch backends; for jax on a CPU set XLA_FLAGS before the run"
            )
        return 0, 0

    def compile_model(self, graph: LayerGraph, blocks: Sequence[Block]) -> tuple[Compiled, list[Compiled]]:
        return compile_submodels(self, graph, blocks)

    def build_scope(self) -> contextlib.AbstractContextManager[None]:
        return numpy_initializers()

    def _lower(self, model: Any, input_shape: tuple[int, ...], dtype: str) -> _Lowered:
        import jax

        trainable = [v.value for v in model.trainable_variables]
        non_trainable = [v.value for v in model.non_trainable_variables]

        def run(tv: Any, ntv: Any, x: Any) -> Any:
            out, _ = model.stateless_call(tv, ntv, x, training=False)
            return out

        spec = jax.ShapeDtypeStruct((1, *input_shape), dtype)
        return _Lowered(jax.jit(run).lower(trainable, non_trainable, spec), trainable, non_trainable)

    @staticmethod
    def _finish(low: _Lowered, compiled: Any) -> Compiled:
        import jax

        tv, ntv = low.trainable, low.non_trainable

        def call(x: Any) -> Any:
            return jax.block_until_ready(compiled(tv, ntv, x))

        return Compiled(call=call, flops=lambda: _flops(compiled))

    def compile(self, model: Any, input_shape: tuple[int, ...], dtype: str) -> Compiled:
        low = self._lower(model, input_shape, dtype)
        return self._finish(low, low.lowered.compile())

    def compile_all(self, items: Sequence[tuple[Any, tuple[int, ...], str]]) -> list[Compiled]:
        lowered = [self._lower(*item) for item in items]
        workers = max(1, min(compile_threads(), len(lowered)))
        if workers == 1:
            compiled = [low.lowered.compile() for low in lowered]
        else:
            pool = ThreadPoolExecutor(workers)
            try:
                compiled = list(pool.map(lambda low: low.lowered.compile(), lowered))
            finally:  # on Ctrl-C (or a time limit's SIGINT) start no more compilations
                pool.shutdown(wait=True, cancel_futures=True)
        return [self._finish(low, c) for low, c in zip(lowered, compiled, strict=True)]

    def to_input(self, array: np.ndarray) -> Any:
        import jax

        return jax.block_until_ready(jax.device_put(array))

    def to_numpy(self, value: Any) -> np.ndarray:
        return np.asarray(value)

    def empty_call(self) -> tuple[Callable[[Any], Any], Any]:
        import jax
        import jax.numpy as jnp

        arg = jax.device_put(jnp.zeros((1,), jnp.float32))
        compiled = jax.jit(lambda x: x + 1.0).lower(arg).compile()
        return (lambda x: jax.block_until_ready(compiled(x))), arg


BACKEND = JaxBackend()
