"""The TensorFlow backend: one concrete ``tf.function`` (``autograph=False``) per block, graph mode.

The whole model is traced once, and every block's function is cut out of that
traced graph (the nodes between the block's input tensor and its output
tensor, imported into a function of their own) instead of tracing a Keras
sub-model per block: tracing, Python building the graph op by op, was most of
the cost of profiling a model (issue 8). The cut reads the same variables, and
each block's function is optimised by TensorFlow's graph optimiser on its first
call, as before. A block the cut cannot handle (a split tensor that is not its
operation's first output, a block that also reads the raw input) is traced from
its Keras sub-model as before.

Its FLOPs come from TensorFlow's graph profiler on each block's graph (see
:func:`scission_opt.profiler.costs.count_flops`). A concrete function returns on
the CPU when its outputs are computed, so no extra synchronisation is needed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._tf import tensorflow
from ..splits import Block, LayerGraph, block_input, boundary_tensor, run_graph
from ..timing import compile_call, set_threads
from . import Compiled


def _shape(tensor: Any) -> tuple[int, ...]:
    return tuple(int(d) for d in tensor.shape[1:])


class GraphCutter:
    """Cuts functions between two tensors out of one traced (concrete) function's graph."""

    def __init__(self, whole: Any):
        self.graph_def = whole.graph.as_graph_def()
        self.nodes = {n.name: n for n in self.graph_def.node}
        self.captures = {internal.op.name: external for external, internal in whole.graph.captures}
        self.input_op = whole.inputs[0].op.name

    def _closure(self, src_op: str, dst_op: str) -> set[str]:
        keep: set[str] = set()
        stack = [dst_op]
        while stack:
            name = stack.pop()
            if name in keep or name == src_op:
                continue
            keep.add(name)
            stack.extend(i.lstrip("^").split(":")[0] for i in self.nodes[name].input)
        return keep

    def between(self, src: str, dst: str, shape: tuple[int, ...], dtype: str) -> Any:
        """A concrete function from tensor ``src`` (fed, of ``shape``) to tensor ``dst``.

        Raises
        ------
        ValueError
            When the nodes up to ``dst`` read more than ``src`` and the variables.
        """
        tf = tensorflow()
        from tensorflow.core.framework import graph_pb2

        src_op, _, src_index = src.rpartition(":")
        if src_index != "0":
            raise ValueError(f"{src} is not its operation's first output")
        keep = self._closure(src_op, dst.rpartition(":")[0])
        stray = [n for n in keep if self.nodes[n].op == "Placeholder" and n not in self.captures]
        if stray:
            raise ValueError(f"the block also reads {stray[0]}")
        sub = graph_pb2.GraphDef()
        sub.versions.CopyFrom(self.graph_def.versions)
        sub.library.CopyFrom(self.graph_def.library)
        sub.node.extend(n for n in self.graph_def.node if n.name in keep)
        feed = sub.node.add()
        feed.name, feed.op = src_op, "Placeholder"
        feed.attr["dtype"].type = tf.as_dtype(dtype).as_datatype_enum
        captured = {f"{n}:0": self.captures[n] for n in keep if n in self.captures}

        def cut(x: Any) -> Any:
            graph = tf.compat.v1.get_default_graph()
            feeds = {name: graph.capture(handle) for name, handle in captured.items()}
            feeds[src] = x
            return tf.graph_util.import_graph_def(sub, input_map=feeds, return_elements=[dst], name="block")[0]

        return tf.compat.v1.wrap_function(cut, [tf.TensorSpec((1, *shape), dtype)])


def _compiled(fn: Any) -> Compiled:
    from ..costs import count_flops

    return Compiled(call=fn, flops=lambda: count_flops(fn))


@dataclass(frozen=True)
class TensorFlowBackend:
    """Keras 3 on TensorFlow (see :class:`scission_opt.profiler.backends.Backend`)."""

    name: str = "tensorflow"
    method: str = "one tf.function per block"
    needs_submodels: bool = False

    def versions(self) -> tuple[str, str]:
        tf = tensorflow()
        gpus = tf.config.list_logical_devices("GPU")
        return tf.__version__, ("gpu: " + ", ".join(d.name for d in gpus)) if gpus else "cpu"

    def set_threads(self, threads: int | None, inter_op: int | None) -> tuple[int, int]:
        return set_threads(threads, inter_op)

    def build_scope(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def compile(self, model: Any, input_shape: tuple[int, ...], dtype: str) -> Compiled:
        return _compiled(compile_call(model, input_shape, dtype))

    def compile_all(self, items: Sequence[tuple[Any, tuple[int, ...], str]]) -> list[Compiled]:
        return [self.compile(*item) for item in items]  # tracing holds the GIL: nothing to gain from threads

    def compile_model(self, graph: LayerGraph, blocks: Sequence[Block]) -> tuple[Compiled, list[Compiled]]:
        """The whole model traced once, and each block cut out of its graph (see the module's notes)."""
        tf = tensorflow()
        import keras

        fm = graph.model
        ends = [boundary_tensor(graph, b.last) for b in blocks]
        names: dict[int, str] = {}

        def whole(x: Any) -> Any:
            values = run_graph(graph, x)
            names.update({i: values[id(t)].name for i, t in enumerate(ends) if not isinstance(t, list)})
            outputs = [values[id(t)] for t in fm.outputs]
            return outputs[0] if len(outputs) == 1 else outputs

        dtype = str(fm.inputs[0].dtype)
        whole_fn = tf.function(whole, autograph=False).get_concrete_function(
            tf.TensorSpec((1, *_shape(fm.inputs[0])), dtype)
        )
        cutter = GraphCutter(whole_fn)
        fns = []
        src = whole_fn.inputs[0].name
        for i, block in enumerate(blocks):
            start = block_input(graph, block)
            fn = None
            if i in names:
                try:
                    fn = cutter.between(src, names[i], _shape(start), str(start.dtype))
                except ValueError:
                    fn = None
            if fn is None:  # trace the block's own Keras sub-model, as before
                fn = compile_call(keras.Model(start, ends[i]), _shape(start), str(start.dtype))
            fns.append(_compiled(fn))
            src = names.get(i, "")
        return _compiled(whole_fn), fns

    def to_input(self, array: np.ndarray) -> Any:
        return tensorflow().constant(array)

    def to_numpy(self, value: Any) -> np.ndarray:
        return np.asarray(value)

    def empty_call(self) -> tuple[Callable[[Any], Any], Any]:
        tf = tensorflow()
        fn = tf.function(lambda x: x + 1.0, autograph=False).get_concrete_function(tf.TensorSpec((1,), tf.float32))
        return fn, tf.zeros((1,))


BACKEND = TensorFlowBackend()
