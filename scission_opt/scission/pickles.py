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

A file is bounded before it is unpickled: at most
:data:`~scission_opt.limits.MAX_PICKLE_BYTES`, and a scan of its opcodes
refuses values nested deeper than :data:`MAX_DEPTH` (hashing a tuple nested
200,000 deep as a dict key crashes the interpreter). Values shown in messages
are cut short (:func:`~scission_opt.errors.quote`): a few hundred bytes of
shared references can stand for a list of 2**40 items.
"""

from __future__ import annotations

import io
import pickle
import pickletools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._fields import check_string
from ..errors import InvalidInstanceError, UnsafePickleError, quote
from ..io import read_bytes
from ..limits import MAX_NUMBER, MAX_PICKLE_BYTES

#: The only class name a benchmark file may name.
RECORD_CLASS = "LayerBenchmark"

#: Deepest nesting of values accepted (a real benchmark file nests 5 deep: dict, list, record, state, value).
MAX_DEPTH = 32

_MUTATORS = frozenset({"APPEND", "APPENDS", "SETITEM", "SETITEMS", "ADDITEMS", "BUILD"})
_PUTS = frozenset({"PUT", "BINPUT", "LONG_BINPUT"})
_GETS = frozenset({"GET", "BINGET", "LONG_BINGET"})


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
            f"{self.source}: refusing to load {quote(module)}.{quote(name)}: a Scission benchmark file may only hold "
            f"{RECORD_CLASS} records and plain values (nothing was executed)"
        )

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError(f"{self.source}: refusing a persistent reference in the pickle (nothing was executed)")


def _nesting_depth(data: bytes) -> int:
    """How deep the values a pickle builds nest, found from its opcodes without building anything.

    Each stack entry carries the depth of the value it stands for; an opcode that
    builds a container from popped values gives it one more than the deepest of
    them, and one that fills a container (append, setitem, build) raises the
    container's depth. Memo gets return the depth stored by the matching put.
    """
    mark = pickletools.markobject
    stack: list[int | None] = []  # None is a mark
    memo: dict[Any, int] = {}
    deepest = 0
    for op, arg, _ in pickletools.genops(data):
        name = op.name
        if name in _GETS:
            stack.append(memo.get(arg, 0))
            continue
        if name in _PUTS or name == "MEMOIZE":
            memo[arg if name in _PUTS else len(memo)] = (stack[-1] or 0) if stack else 0
            continue
        popped: list[int] = []
        if mark in op.stack_before:
            while stack and stack[-1] is not None:
                popped.append(stack.pop() or 0)
            if stack:
                stack.pop()
        for _ in range(len(op.stack_before) - (2 if mark in op.stack_before else 0)):
            if stack:
                popped.append(stack.pop() or 0)
        if name in _MUTATORS and popped:
            container = popped.pop()  # the container lies below what is put into it
            depth = max([container, *(d + 1 for d in popped)])
        else:
            depth = max(popped) + 1 if popped else 0
        deepest = max(deepest, depth)
        for item in op.stack_after:
            stack.append(None if item is mark else depth)
    return deepest


def load_pickle(path: str | Path) -> Any:
    """Unpickle ``path`` with only ``LayerBenchmark`` allowed; records come back as stand-ins.

    Raises
    ------
    InvalidInstanceError
        A file over the size bound, values nested too deeply, or not a pickle.
    UnsafePickleError
        A file that names any class or callable but ``LayerBenchmark``.
    """
    source = str(path)
    data = read_bytes(path, MAX_PICKLE_BYTES)
    try:
        depth = _nesting_depth(data)
    except Exception as exc:  # noqa: BLE001 - genops raises ValueError and others on a foreign file
        raise InvalidInstanceError(
            f"not a readable Scission benchmark pickle ({type(exc).__name__}: {exc})", source
        ) from None
    if depth > MAX_DEPTH:
        raise InvalidInstanceError(
            f"not a Scission benchmark file: values nest {depth} deep (at most {MAX_DEPTH})", source
        )
    try:
        return _SafeUnpickler(io.BytesIO(data), source).load()
    except UnsafePickleError:
        raise
    except RecursionError:
        raise InvalidInstanceError("not a Scission benchmark file: the pickle nests too deeply", source) from None
    except Exception as exc:  # noqa: BLE001 - a truncated or foreign file raises many kinds of error
        raise InvalidInstanceError(
            f"not a readable Scission benchmark pickle ({type(exc).__name__}: {exc})", source
        ) from None


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
        check_string(model, f"model {quote(model)}", source)
        if not isinstance(records, (list, tuple)):
            raise InvalidInstanceError(
                f"expected a list of records, got {type(records).__name__}", source, quote(model)
            )
        blocks = tuple(_record(r, source, f"{model}[{i}]") for i, r in enumerate(records))  # model checked: no controls
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
        values[key] = _field_value(state[key], kind, source, f"{where}.{key}")
    if values["output_layer"] < values["input_layer"]:
        raise InvalidInstanceError(
            f"output_layer {values['output_layer']} is before input_layer {values['input_layer']}", source, where
        )
    return LayerBenchmark(**values)


def _field_value(value: Any, kind: type, source: str, where: str) -> Any:
    """One record field checked: numbers finite, >= 0 and at most MAX_NUMBER; strings without control characters."""
    if kind is str:
        if not isinstance(value, str):
            raise InvalidInstanceError(f"must be a string, got {quote(value)}", source, where)
        if value:
            check_string(value, where, source)
        return value
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int and not isinstance(value, int):
        number = False
    if number and isinstance(value, int) and value.bit_length() > 64:
        number = False  # 10**400 would overflow float()
    if number and 0 <= float(value) <= MAX_NUMBER:  # NaN fails the comparison
        return float(value) if kind is float else value
    want = "a finite number" if kind is float else "a whole number"
    raise InvalidInstanceError(f"must be {want} in [0, {MAX_NUMBER:g}], got {quote(value)}", source, where)
