"""A Scission benchmark folder + network CSV + model name -> an :class:`~scission_opt.Instance`.

Each ``<tier>-<system>.dat`` file becomes one system of that tier; each
Scission block becomes one node with the block's Keras layer range, its
``output_size`` as ``output_bytes`` and, per system, its ``second_prediction``
as latency. Every (device, edge, cloud) machine triple Scission enumerates is a
choice of one system per tier here. Scission records no parameter sizes, so
``param_bytes`` is 0 (the provenance says so).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .._fields import check_string
from ..errors import InvalidInstanceError, quote
from ..instance import Instance, Link, Node, System
from ..limits import MAX_BENCHMARK_FILES, MAX_BENCHMARK_FOLDER_BYTES, MIB
from ..network import load_network, missing_pairs
from .pickles import LayerBenchmark, load_benchmark_file

#: Scission's tiers, in the order data flows.
SCISSION_TIERS = ("device", "edge", "cloud")

#: Scission's default raw input size, MB (10^6 bytes).
DEFAULT_INPUT_MB = 0.15


@dataclass(frozen=True)
class BenchmarkFile:
    """One machine's benchmark file: its tier, system name, path and records per model."""

    tier: str
    system: str
    path: Path
    models: dict[str, tuple[LayerBenchmark, ...]]


def load_benchmarks(folder: str | Path) -> list[BenchmarkFile]:
    """Read every ``<tier>-<system>.dat`` file in ``folder`` (device first, then edge, cloud; by name).

    Raises
    ------
    InvalidInstanceError
        Missing folder, a ``.dat`` name without a known tier prefix, the same
        system name twice, or no device file.
    UnsafePickleError
        A file that names anything but ``LayerBenchmark``.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InvalidInstanceError("no such benchmark folder", str(folder))
    entries: list[tuple[int, str, Path]] = []
    total = 0
    for path in sorted(p for p in folder.iterdir() if p.suffix == ".dat" and p.is_file()):
        tier, sep, system = path.stem.partition("-")
        if not sep or tier not in SCISSION_TIERS or not system:
            raise InvalidInstanceError(
                f"benchmark file names must be <tier>-<system>.dat with tier one of {', '.join(SCISSION_TIERS)}",
                str(path),
            )
        check_string(system, "system name (from the file name)", str(path))
        entries.append((SCISSION_TIERS.index(tier), system, path))
        total += path.stat().st_size
        if len(entries) > MAX_BENCHMARK_FILES or total > MAX_BENCHMARK_FOLDER_BYTES:
            raise InvalidInstanceError(
                f"more than {MAX_BENCHMARK_FILES} benchmark files or {MAX_BENCHMARK_FOLDER_BYTES / MIB:g} MiB "
                "in one folder",
                str(folder),
            )
    entries.sort()
    seen: dict[str, Path] = {}
    for _, system, path in entries:
        if system in seen:
            raise InvalidInstanceError(
                f"system name {quote(system)} also used by {seen[system].name}; the network CSV could not tell "
                "them apart",
                str(path),
            )
        seen[system] = path
    if not any(t == 0 for t, _, _ in entries):
        raise InvalidInstanceError("no device-<system>.dat file: the raw input has nowhere to be born", str(folder))
    return [BenchmarkFile(SCISSION_TIERS[t], system, path, load_benchmark_file(path)) for t, system, path in entries]


def scission_instance(
    folder: str | Path,
    network_csv: str | Path,
    model: str,
    *,
    input_mb: float = DEFAULT_INPUT_MB,
    partial_network: bool = False,
) -> Instance:
    """The partitioning problem a Scission query poses, without its criteria.

    Parameters
    ----------
    folder
        Folder of Scission benchmark files ``<tier>-<system>.dat``.
    network_csv
        Scission network CSV; rows naming systems absent from ``folder`` are ignored.
    model
        Model name as in the benchmark files, e.g. ``vgg19``.
    input_mb
        Raw input size in MB (10^6 bytes), Scission's ``-i``.
    partial_network
        Let a missing CSV row mean "these two systems cannot be consecutive".
        By default every forward pair between tiers (device -> edge, device ->
        cloud, edge -> cloud) must have a row, as Scission needs, and a missing
        one is an error naming the file and the pair.

    Raises
    ------
    InvalidInstanceError
        For any problem with the files, naming the file.
    """
    if not input_mb >= 0:
        raise InvalidInstanceError(f"input size must be >= 0 MB, got {input_mb}", "-i")
    files = load_benchmarks(folder)
    blocks = _blocks(files, model)
    links = load_network(network_csv)
    names = {f.system for f in files}
    csv_name = str(network_csv)
    if not partial_network:
        needed = [
            (a.system, b.system)
            for a in files
            for b in files
            if SCISSION_TIERS.index(a.tier) < SCISSION_TIERS.index(b.tier)
        ]
        missing = missing_pairs(links, needed)
        if missing:
            src, dst = missing[0]
            more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
            raise InvalidInstanceError(f"no row for the link {src} -> {dst}{more}", csv_name)
    links = tuple(lk for lk in links if lk.source in names and lk.destination in names)

    reference = blocks[files[0].system]
    return Instance(
        name=f"scission-{model}",
        model=model,
        input_bytes=input_mb * 1e6,
        nodes=tuple(
            Node(f"block{i}", (b.input_layer, b.output_layer), (i - 1,) if i else (), float(b.output_size), 0.0)
            for i, b in enumerate(reference)
        ),
        tiers=SCISSION_TIERS,
        systems=tuple(
            System(
                name=f.system,
                tier=f.tier,
                latency_s=tuple(b.second_prediction for b in blocks[f.system]),
                trusted=f.tier == SCISSION_TIERS[0],
                provenance=f"Scission benchmark {f.path.name}: second_prediction per block",
            )
            for f in files
        ),
        links=tuple(Link(lk.source, lk.destination, lk.latency_ms, lk.bandwidth_mbps) for lk in links),
        provenance=(
            f"converted from Scission benchmark files in {Path(folder)} and network {Path(network_csv).name}; "
            f"raw input {input_mb:g} MB; param_bytes are 0 because Scission does not record parameter sizes"
        ),
        source=f"{folder} ({model})",
    )


def _blocks(files: list[BenchmarkFile], model: str) -> dict[str, tuple[LayerBenchmark, ...]]:
    """Per system, the model's blocks; every file must hold the model with the same block layout."""
    out: dict[str, tuple[LayerBenchmark, ...]] = {}
    reference: BenchmarkFile | None = None
    for f in files:
        if model not in f.models:
            raise InvalidInstanceError(
                f"no benchmark for model {quote(model)} (models in this file: {_names(f.models)})",
                str(f.path),
            )
        blocks = f.models[model]
        if not blocks:
            raise InvalidInstanceError(f"model {quote(model)} has no blocks", str(f.path))
        if reference is None:
            reference = f
        else:
            ref = reference.models[model]
            layout = [(b.input_layer, b.output_layer) for b in blocks]
            ref_layout = [(b.input_layer, b.output_layer) for b in ref]
            if layout != ref_layout:
                raise InvalidInstanceError(
                    f"model {quote(model)} is split into different blocks than in {reference.path.name} "
                    f"({len(layout)} vs {len(ref_layout)} blocks); "
                    "benchmark every machine with the same Scission version",
                    str(f.path),
                )
        out[f.system] = blocks
    return out


def _names(models: Mapping[str, object]) -> str:
    """The model names of a file, bounded and escaped for a message."""
    return ", ".join(quote(m)[1:-1] for m in sorted(models)) or "none"
