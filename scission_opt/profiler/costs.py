"""Static costs of a block: tensor and parameter bytes, memory traffic, peak activations, FLOPs.

All sizes are at batch size 1. They do not depend on the machine, so profiles
of one model from different systems must agree on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._tf import tensorflow
from .splits import Block, LayerGraph


@dataclass(frozen=True)
class BlockCosts:
    """Machine-independent figures of one block.

    Attributes
    ----------
    output_bytes
        Bytes of the tensor the block hands on (raw float data, no file header).
    param_bytes
        Bytes of the block's weights, trainable or not.
    activation_bytes
        Peak bytes of tensors alive at once while the block runs layer by layer
        in topological order (its input included, freed after its last reader).
    traffic_bytes
        Bytes every layer reads and writes plus the weights: the memory traffic
        a roofline estimate charges.
    flops
        Floating-point operations, as counted by TensorFlow's graph profiler on
        the block's traced graph (a multiply-add counts 2); ``None`` when it
        cannot count them.
    """

    output_bytes: int
    param_bytes: int
    activation_bytes: int
    traffic_bytes: int
    flops: int | None


def _param_bytes(layer: Any) -> int:
    weights = getattr(layer, "weights", None) or []
    seen: set[int] = set()
    total = 0
    for w in weights:
        if id(w) in seen:
            continue
        seen.add(id(w))
        total += int(np.prod(tuple(w.shape), dtype=np.int64)) * np.dtype(str(w.dtype)).itemsize
    return total


def static_costs(graph: LayerGraph, block: Block) -> tuple[int, int, int, int]:
    """``(output_bytes, param_bytes, activation_bytes, traffic_bytes)`` of one block."""
    live: dict[tuple[int, int, int], int] = {}
    # The block's input: the tensor that crossed the previous split point (or the raw input).
    for key, info in graph.tensors.items():
        if info.producer < block.first and info.last_consumer >= block.first:
            live[key] = info.nbytes
    if block.first == 0:
        for key in graph.writes[0]:
            live[key] = graph.tensors[key].nbytes
    peak = sum(live.values())
    params = traffic = 0
    for pos in range(block.first, block.last + 1):
        params += _param_bytes(graph.layers[pos])
        out = {key: graph.tensors[key].nbytes for key in graph.writes[pos] if pos > 0}
        traffic += sum(graph.tensors[k].nbytes for k in set(graph.reads[pos])) + sum(out.values())
        live.update(out)
        peak = max(peak, sum(live.values()))
        for key in list(live):
            if graph.tensors[key].last_consumer <= pos:
                del live[key]
    output = sum(graph.tensors[k].nbytes for k in live)
    return output, params, peak, traffic + params


def count_flops(concrete_function: Any) -> int | None:
    """FLOPs of a traced ``tf.function`` graph, from TensorFlow's profiler (``None`` if it fails)."""
    tf = tensorflow()
    from tensorflow.python.profiler import model_analyzer, option_builder

    options = option_builder.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("ERROR")  # the v1 profiler warns about deprecated shape helpers
    try:
        result = model_analyzer.profile(concrete_function.graph, options=options)
    except Exception:  # the profiler is best effort: a missing FLOP count is not fatal
        return None
    finally:
        logger.setLevel(level)
    return int(result.total_float_ops)
