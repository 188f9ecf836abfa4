"""Reading Scission's ``.dat`` benchmark files without running what they name.

A Scission benchmark file is a pickle of ``{model name: [LayerBenchmark, ...]}``,
one record per block. ``pickle.load`` would import and call whatever a file
names, so a file from someone else could run any command. The reader here is an
:class:`pickle.Unpickler` whose ``find_class`` accepts one name only, the record
class ``LayerBenchmark`` (under any module: Scission pickled it from
``__main__``), and maps it to an inert stand-in; every other class or callable
is refused with :class:`~scission_opt.errors.UnsafePickleError` before anything
is imported or called. Plain values (dict, list, str, int, float, bool, None)
need no class lookup and load as usual.
"""

from __future__ import annotations

import io
import math
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InvalidInstanceError, UnsafePickleError
from ..io import read_bytes

#: The only class name a benchmark file may name.
RECORD_CLASS = "LayerBenchmark"


@dataclass(frozen=True)
class LayerBenchmark:
    """One benchmarked block of one model on one machine, as Scission records it.

    Attributes
    ----------
    model
        Model name, e.g. ``vgg19``.
    device
        Free-text machine label (often empty).
    input_layer, output_layer
        First and last Keras layer index of the block (inclusive).
    second_prediction
        Mean seconds per inference of the block.
    output_size
        Bytes of the block's output tensor as written by ``numpy.save``.
    """

    model: str
    device: str
    input_layer: int
    output_layer: int
    second_prediction: float
    output_size: int


class _RecordState:
    """Inert stand-in the unpickler builds for a ``LayerBenchmark``: it only keeps its state.

    It has no behaviour beyond storing the state dict, so building one runs
    nothing; :func:`_record` then checks every field.
    """

    __slots__ = ("state",)

    def __init__(self) -> None:  # called without arguments by the NEWOBJ / OBJ opcodes
        self.state: Any = None

    def __setstate__(self, state: Any) -> None:
        self.state = state


class _SafeUnpickler(pickle.Unpickler):
    def __init__(self, file: io.BufferedIOBase, source: str):
        super().__init__(file)
        self.source = source

    def find_class(self, module: str, name: str) -> type:
        if name == RECORD_CLASS:
            return _RecordState
        raise UnsafePickleError(
            f"{self.source}: refusing to load {module}.{name}: a Scission benchmark file may only hold "
            f"{RECORD_CLASS} records and plain values (nothing was executed)"
        )

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError(f"{self.source}: refusing a persistent reference in the pickle (nothing was executed)")


def load_pickle(path: str | Path) -> Any:
    """Unpickle ``path`` with only ``LayerBenchmark`` allowed; records come back as stand-ins."""
    source = str(path)
    data = read_bytes(path)
    try:
        return _SafeUnpickler(io.BytesIO(data), source).load()
    except UnsafePickleError:
        raise
    except RecursionError:
        raise InvalidInstanceError("not a Scission benchmark file: the pickle nests too deeply", source) from None
    except Exception as exc:  # a truncated or foreign file raises many kinds of error
        raise InvalidInstanceError(f"not a readable Scission benchmark pickle ({type(exc).__name__}: {exc})", source) from None


def load_benchmark_file(path: str | Path) -> dict[str, tuple[LayerBenchmark, ...]]:
    """Read one Scission benchmark file: ``{model: (record per block, in order)}``, checked.

    Raises
    ------
    UnsafePickleError
        If the pickle names any class or callable other than ``LayerBenchmark``.
    InvalidInstanceError
        If the file is missing, unreadable, or its content is not the expected
        shape (with the model and record index in the message).
    """
    source = str(path)
    data = load_pickle(path)
    if not isinstance(data, dict):
        raise InvalidInstanceError(f"expected a dict of model name -> records, got {type(data).__name__}", source)
    out: dict[str, tuple[LayerBenchmark, ...]] = {}
    for model, records in data.items():
        if not isinstance(model, str):
            raise InvalidInstanceError(f"model names must be strings, got {type(model).__name__}", source)
        if not isinstance(records, (list, tuple)):
            raise InvalidInstanceError(f"expected a list of records, got {type(records).__name__}", source, model)
        blocks = tuple(_record(r, source, f"{model}[{i}]") for i, r in enumerate(records))
        for i in range(1, len(blocks)):
            if blocks[i].input_layer <= blocks[i - 1].output_layer:
                raise InvalidInstanceError(
                    f"block starts at layer {blocks[i].input_layer}, not after the previous block's last layer "
                    f"{blocks[i - 1].output_layer}",
                    source,
                    f"{model}[{i}]",
                )
        out[model] = blocks
    return out


_FIELDS = {
    "model": str,
    "device": str,
    "input_layer": int,
    "output_layer": int,
    "second_prediction": float,
    "output_size": int,
}


def _record(raw: Any, source: str, where: str) -> LayerBenchmark:
    if not isinstance(raw, _RecordState):
        raise InvalidInstanceError(f"expected a {RECORD_CLASS} record, got {type(raw).__name__}", source, where)
    state = getattr(raw, "state", None)  # NEWOBJ builds without calling __init__
    # Protocol 2+ may send (dict_state, slot_state) for classes with slots.
    if isinstance(state, tuple) and len(state) == 2 and (state[0] is None or isinstance(state[0], dict)):
        state = {**(state[0] or {}), **(state[1] or {})}
    if not isinstance(state, dict):
        raise InvalidInstanceError(f"{RECORD_CLASS} record has no attribute dict", source, where)
    values: dict[str, Any] = {}
    for key, kind in _FIELDS.items():
        if key == "device" and state.get(key) is None:
            values[key] = ""  # a free-text label that some files leave out
            continue
        if key not in state:
            raise InvalidInstanceError(f"{RECORD_CLASS} record lacks {key!r}", source, where)
        value = state[key]
        if kind is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0
            value = float(value) if ok else value
        elif kind is int:
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        else:
            ok = isinstance(value, str)
        if not ok:
            want = {float: "a finite number >= 0", int: "a whole number >= 0", str: "a string"}[kind]
            raise InvalidInstanceError(f"{key} must be {want}, got {value!r}", source, f"{where}.{key}")
        values[key] = value
    if values["output_layer"] < values["input_layer"]:
        raise InvalidInstanceError(
            f"output_layer {values['output_layer']} is before input_layer {values['input_layer']}", source, where
        )
    return LayerBenchmark(**values)
