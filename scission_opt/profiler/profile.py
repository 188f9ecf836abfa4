"""The profile file format ``scission-opt/profile@1``, and reading and writing it.

A profile holds, for one system (a machine, or a machine as seen with some
thread count), per model: the blocks between split points with their measured
latency and static costs, the whole-model latency and the fixed cost per call.
Its provenance says how the numbers were obtained (measured on which CPU with
which software, or estimated from which spec).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .._fields import Fields, check_integer, check_number
from ..io import read_json, write_json_atomic
from .timing import Timing

FORMAT = "scission-opt/profile@1"


@dataclass(frozen=True)
class BlockProfile:
    """One block of a profiled model.

    Attributes
    ----------
    layers
        First and last model layer index covered (inclusive).
    first_layer, last_layer
        Names of those layers.
    output_bytes, param_bytes, activation_bytes, traffic_bytes, flops
        Static costs, see :class:`~scission_opt.profiler.costs.BlockCosts`.
    latency
        Timing of one call of the block; its median is the block's latency.
    """

    layers: tuple[int, int]
    first_layer: str
    last_layer: str
    output_bytes: int
    param_bytes: int
    activation_bytes: int
    traffic_bytes: int
    flops: int | None
    latency: Timing

    def same_structure(self, other: BlockProfile) -> str | None:
        """How this block differs from ``other`` in anything but timing, or ``None``."""
        for name in ("layers", "output_bytes", "param_bytes"):
            a, b = getattr(self, name), getattr(other, name)
            if a != b:
                return f"{name} {list(a) if isinstance(a, tuple) else a} vs {list(b) if isinstance(b, tuple) else b}"
        return None


@dataclass(frozen=True)
class ModelProfile:
    """Everything measured for one model on one system.

    Attributes
    ----------
    name
        The model's name (registry name or file stem).
    source
        How the model was built, e.g. ``keras.applications.VGG16(weights=None)``.
    input_shape
        Input shape without the batch axis.
    input_bytes
        Bytes of one raw input tensor.
    n_layers
        Layers in the model.
    blocks
        The blocks, in order.
    whole
        Timing of the whole model as one call.
    fixed_call
        Timing of a nearly empty call: the fixed cost each block call pays.
    max_chain_diff
        Largest absolute difference between the whole model's output and the
        output of the blocks run in sequence (``None`` for estimates).
    build_s, trace_s, profile_s
        Wall time to build the model; to make the blocks' sub-models, trace
        them, count their FLOPs and make each block's first (graph-optimising)
        call; and for the whole profiling of this model, build included.
    """

    name: str
    source: str
    input_shape: tuple[int, ...]
    input_bytes: int
    n_layers: int
    blocks: tuple[BlockProfile, ...]
    whole: Timing
    fixed_call: Timing
    max_chain_diff: float | None = None
    build_s: float = 0.0
    trace_s: float = 0.0
    profile_s: float = 0.0

    @property
    def latency_s(self) -> tuple[float, ...]:
        """Median latency of each block."""
        return tuple(b.latency.median_s for b in self.blocks)

    @property
    def sum_of_blocks_s(self) -> float:
        return sum(self.latency_s)

    @property
    def ratio(self) -> float:
        """Sum of block latencies over the whole-model latency."""
        return self.sum_of_blocks_s / self.whole.median_s if self.whole.median_s > 0 else float("nan")


@dataclass(frozen=True)
class Provenance:
    """How the numbers of a profile were obtained.

    Attributes
    ----------
    method
        ``"measured"`` or ``"estimated"``.
    date
        ISO 8601 UTC time the profile was started.
    cpu, cores
        The CPU model and its logical core count.
    threads, inter_op_threads
        TensorFlow's intra-op and inter-op thread counts (0: TensorFlow's choice).
    tensorflow, keras, python, platform
        Software versions and the OS.
    repeats, warmup
        Timed runs per block and untimed runs before them.
    timer
        The clock used.
    note
        Free text: for an estimate, the spec and the model used.
    backend
        The Keras backend that ran the model (``tensorflow``, ``jax`` or
        ``torch``); files written before backends existed are TensorFlow's.
    backend_version
        That library's version (the TensorFlow version for ``tensorflow``).
    device
        Where the backend ran the model, e.g. ``cpu`` or ``gpu:0 NVIDIA H200``.
    method_detail
        How each block was compiled and timed by that backend.
    """

    method: str = "measured"
    date: str = ""
    cpu: str = ""
    cores: int = 0
    threads: int = 0
    inter_op_threads: int = 0
    tensorflow: str = ""
    keras: str = ""
    python: str = ""
    platform: str = ""
    repeats: int = 0
    warmup: int = 0
    timer: str = "time.perf_counter"
    note: str = ""
    backend: str = "tensorflow"
    backend_version: str = ""
    device: str = ""
    method_detail: str = ""

    def describe(self) -> str:
        """One sentence for an instance's provenance string."""
        if self.method == "estimated":
            return f"estimated ({self.note})" if self.note else "estimated"
        lib = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}.get(self.backend, self.backend)
        threads = (
            f"{self.threads} intra-op / {self.inter_op_threads} inter-op {lib} threads"
            if self.threads
            else f"{lib}'s default threads"
        )
        version = self.backend_version or (self.tensorflow if self.backend == "tensorflow" else "")
        where = f" ({self.device})" if self.device and self.device != "cpu" else ""
        return (
            f"measured on {self.cpu} ({self.cores} cores){where} with {threads}, {lib} {version}, "
            f"Keras {self.keras}, on {self.date}: median of {self.repeats} runs after {self.warmup} warm-up, "
            f"{self.method_detail or 'one tf.function per block'}, batch 1, {self.timer}"
            + (f"; {self.note}" if self.note else "")
        )


@dataclass(frozen=True)
class Profile:
    """The profile of one system: provenance and one :class:`ModelProfile` per model."""

    system: str
    tier: str
    provenance: Provenance
    models: tuple[ModelProfile, ...] = ()
    source: str = field(default="<profile>", compare=False)

    def model(self, name: str) -> ModelProfile | None:
        """The profile of model ``name``, or ``None``."""
        for m in self.models:
            if m.name == name:
                return m
        return None

    def with_model(self, model: ModelProfile) -> Profile:
        """A copy with ``model`` added (replacing one of the same name)."""
        return replace(self, models=tuple(m for m in self.models if m.name != model.name) + (model,))

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)

    def save(self, path: str | Path) -> None:
        """Write the profile as JSON, atomically."""
        write_json_atomic(path, self.to_dict())


# ---------------------------------------------------------------------------
# Writing


def _timing(t: Timing) -> dict[str, Any]:
    return t.to_dict()


def _to_dict(p: Profile) -> dict[str, Any]:
    prov = p.provenance
    return {
        "format": FORMAT,
        "system": p.system,
        "tier": p.tier,
        "provenance": {k: getattr(prov, k) for k in Provenance.__dataclass_fields__},
        "models": {
            m.name: {
                "source": m.source,
                "input_shape": list(m.input_shape),
                "input_bytes": m.input_bytes,
                "n_layers": m.n_layers,
                "whole": _timing(m.whole),
                "fixed_call": _timing(m.fixed_call),
                "sum_of_blocks_s": m.sum_of_blocks_s,
                "ratio_sum_of_blocks_to_whole": m.ratio,
                "max_chain_diff": m.max_chain_diff,
                "build_s": m.build_s,
                "trace_s": m.trace_s,
                "profile_s": m.profile_s,
                "blocks": [
                    {
                        "layers": list(b.layers),
                        "first_layer": b.first_layer,
                        "last_layer": b.last_layer,
                        "output_bytes": b.output_bytes,
                        "param_bytes": b.param_bytes,
                        "activation_bytes": b.activation_bytes,
                        "traffic_bytes": b.traffic_bytes,
                        "flops": b.flops,
                        "latency": _timing(b.latency),
                    }
                    for b in m.blocks
                ],
            }
            for m in p.models
        },
    }


# ---------------------------------------------------------------------------
# Reading


def load_profile(path: str | Path) -> Profile:
    """Read and validate a profile file.

    Raises
    ------
    InvalidInstanceError
        Naming the file and the field, for any problem.
    """
    return parse_profile(read_json(path), str(path))


def parse_profile(data: Any, source: str = "<profile>") -> Profile:
    """Validate a parsed profile document and build a :class:`Profile`."""
    root = Fields(data, "", source)
    fmt = root.string("format")
    if fmt != FORMAT:
        root.fail(f"unsupported format {fmt!r}; expected {FORMAT!r}", "format")
    system = root.string("system")
    tier = root.string("tier")
    prov = _parse_provenance(root.object("provenance"))
    models_f = root.object("models")
    models = tuple(_parse_model(name, models_f.object(name)) for name in list(models_f.data))
    models_f.done()
    root.done()
    return Profile(system=system, tier=tier, provenance=prov, models=models, source=source)


def _parse_provenance(f: Fields) -> Provenance:
    values: dict[str, Any] = {}
    for key, spec in Provenance.__dataclass_fields__.items():
        if spec.type in ("int",):
            values[key] = f.integer(key, spec.default)
        else:
            # Provenance strings are free text (a note may run to several sentences): no name-length limit.
            values[key] = f.text(key, spec.default)
    if values["method"] not in ("measured", "estimated"):
        f.fail(f"must be 'measured' or 'estimated', got {values['method']!r}", f.sub("method"))
    f.done()
    return Provenance(**values)


def _parse_timing(f: Fields) -> Timing:
    t = Timing(
        median_s=f.number("median_s"),
        q1_s=f.number("q1_s"),
        q3_s=f.number("q3_s"),
        min_s=f.number("min_s"),
        max_s=f.number("max_s"),
        repeats=f.integer("repeats", 1),
    )
    f.done()
    return t


def _parse_model(name: str, f: Fields) -> ModelProfile:
    shape = f.array("input_shape")
    blocks_raw = f.array("blocks")
    if not blocks_raw:
        f.fail("must list at least one block", f.sub("blocks"))
    blocks = tuple(_parse_block(Fields(b, f"{f.sub('blocks')}[{i}]", f.source)) for i, b in enumerate(blocks_raw))
    model = ModelProfile(
        name=name,
        source=f.string("source", ""),
        input_shape=tuple(check_integer(v, f"{f.sub('input_shape')}[{i}]", f.source) for i, v in enumerate(shape)),
        input_bytes=f.integer("input_bytes"),
        n_layers=f.integer("n_layers"),
        blocks=blocks,
        whole=_parse_timing(f.object("whole")),
        fixed_call=_parse_timing(f.object("fixed_call")),
        max_chain_diff=f.number("max_chain_diff", None),
        build_s=f.number("build_s", 0.0),
        trace_s=f.number("trace_s", 0.0),
        profile_s=f.number("profile_s", 0.0),
    )
    # Derived figures are written for readers; they are recomputed, not trusted.
    f.raw("sum_of_blocks_s", None)
    f.raw("ratio_sum_of_blocks_to_whole", None)
    f.done()
    return model


def _parse_block(f: Fields) -> BlockProfile:
    layers = f.array("layers")
    if len(layers) != 2:
        f.fail(f"must be [first, last], got {len(layers)} entries", f.sub("layers"))
    first = check_integer(layers[0], f.sub("layers") + "[0]", f.source)
    last = check_integer(layers[1], f.sub("layers") + "[1]", f.source)
    flops = f.raw("flops", None)
    block = BlockProfile(
        layers=(first, last),
        first_layer=f.string("first_layer", ""),
        last_layer=f.string("last_layer", ""),
        output_bytes=f.integer("output_bytes"),
        param_bytes=f.integer("param_bytes", 0),
        activation_bytes=f.integer("activation_bytes", 0),
        traffic_bytes=f.integer("traffic_bytes", 0),
        flops=None if flops is None else int(check_number(flops, f.sub("flops"), f.source)),
        latency=_parse_timing(f.object("latency")),
    )
    f.done()
    return block
