"""Keras backends: JAX blocks match TensorFlow's, chained JAX blocks reproduce the model, missing libraries.

The JAX profile runs in a fresh process (Keras picks its backend at import, and
this test process runs Keras on TensorFlow); it runs on the CPU.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scission_opt.errors import UnknownNameError
from scission_opt.profiler.backends import NAMES, BackendError, get_backend, keras_module
from scission_opt.profiler.measure import profile_model
from scission_opt.profiler.profile import load_profile

ROOT = Path(__file__).resolve().parents[2]
HAS_JAX = importlib.util.find_spec("jax") is not None
HAS_TORCH = importlib.util.find_spec("torch") is not None


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    env.update(PYTHONPATH=str(ROOT), JAX_PLATFORMS="cpu", TF_CPP_MIN_LOG_LEVEL="2", **extra)
    return env


@pytest.fixture(scope="module")
def bn_model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small functional model with state (BatchNormalization), randomness (Dropout), a skip and a branch.

    Layers: 0 in, 1 c1, 2 bn, 3 c2, 4 add(bn, c2), 5 b1, 6 b2, 7 concat, 8 drop, 9 gap, 10 dense.
    """
    keras = keras_module()
    inp = keras.Input((12, 12, 3), name="in")
    c1 = keras.layers.Conv2D(6, 3, padding="same", name="c1")(inp)
    bn = keras.layers.BatchNormalization(name="bn")(c1)
    c2 = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="c2")(bn)
    add = keras.layers.Add(name="add")([bn, c2])
    b1 = keras.layers.Conv2D(2, 1, name="b1")(add)
    b2 = keras.layers.MaxPooling2D(3, strides=1, padding="same", name="b2")(add)
    cat = keras.layers.Concatenate(name="concat")([b1, b2])
    drop = keras.layers.Dropout(0.5, name="drop")(cat)
    gap = keras.layers.GlobalAveragePooling2D(name="gap")(drop)
    out = keras.layers.Dense(5, name="dense")(gap)
    model = keras.Model(inp, out, name="bn_branch")
    # Non-trivial moving statistics, so that training=False matters.
    bn_layer = model.get_layer("bn")
    bn_layer.moving_mean.assign(keras.ops.ones((6,)) * 0.3)
    bn_layer.moving_variance.assign(keras.ops.ones((6,)) * 2.0)
    path = tmp_path_factory.mktemp("models") / "bn_branch.keras"
    model.save(path)
    return path


@pytest.mark.skipif(not HAS_JAX, reason="jax is not installed")
def test_jax_blocks_match_tensorflow_and_chain_to_the_whole_output(tmp_path, bn_model_file):
    tf_model = profile_model(str(bn_model_file), repeats=2)
    out = tmp_path / "jax.json"
    cmd = [
        sys.executable,
        "-m",
        "scission_opt",
        "profile",
        str(bn_model_file),
        "--backend",
        "jax",
        "--system",
        "host-jax",
        "--tier",
        "edge",
        "--repeats",
        "2",
        "--no-progress",
        "-o",
        str(out),
    ]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=_env(), timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    profile = load_profile(out)
    prov = profile.provenance
    assert (prov.backend, prov.method) == ("jax", "measured")
    assert prov.backend_version and prov.device.startswith("cpu") and prov.tensorflow == ""
    assert "jax.jit" in prov.method_detail and "jax.jit" in prov.describe()
    jax_model = profile.model("bn_branch")
    assert jax_model is not None
    # The same split points and block boundaries as the TensorFlow backend.
    assert [b.layers for b in jax_model.blocks] == [b.layers for b in tf_model.blocks]
    assert [(b.first_layer, b.last_layer) for b in jax_model.blocks] == [
        (b.first_layer, b.last_layer) for b in tf_model.blocks
    ]
    for jb, tb in zip(jax_model.blocks, tf_model.blocks, strict=True):
        assert jb.same_structure(tb) is None
        assert (jb.activation_bytes, jb.traffic_bytes) == (tb.activation_bytes, tb.traffic_bytes)
        assert jb.flops is None or jb.flops >= 0
        assert jb.latency.repeats == 2 and jb.latency.median_s > 0
    assert len(jax_model.blocks) >= 4  # c1 | bn | ... : a real multi-block chain
    # c1: a multiply-add (2 FLOPs) per weight and output; XLA skips the zero padding, so count the interior only.
    assert jax_model.blocks[0].flops and 2 * 10 * 10 * 6 * 27 <= jax_model.blocks[0].flops <= 2 * 12 * 12 * 6 * 28
    # Chained jit'ed blocks reproduce the whole jit'ed model (XLA may fuse differently: close, not equal).
    assert jax_model.max_chain_diff is not None and jax_model.max_chain_diff < 1e-4
    assert jax_model.whole.median_s > 0 and jax_model.fixed_call.median_s > 0
    assert jax_model.input_bytes == tf_model.input_bytes and jax_model.n_layers == tf_model.n_layers
    assert "bn_branch:" in done.stdout and "Keras on jax" in done.stdout


@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed (optional, not in the test extra)")
def test_torch_blocks_match_tensorflow_and_chain_to_the_whole_output(tmp_path, bn_model_file):
    """The torch backend cuts the same blocks as TensorFlow's, and its chained blocks give the whole output.

    Run with ``TORCHDYNAMO_DISABLE=1`` (``torch.compile`` then calls eagerly): compiling each block with
    inductor took 148 s on this small model on a loaded 2-core VM, for the same blocks and outputs.
    """
    tf_model = profile_model(str(bn_model_file), repeats=2)
    out = tmp_path / "torch.json"
    cmd = [sys.executable, "-m", "scission_opt", "profile", str(bn_model_file), "--backend", "torch"]
    cmd += ["--system", "host-torch", "--tier", "edge", "--repeats", "2", "--no-progress", "-o", str(out)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=_env(TORCHDYNAMO_DISABLE="1"), timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    profile = load_profile(out)
    prov = profile.provenance
    assert (prov.backend, prov.method, prov.device) == ("torch", "measured", "cpu")
    assert prov.backend_version and prov.tensorflow == "" and "torch.compile" in prov.method_detail
    torch_model = profile.model("bn_branch")
    assert torch_model is not None
    assert [b.layers for b in torch_model.blocks] == [b.layers for b in tf_model.blocks]
    for pb, tb in zip(torch_model.blocks, tf_model.blocks, strict=True):
        assert (pb.first_layer, pb.last_layer) == (tb.first_layer, tb.last_layer)
        assert pb.same_structure(tb) is None
        assert (pb.activation_bytes, pb.traffic_bytes) == (tb.activation_bytes, tb.traffic_bytes)
        assert pb.latency.repeats == 2 and pb.latency.median_s > 0
    assert len(torch_model.blocks) >= 4
    # c1 (3x3, 3 -> 6 channels, 'same' on 12x12): torch's counter charges every output a full 27-term multiply-add.
    assert torch_model.blocks[0].flops == 2 * 12 * 12 * 6 * 27
    assert torch_model.max_chain_diff is not None and torch_model.max_chain_diff < 1e-4
    assert torch_model.whole.median_s > 0 and torch_model.fixed_call.median_s > 0
    assert torch_model.input_bytes == tf_model.input_bytes and torch_model.n_layers == tf_model.n_layers
    assert "bn_branch:" in done.stdout and "Keras on torch" in done.stdout


def test_other_backend_in_this_process_is_refused_by_name(bn_model_file):
    # Keras runs on TensorFlow in this test process; another backend needs a new process.
    keras_module()
    with pytest.raises(BackendError, match="new process"):
        profile_model(str(bn_model_file), repeats=1, backend="jax")
    with pytest.raises(UnknownNameError, match="known backends: tensorflow, jax, torch"):
        get_backend("mxnet")
    assert get_backend("tensorflow").name == "tensorflow"
    assert NAMES[0] == "tensorflow"


def _main_without(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m scission_opt ARGS`` in a process where ``import MODULE`` fails as if it were not installed."""
    code = (
        "import sys\n"
        f"sys.modules[{module!r}] = None  # import {module} now raises ImportError\n"
        "from scission_opt.cli import main\n"
        f"sys.exit(main({list(args)!r}))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=_env(), timeout=300
    )


def test_profile_without_tensorflow_is_one_line_and_exit_2(tmp_path):
    done = _main_without(
        "tensorflow", "profile", "vgg16", "--system", "s", "--tier", "t", "-o", str(tmp_path / "p.json")
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "pip install 'scission_opt[profile]'" in lines[0] and "--backend jax" in lines[0]
    assert not (tmp_path / "p.json").exists()


def test_torch_backend_without_torch_is_one_line_and_exit_2(tmp_path):
    done = _main_without(
        "torch",
        "profile",
        "vgg16",
        "--backend",
        "torch",
        "--system",
        "s",
        "--tier",
        "t",
        "-o",
        str(tmp_path / "p.json"),
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: profile --backend torch needs torch"), done.stderr
    assert "pip install 'scission_opt[torch]'" in lines[0]


def test_tensorflow_blocks_are_cut_from_one_trace_and_match_the_submodels(bn_model_file):
    import numpy as np

    from scission_opt.profiler.backends.tensorflow import BACKEND as TF
    from scission_opt.profiler.models import build_model
    from scission_opt.profiler.splits import layer_graph, make_blocks

    graph = layer_graph(build_model(str(bn_model_file)))
    blocks = make_blocks(graph, submodels=True)
    whole, cut = TF.compile_model(graph, blocks)
    # Cut from the whole model's traced graph: no block was traced again from its Keras sub-model.
    assert [type(c.call).__name__ for c in cut] == ["WrappedFunction"] * len(blocks)
    x = TF.to_input(np.random.default_rng(1).standard_normal((1, 12, 12, 3)).astype("float32"))
    h = x
    for block, c in zip(blocks, cut, strict=True):
        traced = TF.compile(block.submodel, tuple(int(d) for d in block.submodel.inputs[0].shape[1:]), "float32")
        out = c.call(h)
        assert np.array_equal(TF.to_numpy(out), TF.to_numpy(traced.call(h)))  # the same block, both ways
        assert c.flops() == traced.flops()
        h = out
    assert np.array_equal(TF.to_numpy(h), TF.to_numpy(whole.call(x)))


@pytest.mark.parametrize(
    "analysis, expected",
    [({"flops": 1234.0}, 1234), ([{"flops": 8.0}], 8), ({"flops": -1.0}, None), ({}, None), (None, None)],
)
def test_jax_flop_count_is_unknown_where_xla_cannot_count(analysis, expected):
    """XLA's cost analysis says -1 where it cannot count (seen on an H200): that is no count, not a negative one."""
    from scission_opt.profiler.backends.jax import _flops

    class Compiled:
        def cost_analysis(self):
            return analysis

    assert _flops(Compiled()) == expected
