"""Exported sub-models, run in order, reproduce the whole model's output (a small branchy model)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from scission_opt.dag.export import MANIFEST, export_models, run_parts
from scission_opt.dag.keras_graph import layer_dag
from scission_opt.instance import FORMAT, parse_instance
from scission_opt.plan import Plan


def _model():  # type: ignore[no-untyped-def]
    """Inception-like cell plus a residual add: several tensors cross most cuts."""
    x = keras.Input((12, 12, 3), name="image")
    stem = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    a = keras.layers.Conv2D(4, 1, padding="same")(stem)
    b = keras.layers.Conv2D(4, 3, padding="same")(stem)
    c = keras.layers.MaxPooling2D(3, strides=1, padding="same")(stem)
    cat = keras.layers.Concatenate()([a, b, c])
    mix = keras.layers.Conv2D(16, 1)(cat)
    skip = keras.layers.Conv2D(16, 1)(stem)
    added = keras.layers.Add()([mix, skip])
    pooled = keras.layers.GlobalAveragePooling2D()(added)
    out = keras.layers.Dense(5)(pooled)
    return keras.Model(x, out)


def _instance(model):  # type: ignore[no-untyped-def]
    dag = layer_dag(model)
    n = len(dag.layers)
    nodes = [
        {"name": layer.name, "layers": [v, v], "inputs": list(dag.inputs[v]), "output_bytes": dag.output_bytes[v]}
        for v, layer in enumerate(dag.layers)
    ]
    tiers = ["device", "edge", "cloud"]
    systems = [{"name": t, "tier": t, "latency_s": [0.001 * (3 - i)] * n} for i, t in enumerate(tiers)]
    links = [{"source": a, "destination": b, "latency_ms": 1.0, "bandwidth_mbps": 10.0} for a, b in (("device", "edge"), ("edge", "cloud"), ("device", "cloud"))]
    data = {"format": FORMAT, "name": "tiny-dag", "model": {"name": "tiny", "input_bytes": dag.output_bytes[0], "nodes": nodes}, "tiers": tiers, "systems": systems, "links": links}
    return parse_instance(data), dag


def _random_plan(instance, seed: int) -> Plan:  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    tiers: list[int] = []
    for node in instance.nodes:
        low = max((tiers[u] for u in node.inputs), default=0)
        tiers.append(min(2, low + (rng.random() < 0.25)))
    names = tuple(t if i == 0 or i in tiers else None for i, t in enumerate(instance.tiers))
    return Plan.from_assignment(tiers, names)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_parts_run_in_order_reproduce_the_model(tmp_path: Path, seed: int) -> None:
    keras.utils.set_random_seed(seed)
    model = _model()
    instance, _ = _instance(model)
    plan = _random_plan(instance, seed)
    manifest = export_models(instance, plan, model, tmp_path)
    parts = json.loads(manifest.read_text())["parts"]
    assert [p["tier"] for p in parts] == sorted({p["tier"] for p in parts}, key=instance.tiers.index)
    assert all((tmp_path / p["file"]).exists() for p in parts)
    x = np.random.default_rng(seed).standard_normal((1, 12, 12, 3)).astype("float32")
    got = run_parts(tmp_path / MANIFEST, x)
    np.testing.assert_allclose(np.asarray(got[0]), np.asarray(model(x)), rtol=1e-5, atol=1e-5)


def test_a_plan_with_a_multi_tensor_cut_exports_several_inputs(tmp_path: Path) -> None:
    model = _model()
    instance, dag = _instance(model)
    names = [layer.name for layer in dag.layers]
    # the stem and the three branches on the device; the rest on the cloud: four tensors cross
    first = set(range(5))  # input, stem, and the three branches
    tiers = [0 if v in first else 2 for v in range(len(names))]
    plan = Plan.from_assignment(tiers, ("device", None, "cloud"))
    export_models(instance, plan, model, tmp_path)
    parts = json.loads((tmp_path / MANIFEST).read_text())["parts"]
    assert len(parts) == 2 and len(parts[1]["inputs"]) >= 3 and parts[0]["outputs"] == parts[1]["inputs"]
    x = np.ones((1, 12, 12, 3), dtype="float32")
    np.testing.assert_allclose(np.asarray(run_parts(tmp_path / MANIFEST, x)[0]), np.asarray(model(x)), rtol=1e-5, atol=1e-5)
