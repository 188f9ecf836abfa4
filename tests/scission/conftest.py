"""Small Scission benchmark folders built by the tests themselves (no Scission data is copied).

The ``tiny`` model has four blocks (Keras layers 0-2, 3-5, 6-8, 9-12); the
numbers are chosen so that results can be checked by hand:

=========  =====  =====  =====  =====
block      0-2    3-5    6-8    9-12
=========  =====  =====  =====  =====
pi         1.0    2.0    2.0    1.0     (device, seconds)
e1         0.2    0.4    0.4    0.2     (edge)
e2         0.1    0.2    0.2    0.1     (edge)
gpu(1)     0.05   0.1    0.1    0.05    (cloud)
output     1.0    0.5    0.25   0.004   (MB)
=========  =====  =====  =====  =====

Network (ping ms, Mbps; 1 Mbps = 125,000 bytes/s): pi->e1 10 ms 8 Mbps (1 MB/s),
pi->e2 20 ms 4 Mbps (0.5 MB/s), pi->gpu(1) 100 ms 2 Mbps (0.25 MB/s),
e1->gpu(1) 50 ms 80 Mbps (10 MB/s), e2->gpu(1) 50 ms 16 Mbps (2 MB/s).
Raw input 0.15 MB.
"""

from __future__ import annotations

import pickle
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

LAYERS = [(0, 2), (3, 5), (6, 8), (9, 12)]
OUTPUT = [1_000_000, 500_000, 250_000, 4_000]
TIMES = {
    "device-pi": [1.0, 2.0, 2.0, 1.0],
    "edge-e1": [0.2, 0.4, 0.4, 0.2],
    "edge-e2": [0.1, 0.2, 0.2, 0.1],
    "cloud-gpu(1)": [0.05, 0.1, 0.1, 0.05],
}
NETWORK = """source,destination,ping(ms),bandwidth(mbps)
pi,e1,          10,   8
pi,e2,          20,   4
pi,gpu(1),     100,   2
e1,gpu(1),      50,  80
e2,gpu(1),      50,  16
"""


def record_class() -> type:
    """A stand-in for Scission's record class that pickles as ``__main__.LayerBenchmark``."""
    cls = type("LayerBenchmark", (), {})
    cls.__module__ = "__main__"
    cls.__qualname__ = "LayerBenchmark"
    return cls


@contextmanager
def _as_main(name: str, obj: object):
    # pickle checks that the class it records can be found under that name.
    main = sys.modules["__main__"]
    had = hasattr(main, name)
    old = getattr(main, name, None)
    setattr(main, name, obj)
    try:
        yield
    finally:
        if had:
            setattr(main, name, old)
        else:
            delattr(main, name)


def dat_bytes(models: dict[str, list[tuple[int, int, float, int]]]) -> bytes:
    """Pickle (protocol 3) ``{model: [(input_layer, output_layer, seconds, output_size), ...]}`` like Scission."""
    cls = record_class()
    data = {}
    for model, blocks in models.items():
        records = []
        for first, last, seconds, size in blocks:
            r = cls()
            r.model, r.device = model, ""
            r.input_layer, r.output_layer = first, last
            r.second_prediction, r.output_size = seconds, size
            records.append(r)
        data[model] = records
    with _as_main("LayerBenchmark", cls):
        return pickle.dumps(data, protocol=3)


def write_dat(path: Path, models: dict[str, list[tuple[int, int, float, int]]]) -> Path:
    path.write_bytes(dat_bytes(models))
    return path


def tiny_blocks(times: list[float]) -> list[tuple[int, int, float, int]]:
    return [(a, b, s, size) for (a, b), s, size in zip(LAYERS, times, OUTPUT)]


def make_bench(folder: Path, times: dict[str, list[float]] | None = None, network: str = NETWORK) -> tuple[Path, Path]:
    """Write a benchmark folder and a network CSV; returns ``(folder, csv)``."""
    folder.mkdir(parents=True, exist_ok=True)
    for stem, values in (times or TIMES).items():
        write_dat(folder / f"{stem}.dat", {"tiny": tiny_blocks(values), "other": [(0, 4, 0.5, 10)]})
    csv = folder.parent / f"{folder.name}-network.csv"
    csv.write_text(network)
    return folder, csv


@pytest.fixture
def bench(tmp_path: Path) -> tuple[Path, Path]:
    return make_bench(tmp_path / "bench")
