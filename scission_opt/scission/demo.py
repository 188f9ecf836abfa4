"""A small made-up Scission benchmark folder and network CSV, for examples and documentation.

``python -m scission_opt.scission.demo DIR`` writes ``DIR/benchmarks/*.dat`` and
``DIR/network.csv`` in Scission's formats for an invented 27-layer model
``demo27``. The numbers are invented (they are not Scission's published data)
but shaped like real measurements: the device is 10x slower than the edge,
tensors shrink along the model, and two edge blocks were "measured" at 0 s, as
timer resolution produces on fast machines. The files pickle their records as
``__main__.LayerBenchmark``, exactly as Scission's benchmark script does.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

from ..io import write_bytes_atomic, write_text_atomic

MODEL = "demo27"

#: (first layer, last layer, output bytes) per block.
BLOCKS = (
    (0, 3, 3_211_392),
    (4, 6, 1_605_760),
    (7, 10, 802_944),
    (11, 14, 802_944),
    (15, 18, 401_536),
    (19, 22, 100_480),
    (23, 24, 16_512),
    (25, 26, 4_128),
)

#: Seconds per block, per ``<tier>-<system>`` file stem.
TIMES = {
    "device-phone": (0.90, 1.10, 1.00, 1.20, 0.80, 0.50, 0.30, 0.02),
    "edge-nuc": (0.09, 0.11, 0.10, 0.12, 0.0, 0.0, 0.03, 0.002),
    "edge-vm4core": (0.20, 0.25, 0.22, 0.26, 0.17, 0.10, 0.06, 0.004),
    "cloud-server(GPU)": (0.010, 0.012, 0.011, 0.013, 0.004, 0.006, 0.004, 0.0),
}

NETWORK = """source,destination,ping(ms),bandwidth(mbps)
phone,nuc,               5,   50
phone,vm4core,          20,   20
phone,server(GPU),      60,    2
nuc,server(GPU),        30,  100
vm4core,server(GPU),    30,  100
"""


def _record_class() -> type:
    cls = type("LayerBenchmark", (), {"__doc__": "Stand-in with Scission's record name; plain attributes only."})
    cls.__module__ = "__main__"
    cls.__qualname__ = "LayerBenchmark"
    return cls


def benchmark_bytes(model: str, blocks: tuple[tuple[int, int, int], ...], seconds: tuple[float, ...]) -> bytes:
    """One machine's file content: ``{model: [LayerBenchmark, ...]}`` pickled with protocol 3."""
    cls = _record_class()
    records = []
    for (first, last, size), t in zip(blocks, seconds):
        r = cls()
        r.model, r.device = model, ""
        r.input_layer, r.output_layer = first, last
        r.second_prediction, r.output_size = float(t), int(size)
        records.append(r)
    # pickle records a class by module and name and checks it can be found there.
    main = sys.modules["__main__"]
    saved = main.__dict__.get("LayerBenchmark", _MISSING)
    main.LayerBenchmark = cls  # type: ignore[attr-defined]
    try:
        return pickle.dumps({model: records}, protocol=3)
    finally:
        if saved is _MISSING:
            del main.LayerBenchmark
        else:
            main.LayerBenchmark = saved  # type: ignore[attr-defined]


_MISSING = object()


def write_demo(folder: str | Path) -> tuple[Path, Path]:
    """Write ``folder/benchmarks/<tier>-<system>.dat`` and ``folder/network.csv``; returns both paths."""
    folder = Path(folder)
    bench = folder / "benchmarks"
    for stem, seconds in TIMES.items():
        write_bytes_atomic(bench / f"{stem}.dat", benchmark_bytes(MODEL, BLOCKS, seconds))
    csv = folder / "network.csv"
    write_text_atomic(csv, NETWORK)
    return bench, csv


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m scission_opt.scission.demo DIR", file=sys.stderr)
        return 2
    bench, csv = write_demo(args[0])
    print(f"wrote {bench} ({len(TIMES)} machines, model {MODEL}) and {csv}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
