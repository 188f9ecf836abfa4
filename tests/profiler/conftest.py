"""Fixtures for the profiler tests: small real Keras models and real profiles (TensorFlow, no mocks).

Everything here runs TensorFlow on this host; models are tiny or small-input so
the whole profiler suite stays well under a minute.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

pytest.importorskip("tensorflow")

#: Small MobileNetV2 used end to end.
MOBILENET = {"input_shape": (96, 96, 3), "options": {"alpha": 0.35}}


def skip_branch_model():
    """A functional model with a skip connection and a two-way branch.

    Layer order (``model.layers``) and the hand-derived split points::

        0 in -> 1 c1 -> 2 c2 -> 3 c3 -> 4 add(c1, c3) -> 5 b1, 6 b2 -> 7 concat -> 8 gap -> 9 dense

    After 1 only c1's output flows on (c2 and add read it): a split.
    After 2 and 3, c1's output and c2's / c3's flow on: no split.
    After 4 only add's output: a split. After 5 and 6 two branch tensors: no split.
    After 7, 8: splits; 9 is the last layer. Split points: (1, 4, 7, 8, 9).
    """
    from scission_opt.profiler._tf import tensorflow

    tensorflow()
    import keras

    inp = keras.Input((8, 8, 3), name="in")
    c1 = keras.layers.Conv2D(4, 3, padding="same", name="c1")(inp)
    c2 = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="c2")(c1)
    c3 = keras.layers.Conv2D(4, 3, padding="same", name="c3")(c2)
    add = keras.layers.Add(name="add")([c1, c3])
    b1 = keras.layers.Conv2D(2, 1, name="b1")(add)
    b2 = keras.layers.Conv2D(3, 3, padding="same", name="b2")(add)
    cat = keras.layers.Concatenate(name="concat")([b1, b2])
    gap = keras.layers.GlobalAveragePooling2D(name="gap")(cat)
    out = keras.layers.Dense(5, name="dense")(gap)
    return keras.Model(inp, out, name="skip_branch")


SKIP_BRANCH_LAYERS = ["in", "c1", "c2", "c3", "add", "b1", "b2", "concat", "gap", "dense"]
SKIP_BRANCH_SPLITS = (1, 4, 7, 8, 9)


@pytest.fixture(scope="session")
def skip_branch_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("models") / "skip_branch.keras"
    skip_branch_model().save(path)
    return path


@pytest.fixture(scope="session")
def chain_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Sequential model (every layer a split point)."""
    from scission_opt.profiler._tf import tensorflow

    tensorflow()
    import keras

    model = keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(8, name="d1"), keras.layers.Dense(4, name="d2")], name="chain"
    )
    path = tmp_path_factory.mktemp("models") / "chain.keras"
    model.save(path)
    return path


@pytest.fixture(scope="session")
def mobilenet_profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real profile of a small MobileNetV2 on this host, as system ``host`` in tier ``edge``."""
    from scission_opt.profiler.measure import profile_models

    path = tmp_path_factory.mktemp("profiles") / "edge-host.json"
    profile_models(["mobilenet_v2"], path, system="host", tier="edge", repeats=2, progress=False, **MOBILENET)
    return path
