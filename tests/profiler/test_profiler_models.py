"""The model registry: names, aliases, errors, and no TensorFlow at import time."""

from __future__ import annotations

import subprocess
import sys

import pytest

from scission_opt.errors import InvalidInstanceError, ScissionError, UnknownNameError
from scission_opt.profiler.models import build_model, canonical_name, input_shape_for, model_label, model_names


def test_eighteen_models():
    assert len(model_names()) == 18
    assert model_names()[0] == "vgg16"


@pytest.mark.parametrize(
    "given, name",
    [
        ("VGG16", "vgg16"),
        ("mobilenetv2", "mobilenet_v2"),
        ("inceptionresnet_v2", "inception_resnet_v2"),
        ("nasnetlarge", "nasnet_large"),
        ("inception-v3", "inception_v3"),
    ],
)
def test_aliases(given, name):
    assert canonical_name(given) == name


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(UnknownNameError) as err:
        canonical_name("alexnet")
    assert isinstance(err.value, ScissionError)
    assert "alexnet" in str(err.value) and "vgg16" in str(err.value)
    assert "\n" not in str(err.value)


def test_default_input_shapes():
    assert input_shape_for("xception") == (299, 299, 3)
    assert input_shape_for("nasnet_large") == (331, 331, 3)
    assert input_shape_for("vgg16", (32, 32, 3)) == (32, 32, 3)
    assert input_shape_for("model.keras") is None
    assert model_label("dir/my_model.h5") == "my_model"


def test_missing_and_unreadable_model_files(tmp_path):
    with pytest.raises(InvalidInstanceError, match="no such model file") as err:
        build_model(str(tmp_path / "none.keras"))
    assert err.value.field == "model"
    bad = tmp_path / "bad.keras"
    bad.write_text("not a model")
    with pytest.raises(InvalidInstanceError, match="cannot load model") as err:
        build_model(str(bad))
    assert err.value.source == str(bad) and "\n" not in str(err.value)


def test_importing_scission_opt_does_not_import_tensorflow():
    code = "import sys, scission_opt, scission_opt.profiler.measure, scission_opt.profiler.build; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
