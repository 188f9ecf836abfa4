"""Runnable plans: each tier's part of a Keras model as a ``.keras`` file, plus a JSON manifest.

For a plan on a layer-level DAG instance (node ``v`` = ``model.layers[v]``, see
:mod:`.keras_graph`), tier ``t``'s sub-model takes every tensor its layers read from earlier
tiers (the raw input included) and returns every tensor a later tier reads, plus the model
outputs it makes. The manifest lists the parts in run order with the names of the tensors
each takes and gives; :func:`run_parts` runs them in that order, as a test does against the
whole model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInstanceError
from .keras_graph import LayerDag, layer_dag

if TYPE_CHECKING:  # pragma: no cover
    from ..instance import Instance
    from ..plan import Plan

MANIFEST = "manifest.json"
RAW_INPUT = "input"


def tensor_name(dag: LayerDag, v: int) -> str:
    """The manifest's name of layer ``v``'s output (the raw input for the input layer)."""
    return RAW_INPUT if v == 0 else dag.layers[v].name


def _parts(dag: LayerDag, tiers: tuple[int, ...]) -> list[dict[str, Any]]:
    """Per used tier in order: its layers, the tensors it takes and the tensors it gives."""
    n = len(dag.layers)
    last_reader = [max((tiers[r] for r in range(n) if v in dag.inputs[r]), default=-1) for v in range(n)]
    out = []
    for t in sorted({tiers[v] for v in range(1, n)}):
        layers = [v for v in range(1, n) if tiers[v] == t]
        if not layers:
            continue
        takes = sorted({u for v in layers for u in dag.inputs[v] if u == 0 or tiers[u] != t})
        gives = [v for v in layers if last_reader[v] > t or v in dag.outputs]
        out.append({"tier": t, "layers": layers, "takes": takes, "gives": gives})
    return out


def submodel(dag: LayerDag, layers: list[int], takes: list[int], gives: list[int], name: str) -> Any:
    """A Keras model computing ``gives`` from ``takes`` with ``layers`` (weights shared with the model)."""
    import keras  # type: ignore[import-untyped]

    values: dict[int, Any] = {}
    inputs = []
    for u in takes:
        sym = dag.tensor(u)
        x = keras.Input(shape=tuple(sym.shape[1:]), dtype=sym.dtype, name=tensor_name(dag, u))
        values[id(sym)] = x
        inputs.append(x)
    for v in layers:
        node = dag.calls[v]
        args, kwargs = node.arguments.fill_in(values)
        result = dag.layers[v](*args, **kwargs)
        values[id(node.output_tensors[0])] = result
    outputs = [values[id(dag.tensor(v))] for v in gives]
    return keras.Model(inputs, outputs, name=name)


def export_models(instance: Instance, plan: Plan, model: Any, directory: str | Path) -> Path:
    """Write each used tier's sub-model and the manifest; returns the manifest's path.

    Raises
    ------
    InvalidInstanceError
        If the instance is not the layer-level DAG of ``model`` (one node per layer).
    """
    dag = layer_dag(model, instance.source)
    if instance.n_nodes != len(dag.layers) or any(nd.layers != (v, v) for v, nd in enumerate(instance.nodes)):
        raise InvalidInstanceError(
            "exporting needs the layer-level DAG instance of the model (node v = layer v; see graph-instance)",
            instance.source,
            "model.nodes",
        )
    tiers = plan.node_tiers()
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    entries: list[dict[str, Any]] = []
    for part in _parts(dag, tiers):
        t = part["tier"]
        name = f"part{len(entries)}_{instance.tiers[t]}"
        keras_model = submodel(dag, part["layers"], part["takes"], part["gives"], name)
        keras_model.save(folder / f"{name}.keras")
        entries.append(
            {
                "file": f"{name}.keras",
                "tier": instance.tiers[t],
                "system": plan.systems[t],
                "layers": [dag.layers[v].name for v in part["layers"]],
                "inputs": [tensor_name(dag, u) for u in part["takes"]],
                "outputs": [tensor_name(dag, v) for v in part["gives"]],
            }
        )
    manifest = {
        "format": "scission-opt/parts@1",
        "model": instance.model,
        "model_inputs": [RAW_INPUT],
        "model_outputs": [tensor_name(dag, v) for v in dag.outputs],
        "parts": entries,
    }
    path = folder / MANIFEST
    path.write_text(json.dumps(manifest, indent=1))
    return path


def run_parts(manifest_path: str | Path, x: Any) -> list[Any]:
    """Run the exported parts in order on input ``x``; returns the model outputs."""
    import keras  # type: ignore[import-untyped]

    manifest_path = Path(manifest_path)
    manifest = json.loads(manifest_path.read_text())
    values: dict[str, Any] = {RAW_INPUT: x}
    for part in manifest["parts"]:
        sub = keras.models.load_model(manifest_path.parent / part["file"], compile=False)
        result = sub([values[name] for name in part["inputs"]])
        if not isinstance(result, (list, tuple)):
            result = [result]
        for name, value in zip(part["outputs"], result):
            values[name] = value
    return [values[name] for name in manifest["model_outputs"]]
