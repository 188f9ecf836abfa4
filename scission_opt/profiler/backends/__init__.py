"""Keras 3 backends for the profiler: choosing one, importing Keras on it, and each one's compiled call.

Keras picks its backend once, when ``keras`` is first imported, from the
``KERAS_BACKEND`` environment variable. The profiler therefore chooses the
backend *before* that import: :func:`keras_module` (through :func:`get_backend`) sets ``KERAS_BACKEND`` and only
then imports Keras. In a process where Keras already runs on another backend
it refuses with one line, and the run has to happen in a new process (the
``profile`` command is one). Switching inside a process
(``keras.config.set_backend``) was rejected: it reloads Keras's modules, and
models and tensors made before keep the old backend's types.

Each backend, one module each:

- :mod:`.tensorflow`: one ``tf.function`` (concrete, ``autograph=False``) per block;
  the default, as before;
- :mod:`.jax`: one ``jax.jit`` over ``Model.stateless_call(training=False)`` per
  block, compiled ahead of time (XLA), each call ended by ``block_until_ready``;
- :mod:`.torch`: ``torch.compile`` per block where it works, else eager, under
  ``torch.no_grad()``; each call ended by a device synchronisation.

None of them is imported until it is selected; TensorFlow, JAX and PyTorch are
each optional.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ...errors import ScissionError, UnknownNameError

if TYPE_CHECKING:  # pragma: no cover
    from ..splits import Block, LayerGraph

NAMES = ("tensorflow", "jax", "torch")
DEFAULT = "tensorflow"

#: What to install for each backend (the extras in pyproject.toml).
INSTALL = {
    "tensorflow": "pip install 'scission_opt[profile]'",
    "jax": "pip install 'scission_opt[jax]'",
    "torch": "pip install 'scission_opt[torch]'",
}


class MissingDependencyError(ScissionError, ImportError):
    """A package the chosen backend needs is not installed; the message says what to install."""


class BackendError(ScissionError, RuntimeError):
    """The backend cannot run in this process (Keras already runs on another one, or an option it lacks)."""


@dataclass(frozen=True)
class Compiled:
    """One model (or block) compiled for repeated calls on one input shape.

    Attributes
    ----------
    call
        Runs the model on one input and returns only when the output is computed
        (the backend's synchronisation included), so its wall time is the latency.
    flops
        Returns the model's floating-point operations as the backend's compiler
        counts them (a multiply-add counts 2), or ``None`` when it cannot.
    """

    call: Callable[[Any], Any]
    flops: Callable[[], int | None]


class Backend(Protocol):
    """What the profiler needs from a Keras backend."""

    @property
    def name(self) -> str:
        """The backend's name, as ``KERAS_BACKEND`` spells it."""
        ...

    @property
    def method(self) -> str:
        """How one block is compiled and timed, for the provenance, e.g. "one tf.function per block"."""
        ...

    @property
    def needs_submodels(self) -> bool:
        """Whether :meth:`compile_model` needs each block's Keras sub-model (``Block.submodel``)."""
        ...

    def versions(self) -> tuple[str, str]:
        """``(library version, device)``, e.g. ``("0.10.2", "cpu:0 cpu")``."""
        ...

    def set_threads(self, threads: int | None, inter_op: int | None) -> tuple[int, int]:
        """Set intra-op / inter-op threads before any model runs; return those in force (0: the library's)."""
        ...

    def build_scope(self) -> contextlib.AbstractContextManager[None]:
        """A context to build or load models in (JAX: initializers drawn with numpy, see ``jax.numpy_initializers``)."""
        ...

    def compile(self, model: Any, input_shape: tuple[int, ...], dtype: str) -> Compiled:
        """Compile ``model`` for one batch of ``input_shape``."""
        ...

    def compile_model(self, graph: LayerGraph, blocks: Sequence[Block]) -> tuple[Compiled, list[Compiled]]:
        """The whole model and each block, compiled for one batch at their input shapes."""
        ...

    def compile_all(self, items: Sequence[tuple[Any, tuple[int, ...], str]]) -> list[Compiled]:
        """:meth:`compile` for each ``(model, input_shape, dtype)``, in parallel where the backend can."""
        ...

    def to_input(self, array: np.ndarray) -> Any:
        """The backend's tensor for ``array``, on the device the model runs on."""
        ...

    def to_numpy(self, value: Any) -> np.ndarray:
        """A model output as a numpy array."""
        ...

    def empty_call(self) -> tuple[Callable[[Any], Any], Any]:
        """A compiled call that does almost nothing, and its argument: the fixed cost every call pays."""
        ...


def compile_submodels(backend: Backend, graph: LayerGraph, blocks: Sequence[Block]) -> tuple[Compiled, list[Compiled]]:
    """:meth:`Backend.compile_model` from the whole model and each block's Keras sub-model."""

    def item(model: Any) -> tuple[Any, tuple[int, ...], str]:
        x = model.inputs[0]
        return model, tuple(int(d) for d in x.shape[1:]), str(x.dtype)

    compiled = backend.compile_all([item(graph.model)] + [item(b.submodel) for b in blocks])
    return compiled[0], compiled[1:]


def check_name(name: str) -> str:
    """``name`` if it is a known backend, else an error listing them."""
    if name not in NAMES:
        raise UnknownNameError(f"unknown backend {name!r}; known backends: {', '.join(NAMES)}")
    return name


def _require(module: str, backend: str) -> None:
    """Import ``module`` or raise a one-line :class:`MissingDependencyError` saying what to install."""
    try:
        importlib.import_module(module)
    except ImportError as exc:
        what = "TensorFlow (the default backend)" if backend == "tensorflow" else f"{module}"
        raise MissingDependencyError(
            f"profile --backend {backend} needs {what}, which cannot be imported ({_first_line(exc)}): "
            f"{INSTALL[backend]}" + ("" if backend != "tensorflow" else ", or choose --backend jax or torch")
        ) from None


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip() or type(exc).__name__).splitlines()[0][:200]


def running_backend() -> str | None:
    """The backend Keras runs on in this process, or ``None`` before Keras is imported."""
    keras = sys.modules.get("keras")
    if keras is None:
        return None
    return str(keras.config.backend())


def keras_module(backend: str | None = None) -> Any:
    """Import Keras on ``backend`` (default: the running one, else ``KERAS_BACKEND``, else TensorFlow).

    Raises
    ------
    MissingDependencyError
        When the backend's library (or Keras) is not installed.
    BackendError
        When Keras already runs on another backend in this process.
    """
    running = running_backend()
    if backend is None:
        backend = running or os.environ.get("KERAS_BACKEND") or DEFAULT
    check_name(backend)
    if running is not None:
        if running != backend:
            raise BackendError(
                f"Keras already runs on the {running} backend in this process and picks its backend only at "
                f"import; profile with --backend {backend} in a new process (e.g. python -m scission_opt profile)"
            )
        return sys.modules["keras"]
    os.environ["KERAS_BACKEND"] = backend
    if backend == "tensorflow":
        from .._tf import tensorflow

        tensorflow()  # quiet import, OR-Tools first (see scission_opt/_native.py); raises MissingDependencyError
    else:
        _require(backend, backend)
    _require("keras", backend)
    return sys.modules["keras"]


def get_backend(name: str = DEFAULT) -> Backend:
    """Select backend ``name`` for this process (importing Keras on it) and return its profiler interface.

    Raises
    ------
    UnknownNameError, MissingDependencyError, BackendError
        For an unknown name, a missing library, or Keras already on another backend.
    """
    keras_module(check_name(name))
    module = importlib.import_module(f"{__name__}.{name}")
    backend: Backend = module.BACKEND
    return backend
