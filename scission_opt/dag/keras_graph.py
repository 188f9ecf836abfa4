"""A Keras functional model as a layer-level DAG: one node per layer (the input layer is node 0).

Node ``v`` is ``model.layers[v]`` (the operations of the functional graph, in topological
order, as Scission numbers layers). Its ``inputs`` are the layers whose tensors it reads; its
one output tensor is its output. Layers with several outputs, layers called more than once
and models with several inputs are refused by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInstanceError

if TYPE_CHECKING:  # pragma: no cover
    import keras  # type: ignore[import-untyped]


@dataclass(frozen=True)
class LayerDag:
    """The layer DAG of a functional model.

    Attributes
    ----------
    model
        The functional model (a Sequential model's inner one).
    layers
        The layers, in topological order; ``layers[0]`` is the input layer.
    calls
        Per layer, its call node in the graph (``None`` for the input layer).
    inputs
        Per layer, the positions of the layers it reads, in call order, without repeats.
    output_bytes
        Per layer, the bytes of its output tensor at batch size 1.
    outputs
        Positions of the layers whose tensors are the model's outputs.
    """

    model: Any
    layers: tuple[Any, ...]
    calls: tuple[Any, ...]
    inputs: tuple[tuple[int, ...], ...]
    output_bytes: tuple[int, ...]
    outputs: tuple[int, ...]

    def tensor(self, v: int) -> Any:
        """Layer ``v``'s symbolic output tensor."""
        if v == 0:
            return self.model.inputs[0]
        return self.calls[v].output_tensors[0]


def layer_dag(model: keras.Model, source: str = "model") -> LayerDag:
    """Read ``model``'s layer DAG.

    Raises
    ------
    InvalidInstanceError
        For a model that is not functional or Sequential, that has several inputs, or a layer
        with several outputs or several calls.
    """
    from ..profiler.splits import _nbytes, functional

    fm = functional(model, source)
    if len(fm.inputs) != 1:
        raise InvalidInstanceError(f"model has {len(fm.inputs)} inputs; one is supported", source, "model")
    layers = tuple(fm.operations)
    position = {id(op): i for i, op in enumerate(layers)}
    calls: list[Any] = [None] * len(layers)
    for depth in fm._nodes_by_depth.values():
        for node in depth:
            pos = position[id(node.operation)]
            if node.operation is layers[0] or not node.input_tensors:
                continue
            if calls[pos] is not None:
                raise InvalidInstanceError(f"layer {layers[pos].name!r} is called more than once", source, "model")
            if len(node.output_tensors) != 1:
                raise InvalidInstanceError(f"layer {layers[pos].name!r} has {len(node.output_tensors)} outputs", source, "model")
            calls[pos] = node
    inputs: list[tuple[int, ...]] = [()]
    for pos in range(1, len(layers)):
        if calls[pos] is None:
            raise InvalidInstanceError(f"layer {layers[pos].name!r} is not reached from the model input", source, "model")
        readers = [position[id(t._keras_history[0])] for t in calls[pos].input_tensors]
        inputs.append(tuple(dict.fromkeys(readers)))
    sizes = [_nbytes(fm.inputs[0], source)] + [_nbytes(calls[p].output_tensors[0], source) for p in range(1, len(layers))]
    outputs = tuple(position[id(t._keras_history[0])] for t in fm.outputs)
    return LayerDag(fm, layers, tuple(calls), tuple(inputs), tuple(sizes), outputs)
