"""The Keras application models the profiler knows by name, and loading a user's model file.

Models are built with ``weights=None``: nothing is downloaded, and timing does
not depend on weight values. Names follow ``keras.applications`` in snake
case; Scission's spellings (``mobilenetv2``, ``nasnetlarge``, ...) are
accepted as aliases.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInstanceError, UnknownNameError
from .backends import keras_module

if TYPE_CHECKING:  # pragma: no cover
    import keras


@dataclass(frozen=True)
class Application:
    """One Keras application model.

    Attributes
    ----------
    name
        The profiler's name for it (snake case).
    constructor
        Attribute of ``keras.applications`` that builds it.
    input_size
        Default (and published) square input size in pixels.
    """

    name: str
    constructor: str
    input_size: int


APPLICATIONS: dict[str, Application] = {
    a.name: a
    for a in (
        Application("vgg16", "VGG16", 224),
        Application("vgg19", "VGG19", 224),
        Application("xception", "Xception", 299),
        Application("resnet50", "ResNet50", 224),
        Application("resnet101", "ResNet101", 224),
        Application("resnet152", "ResNet152", 224),
        Application("resnet50v2", "ResNet50V2", 224),
        Application("resnet101v2", "ResNet101V2", 224),
        Application("resnet152v2", "ResNet152V2", 224),
        Application("inception_v3", "InceptionV3", 299),
        Application("inception_resnet_v2", "InceptionResNetV2", 299),
        Application("mobilenet", "MobileNet", 224),
        Application("mobilenet_v2", "MobileNetV2", 224),
        Application("densenet121", "DenseNet121", 224),
        Application("densenet169", "DenseNet169", 224),
        Application("densenet201", "DenseNet201", 224),
        Application("nasnet_large", "NASNetLarge", 331),
        Application("nasnet_mobile", "NASNetMobile", 224),
    )
}

#: Scission's model names, mapped to ours.
ALIASES: dict[str, str] = {
    "inceptionresnet_v2": "inception_resnet_v2",
    "inceptionresnetv2": "inception_resnet_v2",
    "inceptionv3": "inception_v3",
    "mobilenetv2": "mobilenet_v2",
    "nasnetlarge": "nasnet_large",
    "nasnetmobile": "nasnet_mobile",
}

MODEL_FILE_SUFFIXES = (".keras", ".h5", ".hdf5")


def model_names() -> list[str]:
    """The names of the known application models, in the published order."""
    return list(APPLICATIONS)


def canonical_name(name: str) -> str:
    """The registry name for ``name`` (case-insensitive, Scission aliases accepted).

    Raises
    ------
    UnknownNameError
        Listing the valid names.
    """
    key = name.lower().replace("-", "_")
    key = ALIASES.get(key, key)
    if key not in APPLICATIONS:
        raise UnknownNameError(
            f"unknown model {name!r}; known models: {', '.join(APPLICATIONS)}, or the path of a "
            f"{'/'.join(MODEL_FILE_SUFFIXES)} file"
        )
    return key


def is_model_file(spec: str) -> bool:
    """Whether ``spec`` names a model file rather than a registry model."""
    return spec.lower().endswith(MODEL_FILE_SUFFIXES) or os.sep in spec or "/" in spec


def model_label(spec: str) -> str:
    """The name a model is recorded under in a profile: the registry name, or the file's stem."""
    if is_model_file(spec):
        return Path(spec).stem
    return canonical_name(spec)


def input_shape_for(spec: str, input_shape: tuple[int, ...] | None = None) -> tuple[int, ...] | None:
    """The input shape a registry model is built with (``None`` for a model file: its own)."""
    if input_shape is not None:
        return tuple(input_shape)
    if is_model_file(spec):
        return None
    size = APPLICATIONS[canonical_name(spec)].input_size
    return (size, size, 3)


def build_model(spec: str, input_shape: tuple[int, ...] | None = None, **options: Any) -> keras.Model:
    """Build a registry model with ``weights=None``, or load a user's ``.keras`` / ``.h5`` file.

    Parameters
    ----------
    spec
        A registry name (see :func:`model_names`) or the path of a model file.
    input_shape
        Input shape without the batch axis, e.g. ``(96, 96, 3)``; registry models only.
        Defaults to the model's published size.
    **options
        Passed on to the Keras constructor (e.g. ``alpha=0.35`` for the MobileNets).

    Raises
    ------
    UnknownNameError
        For an unknown registry name.
    InvalidInstanceError
        For a model file that does not exist or cannot be loaded, naming the file.
    """
    keras = keras_module()

    if is_model_file(spec):
        if input_shape is not None or options:
            raise InvalidInstanceError("input shape and model options apply to registry models only", spec, "model")
        return _load_file(spec)
    app = APPLICATIONS[canonical_name(spec)]
    shape = input_shape_for(spec, input_shape)
    constructor = getattr(keras.applications, app.constructor)
    try:
        return constructor(weights=None, input_shape=shape, **options)
    except (ValueError, TypeError) as exc:
        raise InvalidInstanceError(f"cannot build {app.name}: {_first_line(exc)}", app.name, "model") from None


def _load_file(path: str) -> keras.Model:
    keras = keras_module()

    p = Path(path)
    if not p.is_file():
        raise InvalidInstanceError("no such model file", path, "model")
    try:
        model = keras.models.load_model(p, compile=False)
    except Exception as exc:  # Keras raises many kinds for a bad file
        raise InvalidInstanceError(f"cannot load model: {_first_line(exc)}", path, "model") from None
    if not isinstance(model, keras.Model):
        raise InvalidInstanceError(f"not a Keras model: {type(model).__name__}", path, "model")
    return model


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
