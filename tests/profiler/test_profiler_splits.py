"""Split points and blocks on hand-built models, with real TensorFlow."""

from __future__ import annotations

import numpy as np
import pytest

from scission_opt.errors import InvalidInstanceError
from scission_opt.profiler.costs import static_costs
from scission_opt.profiler.splits import layer_graph, make_blocks, split_points

from .conftest import SKIP_BRANCH_LAYERS, SKIP_BRANCH_SPLITS, skip_branch_model


@pytest.fixture(scope="module")
def model():
    return skip_branch_model()


def test_layer_order_is_the_documented_one(model):
    assert [layer.name for layer in model.layers] == SKIP_BRANCH_LAYERS


def test_split_points_equal_the_hand_derived_ones(model):
    assert split_points(layer_graph(model)) == SKIP_BRANCH_SPLITS


def test_blocks_cover_all_layers_in_order(model):
    blocks = make_blocks(layer_graph(model))
    assert [b.layers for b in blocks] == [(0, 1), (2, 4), (5, 7), (8, 8), (9, 9)]


def test_blocks_chained_reproduce_the_output(model):
    blocks = make_blocks(layer_graph(model))
    x = np.random.default_rng(1).standard_normal((2, 8, 8, 3)).astype("float32")
    h = x
    for b in blocks:
        h = b.submodel(h, training=False)
    np.testing.assert_allclose(np.asarray(h), np.asarray(model(x, training=False)), rtol=0, atol=1e-6)


def test_static_costs_by_hand(model):
    graph = layer_graph(model)
    blocks = make_blocks(graph)
    out0, params0, act0, traffic0 = static_costs(graph, blocks[0])
    assert out0 == 8 * 8 * 4 * 4  # c1's output, float32
    assert params0 == (3 * 3 * 3 * 4 + 4) * 4
    # Peak: the raw input and c1's output alive together.
    assert act0 == 8 * 8 * 3 * 4 + 8 * 8 * 4 * 4
    assert traffic0 == 8 * 8 * 3 * 4 + 8 * 8 * 4 * 4 + params0
    # Block 1 (c2, c3, add): c1's output lives until add reads it next to c3's output.
    out1, _, act1, _ = static_costs(graph, blocks[1])
    assert out1 == 8 * 8 * 4 * 4
    assert act1 == 3 * 8 * 8 * 4 * 4  # c1 + c3 + add at the add
    out_last, params_last, _, _ = static_costs(graph, blocks[-1])
    assert out_last == 5 * 4
    assert params_last == (5 * 5 + 5) * 4


def test_sequential_model_every_layer_is_a_split(chain_file):
    import keras

    model = keras.models.load_model(chain_file)
    graph = layer_graph(model)
    assert [layer.name for layer in graph.layers][1:] == ["d1", "d2"]
    assert split_points(graph) == (1, 2)


def test_two_inputs_are_refused():
    import keras

    a, b = keras.Input((3,)), keras.Input((3,))
    model = keras.Model([a, b], keras.layers.Add()([a, b]))
    with pytest.raises(InvalidInstanceError, match="2 inputs"):
        layer_graph(model, "two.keras")
