"""Layer-level DAG instances (``graph-instance``): one node per Keras layer, per-layer latencies.

A shipped (block) instance gives every system's measured latency per block, a block being the
layers between two single-tensor split points. Here each block's latency is shared among its
layers in proportion to per-layer times measured on this host, so that the sum over a block is
the block's latency on every system (exactly, up to rounding). Per-layer times are noisy and
carry Keras' per-call dispatch, so:

- each layer is called eagerly on the outputs of its inputs (one forward pass, layer by layer),
  ``repeats`` times after one warm-up, and the median is kept;
- the smallest median over all layers (the dispatch floor of a layer doing almost nothing) is
  subtracted before sharing, so that tiny layers do not take a block's time;
- :func:`block_check` reports, per block, the sum of its layers' raw medians against the block
  timed the same way as one call, to show how far per-layer sums are from block times.

A single-tensor plan of the block instance is a plan of the layer instance with the same cost, so
the DAG optimum is never worse than the block optimum (a test checks this).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..dag.keras_graph import LayerDag, layer_dag
from ..errors import InvalidInstanceError
from ..instance import Constraints, Instance, Node


def measure_layer_seconds(dag: LayerDag, repeats: int = 5, seed: int = 0) -> np.ndarray:
    """Median eager time of each layer (0 for the input layer), on a random input."""
    rng = np.random.default_rng(seed)
    sym = dag.tensor(0)
    x = rng.standard_normal((1, *tuple(sym.shape[1:]))).astype(str(sym.dtype))
    values: dict[int, Any] = {id(sym): x}
    out = np.zeros(len(dag.layers))
    for v in range(1, len(dag.layers)):
        node = dag.calls[v]
        args, kwargs = node.arguments.fill_in(values)
        times = []
        for r in range(repeats + 1):
            start = time.perf_counter()
            result = dag.layers[v](*args, **kwargs)
            np.asarray(result)  # eager CPU ops are done when their value can be read
            if r:
                times.append(time.perf_counter() - start)
        values[id(node.output_tensors[0])] = result
        out[v] = float(np.median(times))
    return out


def _blocks(instance: Instance, n_layers: int) -> list[tuple[int, int]]:
    ranges = [nd.layers for nd in instance.nodes]
    expected = 0
    for a, b in ranges:
        if a != expected:
            raise InvalidInstanceError(
                f"block layers must run contiguously from 0; got {a} after {expected - 1}",
                instance.source,
                "model.nodes",
            )
        expected = b + 1
    if expected != n_layers:
        raise InvalidInstanceError(
            f"blocks cover {expected} layers, the model has {n_layers}", instance.source, "model.nodes"
        )
    return ranges


def graph_instance(
    instance: Instance, model: Any, layer_seconds: Sequence[float] | np.ndarray | None = None
) -> Instance:
    """The layer-level DAG version of the block instance ``instance`` of ``model``.

    ``layer_seconds`` weights each layer within its block (default: parameter bytes plus output
    bytes, when nothing was measured).
    """
    dag = layer_dag(model, instance.source)
    n = len(dag.layers)
    blocks = _blocks(instance, n)
    params = np.array(
        [float(sum(np.prod(w.shape) * np.dtype(str(w.dtype)).itemsize for w in layer.weights)) for layer in dag.layers]
    )
    if layer_seconds is None:
        weight = params + np.array(dag.output_bytes, dtype=float)
        how = "shared within each block in proportion to parameter + output bytes (no per-layer timing)"
    else:
        raw = np.asarray(layer_seconds, dtype=float)
        floor = float(raw[1:].min()) if n > 1 else 0.0
        weight = np.maximum(raw - floor, 0.0)
        how = (
            "shared within each block in proportion to per-layer eager medians measured on this host, "
            "less their minimum"
        )
    share = np.zeros(n)
    block_of = np.zeros(n, dtype=np.int64)
    for i, (a, b) in enumerate(blocks):
        w = weight[a : b + 1]
        share[a : b + 1] = w / w.sum() if w.sum() > 0 else 1.0 / (b - a + 1)
        block_of[a : b + 1] = i
    read_bytes = [sum(dag.output_bytes[u] for u in dag.inputs[v]) for v in range(n)]
    nodes = tuple(
        Node(
            name=dag.layers[v].name,
            layers=(v, v),
            inputs=dag.inputs[v],
            output_bytes=float(dag.output_bytes[v]),
            param_bytes=float(params[v]),
            activation_bytes=float(read_bytes[v] + dag.output_bytes[v]),
        )
        for v in range(n)
    )
    systems = tuple(
        dataclasses.replace(
            s,
            latency_s=tuple(float(s.latency_s[block_of[v]] * share[v]) for v in range(n)),
            provenance=f"{s.provenance}; per layer: the block's latency {how}",
        )
        for s in instance.systems
    )
    return instance.replace(
        name=f"{instance.name}-layers",
        nodes=nodes,
        systems=systems,
        constraints=_layer_constraints(instance.constraints, blocks),
        provenance=f"{instance.provenance} Layer-level DAG (graph-instance): one node per layer; {how}.",
    )


def _layer_constraints(c: Constraints, blocks: list[tuple[int, int]]) -> Constraints:
    """Block constraints on layers: privacy up to the end of the k-th block; pins and bans on every layer of a block."""
    privacy = blocks[c.privacy_nodes - 1][1] + 1 if c.privacy_nodes else 0
    pins = tuple((v, t) for i, t in c.pins for v in range(blocks[i][0], blocks[i][1] + 1))
    bans = tuple((v, t) for i, t in c.bans for v in range(blocks[i][0], blocks[i][1] + 1))
    private = frozenset(v for i in c.privacy_set for v in range(blocks[i][0], blocks[i][1] + 1))
    return dataclasses.replace(c, privacy_nodes=privacy, privacy_set=private, pins=pins, bans=bans)


def block_check(
    instance: Instance, dag: LayerDag, layer_seconds: np.ndarray, repeats: int = 5
) -> list[tuple[str, float, float]]:
    """Per block: ``(name, sum of its layers' medians, the block called as one sub-model, median)``."""
    from ..dag.export import submodel

    rng = np.random.default_rng(0)
    sym = dag.tensor(0)
    x = rng.standard_normal((1, *tuple(sym.shape[1:]))).astype(str(sym.dtype))
    values: dict[int, Any] = {0: x}
    out = []
    for node, (a, b) in zip(instance.nodes, _blocks(instance, len(dag.layers))):
        layers = [v for v in range(max(a, 1), b + 1)]
        if not layers:
            continue
        takes = sorted({u for v in layers for u in dag.inputs[v] if u < a or u == 0})
        gives = [b]
        part = submodel(dag, layers, takes, gives, f"block_{a}_{b}")
        args = [values[u] for u in takes]
        times = []
        result = None
        for r in range(repeats + 1):
            start = time.perf_counter()
            result = part(args)
            np.asarray(result)
            if r:
                times.append(time.perf_counter() - start)
        values[b] = result
        out.append((node.name, float(layer_seconds[a : b + 1].sum()), float(np.median(times))))
    return out
