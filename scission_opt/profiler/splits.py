"""Valid split points of a Keras model, and the blocks between them.

A model's layers are numbered as in ``model.layers`` (topological order, the
input layer first), as Scission numbers them. Position ``k`` is a *split
point* when exactly one tensor flows from layers ``0..k`` to layers ``k+1..``
(model outputs count as flowing on) and that tensor is layer ``k``'s output:
every later layer then depends on earlier ones only through it. The *blocks*
are the runs of layers between consecutive split points; the input layer is
never a block of its own (it would only repeat the raw input), so the first
block starts at layer 0. The last block always ends at the last layer.

Keras 3 note: the graph is read from ``model._nodes_by_depth`` and each input
tensor's ``_keras_history``; ``model._nodes`` holds strings there, not nodes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InvalidInstanceError
from .backends import keras_module

if TYPE_CHECKING:  # pragma: no cover
    import keras


@dataclass(frozen=True)
class TensorInfo:
    """One tensor of the model graph.

    Attributes
    ----------
    producer
        Layer position that produces it.
    last_consumer
        Largest layer position that reads it; ``len(layers)`` for a model output.
    nbytes
        Size at batch size 1.
    tensor
        The symbolic Keras tensor.
    """

    producer: int
    last_consumer: int
    nbytes: int
    tensor: Any


@dataclass(frozen=True)
class LayerGraph:
    """The layer graph of a functional model.

    Attributes
    ----------
    model
        The functional model the graph was read from (a Sequential model's inner one).
    layers
        The layers (operations) in topological order.
    tensors
        Every tensor, keyed by ``(id(operation), node_index, tensor_index)``.
    reads, writes
        Per layer position, the keys of the tensors it reads and writes.
    """

    model: Any
    layers: tuple[Any, ...]
    tensors: dict[tuple[int, int, int], TensorInfo]
    reads: tuple[tuple[tuple[int, int, int], ...], ...]
    writes: tuple[tuple[tuple[int, int, int], ...], ...]

    @property
    def n_layers(self) -> int:
        return len(self.layers)


@dataclass(frozen=True)
class Block:
    """A run of layers between two split points, with the sub-model that computes it.

    Attributes
    ----------
    index
        Position of the block in the chain.
    first, last
        First and last layer position covered (inclusive).
    submodel
        A Keras model from the block's input tensor to its output tensor; it
        shares its layers (and weights) with the whole model.
    """

    index: int
    first: int
    last: int
    submodel: Any

    @property
    def layers(self) -> tuple[int, int]:
        return (self.first, self.last)


def functional(model: keras.Model, source: str = "model") -> keras.Model:
    """The functional graph behind ``model`` (a Sequential model's inner functional model)."""
    keras = keras_module()

    inner = getattr(model, "_functional", None)
    if isinstance(model, keras.Sequential):
        if inner is None:
            raise InvalidInstanceError("Sequential model has no known input shape; build it first", source, "model")
        return inner
    if not hasattr(model, "_nodes_by_depth"):
        raise InvalidInstanceError(
            f"not a functional or Sequential model ({type(model).__name__}): its graph cannot be read", source, "model"
        )
    return model


def _key(tensor: Any) -> tuple[int, int, int]:
    op, node_index, tensor_index = tensor._keras_history
    return (id(op), int(node_index), int(tensor_index))


def _nbytes(tensor: Any, source: str) -> int:
    shape = tuple(tensor.shape)
    dims = shape[1:]
    if any(d is None for d in dims):
        raise InvalidInstanceError(
            f"tensor {tensor.name!r} has unknown dimensions {shape}; give the model a fixed input shape",
            source,
            "model",
        )
    return int(np.prod(dims, dtype=np.int64)) * np.dtype(str(tensor.dtype)).itemsize


def layer_graph(model: keras.Model, source: str = "model") -> LayerGraph:
    """Read the layer graph of a Keras functional or Sequential model.

    Raises
    ------
    InvalidInstanceError
        For a model that is neither functional nor Sequential, that has more
        than one input, or whose tensors have unknown dimensions.
    """
    fm = functional(model, source)
    layers = tuple(fm.operations)
    if len(fm.inputs) != 1:
        raise InvalidInstanceError(f"model has {len(fm.inputs)} inputs; the profiler handles one", source, "model")
    position = {id(op): i for i, op in enumerate(layers)}
    tensors: dict[tuple[int, int, int], TensorInfo] = {}
    last: dict[tuple[int, int, int], int] = {}
    reads: list[list[tuple[int, int, int]]] = [[] for _ in layers]
    writes: list[list[tuple[int, int, int]]] = [[] for _ in layers]
    nodes = [node for depth in sorted(fm._nodes_by_depth, reverse=True) for node in fm._nodes_by_depth[depth]]
    for node in nodes:
        pos = position[id(node.operation)]
        for t in node.output_tensors:
            k = _key(t)
            if k not in tensors:
                tensors[k] = TensorInfo(position[id(t._keras_history[0])], -1, _nbytes(t, source), t)
                writes[pos].append(k)
        for t in node.input_tensors:
            k = _key(t)
            reads[pos].append(k)
            last[k] = max(last.get(k, -1), pos)
    # A tensor read by a node that is not in _nodes_by_depth (the model input) is registered here.
    for t in fm.inputs:
        k = _key(t)
        if k not in tensors:
            tensors[k] = TensorInfo(position[id(t._keras_history[0])], -1, _nbytes(t, source), t)
            writes[tensors[k].producer].append(k)
    for t in fm.outputs:
        last[_key(t)] = len(layers)
    tensors = {
        k: TensorInfo(info.producer, last.get(k, info.producer), info.nbytes, info.tensor)
        for k, info in tensors.items()
    }
    return LayerGraph(
        model=fm,
        layers=layers,
        tensors=tensors,
        reads=tuple(tuple(r) for r in reads),
        writes=tuple(tuple(w) for w in writes),
    )


def split_points(graph: LayerGraph) -> tuple[int, ...]:
    """Layer positions after which a block ends; the last layer's position is always included.

    Position ``k`` qualifies when exactly one tensor is produced at or before
    ``k`` and read after ``k``, and it is an output of layer ``k``. The input
    layer (position 0) is never a split point.
    """
    L = graph.n_layers
    crossing = np.zeros(L + 1, dtype=np.int64)
    for info in graph.tensors.values():
        if info.last_consumer > info.producer:
            crossing[info.producer] += 1
            crossing[info.last_consumer] -= 1
    crossing = np.cumsum(crossing)  # crossing[k]: tensors alive across the gap after position k
    points = []
    for k in range(1, L - 1):
        if crossing[k] != 1:
            continue
        live = [key for key in graph.writes[k] if graph.tensors[key].last_consumer > k]
        if len(live) == 1:
            points.append(k)
    points.append(L - 1)
    return tuple(points)


def boundary_tensor(graph: LayerGraph, k: int) -> Any:
    """The one tensor that flows on after split point ``k`` (the model output(s) after the last layer)."""
    if k == graph.n_layers - 1:
        outs = graph.model.outputs
        return outs[0] if len(outs) == 1 else list(outs)
    (key,) = [key for key in graph.writes[k] if graph.tensors[key].last_consumer > k]
    return graph.tensors[key].tensor


def make_blocks(graph: LayerGraph, points: tuple[int, ...] | None = None, submodels: bool = True) -> list[Block]:
    """One block between each pair of consecutive split points, with its Keras sub-model unless ``submodels=False``.

    Without sub-models (``submodel`` is ``None``) nothing is built: a backend
    that cuts blocks out of the whole model's traced graph does not need them.
    """
    keras = keras_module()

    if points is None:
        points = split_points(graph)
    blocks = []
    first = 0
    source = graph.model.inputs[0]
    for i, k in enumerate(points):
        out = boundary_tensor(graph, k)
        sub = keras.Model(source, out, name=f"block_{i}") if submodels else None
        blocks.append(Block(index=i, first=first, last=k, submodel=sub))
        source, first = out, k + 1
    return blocks


def block_input(graph: LayerGraph, block: Block) -> Any:
    """The tensor a block reads: the raw input for the first block, else the previous split point's tensor."""
    return graph.model.inputs[0] if block.first == 0 else boundary_tensor(graph, block.first - 1)


def run_graph(graph: LayerGraph, x: Any) -> dict[int, Any]:
    """Run the model's layers on ``x`` in inference mode, node by node; every value, keyed by ``id(keras tensor)``.

    It does what ``Functional.call`` does (``_run_through_graph`` with
    ``training=False``) and keeps the intermediate values, so that a tracing
    backend can tell which traced tensor is which split point's tensor.
    """
    from keras.src.models.functional import operation_fn

    keras = keras_module()
    fm = graph.model
    values: dict[int, Any] = {id(fm.inputs[0]): x}
    for depth in sorted(fm._nodes_by_depth, reverse=True):
        for node in fm._nodes_by_depth[depth]:
            if not node.operation or node.is_input:
                continue
            args, kwargs = node.arguments.fill_in(values)
            outputs = operation_fn(node.operation, training=False)(*args, **kwargs)
            for symbolic, value in zip(node.outputs, keras.tree.flatten(outputs), strict=True):
                values[id(symbolic)] = value
    return values
