"""Profiling models on this host: blocks, timings, the chained-output check, checkpoint and resume.

:func:`profile_models` runs over several models and rewrites the profile file
atomically after each one, so an interrupted run (Ctrl-C, kill) loses at most
the model in progress; with ``resume=True`` it skips the models already in the
file, after checking that the file was measured with the same settings.
"""

from __future__ import annotations

import datetime as _dt
import glob
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InvalidInstanceError, ScissionError
from .backends import DEFAULT as DEFAULT_BACKEND
from .backends import Backend, get_backend
from .costs import static_costs
from .models import APPLICATIONS, build_model, canonical_name, input_shape_for, is_model_file, model_label
from .profile import BlockProfile, ModelProfile, Profile, Provenance, load_profile
from .progress import Progress
from .splits import layer_graph, make_blocks, split_points
from .timing import time_call

DEFAULT_REPEATS = 10
DEFAULT_WARMUP = 1
#: Timed runs of the nearly empty call that gives the fixed cost per call.
FIXED_CALL_REPEATS = 50


class ResumeMismatchError(ScissionError, ValueError):
    """A profile to resume was measured with other settings than this run."""


def cpu_model() -> str:
    """The CPU's model name as the OS reports it."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def host_provenance(
    threads: int, inter_op: int, repeats: int, warmup: int, note: str = "", backend: Backend | None = None
) -> Provenance:
    """Provenance of a measurement made now on this host, with ``backend`` (default TensorFlow's)."""
    if backend is None:
        backend = get_backend(DEFAULT_BACKEND)
    import keras

    version, device = backend.versions()
    tf = sys.modules.get("tensorflow")  # recorded whenever it runs in this process, as before
    return Provenance(
        method="measured",
        date=_dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
        cpu=cpu_model(),
        cores=os.cpu_count() or 0,
        threads=threads,
        inter_op_threads=inter_op,
        tensorflow=str(getattr(tf, "__version__", "")) if backend.name == "tensorflow" else "",
        keras=keras.__version__,
        python=platform.python_version(),
        platform=platform.platform(),
        repeats=repeats,
        warmup=warmup,
        note=note,
        backend=backend.name,
        backend_version=version,
        device=device,
        method_detail=backend.method,
    )


def _source_text(spec: str, shape: tuple[int, ...] | None, options: dict[str, Any]) -> str:
    if is_model_file(spec):
        return f"keras.models.load_model({str(spec)!r})"
    args = ["weights=None", f"input_shape={tuple(shape) if shape else None}"]
    args += [f"{k}={v!r}" for k, v in sorted(options.items())]
    return f"keras.applications.{APPLICATIONS[canonical_name(spec)].constructor}({', '.join(args)})"


def _shape_dtype(tensor: Any) -> tuple[tuple[int, ...], str]:
    return tuple(int(d) for d in tensor.shape[1:]), str(tensor.dtype)


def profile_model(
    spec: str,
    *,
    input_shape: tuple[int, ...] | None = None,
    options: dict[str, Any] | None = None,
    repeats: int = DEFAULT_REPEATS,
    warmup: int = DEFAULT_WARMUP,
    seed: int = 0,
    progress: Progress | None = None,
    backend: str = DEFAULT_BACKEND,
) -> ModelProfile:
    """Build one model, find its blocks, and time each block and the whole model.

    Parameters
    ----------
    spec
        Registry name or model file path.
    input_shape, options
        For registry models: input shape (no batch axis) and constructor options.
    repeats, warmup
        Timed runs and untimed runs before them. The first call of each block
        and of the whole model, which also gives the chained output, counts as
        one warm-up run.
    seed
        Seed of the random input.
    progress
        Progress bar to update per block.
    backend
        Keras backend (see :mod:`scission_opt.profiler.backends`); it must be
        the one Keras runs on in this process, or Keras not yet imported.

    Raises
    ------
    UnknownNameError, InvalidInstanceError
        For an unknown model name or a model file that cannot be used.
    MissingDependencyError, BackendError
        For a backend that is not installed or cannot run in this process.
    """
    engine = get_backend(backend)
    options = dict(options or {})
    label = model_label(spec)
    t_start = time.perf_counter()
    with engine.build_scope():
        model = build_model(spec, input_shape, **options)
    build_s = time.perf_counter() - t_start

    t_trace = time.perf_counter()
    graph = layer_graph(model, spec)
    blocks = make_blocks(graph, split_points(graph), submodels=engine.needs_submodels)
    shape, dtype = _shape_dtype(graph.model.inputs[0])
    # Everything is compiled first (in parallel where the backend can) so that the timing runs alone.
    whole_fn, block_fns = engine.compile_model(graph, blocks)
    rng = np.random.default_rng(seed)
    x = engine.to_input(rng.standard_normal((1, *shape)).astype(dtype))
    expected = whole_fn.call(x)  # the first call also optimises the graph: one warm-up run
    trace_s = time.perf_counter() - t_trace
    whole = time_call(whole_fn.call, x, repeats=repeats, warmup=max(warmup - 1, 0))

    records = []
    h = x
    for i, (block, fn) in enumerate(zip(blocks, block_fns, strict=True)):
        if progress is not None:
            progress.step(i, len(blocks), "blocks")
        t0 = time.perf_counter()
        flops = fn.flops()
        out = fn.call(h)  # first call: optimises the graph, gives the chained output, counts as one warm-up run
        trace_s += time.perf_counter() - t0
        timing = time_call(fn.call, h, repeats=repeats, warmup=max(warmup - 1, 0))
        output_bytes, param_bytes, activation_bytes, traffic_bytes = static_costs(graph, block)
        records.append(
            BlockProfile(
                layers=block.layers,
                first_layer=graph.layers[block.first].name,
                last_layer=graph.layers[block.last].name,
                output_bytes=output_bytes,
                param_bytes=param_bytes,
                activation_bytes=activation_bytes,
                traffic_bytes=traffic_bytes,
                flops=flops,
                latency=timing,
            )
        )
        h = out
    if progress is not None:
        progress.step(len(blocks), len(blocks), "blocks")
    diff = _max_abs_diff(engine.to_numpy(expected), engine.to_numpy(h))
    empty_fn, empty_arg = engine.empty_call()
    fixed = time_call(empty_fn, empty_arg, repeats=FIXED_CALL_REPEATS, warmup=5)
    return ModelProfile(
        name=label,
        source=_source_text(spec, input_shape_for(spec, input_shape), options),
        input_shape=shape,
        input_bytes=int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize,
        n_layers=graph.n_layers,
        blocks=tuple(records),
        whole=whole,
        fixed_call=fixed,
        max_chain_diff=diff,
        build_s=build_s,
        trace_s=trace_s,
        profile_s=time.perf_counter() - t_start,
    )


def _max_abs_diff(a: Any, b: Any) -> float:
    xs = a if isinstance(a, (list, tuple)) else [a]
    ys = b if isinstance(b, (list, tuple)) else [b]
    return max(float(np.max(np.abs(np.asarray(x) - np.asarray(y)))) for x, y in zip(xs, ys, strict=True))


def profile_models(
    models: Sequence[str],
    output: str | Path,
    *,
    system: str,
    tier: str,
    threads: int | None = None,
    inter_op_threads: int | None = None,
    repeats: int = DEFAULT_REPEATS,
    warmup: int = DEFAULT_WARMUP,
    input_shape: tuple[int, ...] | None = None,
    options: dict[str, Any] | None = None,
    resume: bool = False,
    progress: bool | None = None,
    note: str = "",
    backend: str = DEFAULT_BACKEND,
) -> Profile:
    """Profile several models on this host into one profile file, checkpointing after each model.

    Parameters
    ----------
    models
        Registry names or model file paths.
    output
        The profile file; rewritten atomically after each model.
    system, tier
        Name of the system being measured and its tier.
    threads, inter_op_threads
        TensorFlow's intra-op / inter-op threads (``None``: TensorFlow's
        defaults; inter-op defaults to ``threads``). Must be set before
        TensorFlow runs anything in this process.
    repeats, warmup
        Timed and untimed runs per block and for the whole model.
    input_shape, options
        Input shape and constructor options for registry models.
    resume
        Carry on an interrupted run: keep the models already in ``output`` and
        profile only the others. Without it an existing file is replaced.
    progress
        Draw a progress bar on stderr (``None``: only on a terminal).
    note
        Free text added to the provenance.
    backend
        Keras backend: ``tensorflow`` (default), ``jax`` or ``torch``. Keras
        picks its backend at import, so it must be this one or not yet
        imported in this process (see :mod:`scission_opt.profiler.backends`).

    Temporary files a killed run left beside ``output`` (``.NAME.json.*.tmp``,
    from an interrupted checkpoint write) are removed first; see
    :func:`remove_stale_temp_files` to learn which.

    Raises
    ------
    ResumeMismatchError
        When ``resume`` finds a file measured with other settings.
    UnknownNameError, InvalidInstanceError, ThreadSettingError
        For bad model names or files, or threads that cannot be set.
    MissingDependencyError, BackendError
        For a backend that is not installed or cannot run in this process.
    """
    # Check every name before spending time on the first model.
    for spec in models:
        if not is_model_file(spec):
            canonical_name(spec)
        elif not Path(spec).is_file():
            raise InvalidInstanceError("no such model file", spec, "model")
    if repeats < 1:
        raise InvalidInstanceError(f"must be >= 1, got {repeats}", None, "repeats")
    engine = get_backend(backend)
    import keras

    intra, inter = engine.set_threads(threads, inter_op_threads)
    prov = host_provenance(intra, inter, repeats, warmup, note, engine)
    out_path = Path(output)
    remove_stale_temp_files(out_path)
    profile = Profile(system=system, tier=tier, provenance=prov, source=str(out_path))
    if resume and out_path.exists():
        profile = _resumable(load_profile(out_path), profile)
    labels = [model_label(spec) for spec in models]
    for spec, label in zip(models, labels, strict=True):
        kept = profile.model(label)
        if kept is not None:
            wanted = _source_text(spec, input_shape_for(spec, input_shape), dict(options or {}))
            if kept.source != wanted:
                raise ResumeMismatchError(
                    f"{out_path}: models.{label}.source: cannot resume: the file has {kept.source}, "
                    f"this run {wanted}; use the same settings or a new output file"
                )
    todo = [(spec, label) for spec, label in zip(models, labels, strict=True) if profile.model(label) is None]
    bar = Progress(len(models), enabled=progress)
    try:
        done = len(models) - len(todo)
        for i, (spec, label) in enumerate(todo):
            bar.model_started(done + i, label)
            record = profile_model(
                spec,
                input_shape=input_shape,
                options=options,
                repeats=repeats,
                warmup=warmup,
                progress=bar,
                backend=engine.name,
            )
            profile = profile.with_model(record)
            profile.save(out_path)
            keras.backend.clear_session()
        if not todo and not out_path.exists():
            profile.save(out_path)
    finally:
        bar.close()
    return profile


def _resumable(existing: Profile, fresh: Profile) -> Profile:
    """``existing`` if it was measured like ``fresh`` will be, else an error naming the difference."""
    checks = [
        ("system", existing.system, fresh.system),
        ("tier", existing.tier, fresh.tier),
        ("provenance.method", existing.provenance.method, "measured"),
        ("provenance.cpu", existing.provenance.cpu, fresh.provenance.cpu),
        ("provenance.threads", existing.provenance.threads, fresh.provenance.threads),
        ("provenance.inter_op_threads", existing.provenance.inter_op_threads, fresh.provenance.inter_op_threads),
        ("provenance.repeats", existing.provenance.repeats, fresh.provenance.repeats),
        ("provenance.warmup", existing.provenance.warmup, fresh.provenance.warmup),
        ("provenance.tensorflow", existing.provenance.tensorflow, fresh.provenance.tensorflow),
        ("provenance.backend", existing.provenance.backend, fresh.provenance.backend),
        (
            "provenance.backend_version",
            existing.provenance.backend_version or fresh.provenance.backend_version,
            fresh.provenance.backend_version,
        ),
        ("provenance.device", existing.provenance.device or fresh.provenance.device, fresh.provenance.device),
    ]
    for name, old, new in checks:
        if old != new:
            raise ResumeMismatchError(
                f"{existing.source}: {name}: cannot resume: the file has {old!r}, this run {new!r}; "
                "use the same settings or a new output file"
            )
    return existing


def stale_temp_files(output: str | Path) -> list[Path]:
    """Temporary files an interrupted atomic write of ``output`` left behind (``.NAME.*.tmp`` beside it)."""
    out = Path(output)
    if not out.parent.is_dir():
        return []
    return sorted(p for p in out.parent.glob(f".{glob.escape(out.name)}.*.tmp") if p.is_file())


def remove_stale_temp_files(output: str | Path) -> list[Path]:
    """Remove the temporary files a killed run left beside ``output``; return the paths removed.

    A run killed (SIGKILL, power loss) while it wrote a checkpoint leaves the
    complete previous file in place (the write is a rename) and the partial new
    one as ``.NAME.json.XXXXXXXX.tmp``. Two runs must never write one file at
    once, so any such file is an orphan.
    """
    removed = []
    for path in stale_temp_files(output):
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        removed.append(path)
    return removed
