"""The PyTorch backend: ``torch.compile`` per block where it works, else eager, under ``torch.no_grad()``.

PyTorch is optional and not installed where this project is tested: this
module is imported only when ``--backend torch`` is chosen, after
:func:`scission_opt.profiler.backends.keras_module` has checked that torch
imports. ``torch.compile`` compiles on the first call; a block whose first
compiled call fails is run eagerly instead (the provenance's method says so, not
which blocks). Every timed call ends with a device
synchronisation on a GPU. FLOPs come from ``torch.utils.flop_counter`` on one
eager call (a multiply-add counts 2), best effort.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..splits import Block, LayerGraph
from . import Compiled, compile_submodels


def _sync() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def _flops(fn: Callable[[Any], Any], x: Any) -> int | None:
    try:
        import torch
        from torch.utils.flop_counter import FlopCounterMode

        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            fn(x)
        return int(counter.get_total_flops())
    except Exception:  # best effort: a missing FLOP count is not fatal
        return None


@dataclass(frozen=True)
class TorchBackend:
    """Keras 3 on PyTorch (see :class:`scission_opt.profiler.backends.Backend`)."""

    name: str = "torch"
    method: str = "torch.compile per block (eager where compiling fails), torch.no_grad, synchronised"
    needs_submodels: bool = True

    def versions(self) -> tuple[str, str]:
        import torch

        if torch.cuda.is_available():
            return torch.__version__, f"cuda:0 {torch.cuda.get_device_name(0)}"
        return torch.__version__, "cpu"

    def set_threads(self, threads: int | None, inter_op: int | None) -> tuple[int, int]:
        import torch

        if threads is not None:
            torch.set_num_threads(threads)
            try:
                torch.set_num_interop_threads(threads if inter_op is None else inter_op)
            except RuntimeError:  # already fixed once parallel work ran in this process
                pass
        return torch.get_num_threads(), torch.get_num_interop_threads()

    def compile_model(self, graph: LayerGraph, blocks: Sequence[Block]) -> tuple[Compiled, list[Compiled]]:
        return compile_submodels(self, graph, blocks)

    def build_scope(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def compile(self, model: Any, input_shape: tuple[int, ...], dtype: str) -> Compiled:
        import torch

        def eager(x: Any) -> Any:
            with torch.no_grad():
                return model(x, training=False)

        try:
            compiled: Callable[[Any], Any] | None = torch.compile(eager)
        except Exception:  # no compiler for this platform
            compiled = None
        state = {"fn": compiled or eager}

        def call(x: Any) -> Any:
            try:
                out = state["fn"](x)
            except Exception:
                if state["fn"] is eager:
                    raise
                state["fn"] = eager
                out = eager(x)
            _sync()
            return out

        probe = self.to_input(np.zeros((1, *input_shape), dtype=dtype))
        return Compiled(call=call, flops=lambda: _flops(eager, probe))

    def compile_all(self, items: Sequence[tuple[Any, tuple[int, ...], str]]) -> list[Compiled]:
        return [self.compile(*item) for item in items]

    def to_input(self, array: np.ndarray) -> Any:
        import keras

        return keras.ops.convert_to_tensor(array)

    def to_numpy(self, value: Any) -> np.ndarray:
        import keras

        return np.asarray(keras.ops.convert_to_numpy(value))

    def empty_call(self) -> tuple[Callable[[Any], Any], Any]:
        import torch

        arg = self.to_input(np.zeros((1,), dtype="float32"))
        fn: Callable[[Any], Any] = lambda x: x + 1.0  # noqa: E731
        try:
            compiled = torch.compile(fn)
            compiled(arg)
            fn = compiled
        except Exception:  # as for the blocks: eager where compiling fails
            pass

        def call(x: Any) -> Any:
            out = fn(x)
            _sync()
            return out

        return call, arg


BACKEND = TorchBackend()
