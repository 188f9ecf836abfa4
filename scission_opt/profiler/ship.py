"""Regenerate the instances shipped in ``instances/``: ``python -m scission_opt.profiler.ship``.

What it does, in order (every step is a library call or a ``python -m
scission_opt`` command anyone can run alone):

1. profile all 18 Keras application models (``weights=None``, published input
   sizes) on this host with 1 TensorFlow thread: the *device* system;
2. profile them again with all cores: the *edge* system (each in its own
   process, since TensorFlow fixes its thread pools per process; both resume
   an interrupted run);
3. estimate an NVIDIA T4 from its datasheet figures with the roofline model:
   the *cloud* system, marked estimated;
4. write the network (the wireless setting of the Scission paper) and the
   system properties (memory, power, price, trust, each with its source);
5. build ``instances/<model>.json`` for every model;
6. estimate this host from its own nominal figures and write the estimator's
   error and the profiling figures to ``instances/profiles/summary.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..io import write_json_atomic, write_text_atomic
from .build import build_instance_files
from .estimate import Spec, estimate_error, estimate_profile
from .measure import cpu_model
from .models import model_names
from .profile import ModelProfile, Profile, load_profile

#: The wireless network of the Scission paper (Lockhart et al., UCC 2020; /work/shared/SCISSION.md).
NETWORK_SOURCE = (
    "wireless setting of the Scission paper: Lockhart, Harvey, Imai, Willis, Varghese, "
    "'Scission: Performance-driven and Context-aware Cloud-Edge Distribution of Deep Neural Networks', "
    "IEEE/ACM UCC 2020, arXiv 2008.03523"
)
WIRELESS = (("device", "edge", 66.7, 1.6), ("device", "cloud", 100.0, 1.6), ("edge", "cloud", 20.0, 50.0))

#: Power of the device while it transmits: its idle power, a stated lower bound (see TX_POWER_NOTE).
DEVICE_TX_POWER_W = 2.7
TX_POWER_NOTE = (
    "tx_power_w on the device's links = 2.7 W, the device's idle power: an ASSUMED lower bound, not a measured "
    "Wi-Fi figure (no source for the radio's extra draw was at hand); the edge -> cloud link has no transmit power "
    "because only the first tier's energy is modelled"
)

T4_SOURCE = (
    "NVIDIA T4 Tensor Core GPU datasheet: 8.1 TFLOPS single precision (FP32), 320+ GB/s GDDR6 memory "
    "bandwidth, 16 GB GDDR6, 70 W maximum power"
)
PI4_POWER_SOURCE = (
    "Raspberry Pi 4 Model B power figures from published measurements, not measured here: "
    "J. Geerling, Raspberry Pi Dramble 'Power Consumption Benchmarks' (pidramble.com/wiki/benchmarks/power-consumption): "
    "idle 540 mA = 2.7 W, 'stress --cpu 4' 1280 mA = 6.4 W at 5 V; used as idle_w and compute_w"
)
PI4_MEMORY_SOURCE = (
    "Raspberry Pi 4 Model B, 4 GB LPDDR4 variant (Raspberry Pi 4 Model B product brief: 1, 2, 4 or 8 GB); "
    "memory_bytes = 4e9, not measured here"
)
AWS_PRICE_SOURCE = (
    "price_per_s = USD 0.526 per hour / 3600: AWS EC2 on-demand price of g4dn.xlarge (one T4, Linux, us-east-1) "
    "as published by AWS; quoted from memory of AWS's public price list, not re-checked online when this file was made"
)


def system_names(cores: int) -> dict[str, str]:
    """Names of the three shipped systems by tier."""
    return {"device": "host-1thread", "edge": f"host-{cores}threads", "cloud": "nvidia-t4-estimated"}


def host_memory_bytes() -> int | None:
    """MemTotal of this host from /proc/meminfo (bytes)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def measure_copy_bandwidth(nbytes: int = 256 * 2**20, repeats: int = 5) -> float:
    """Memory bandwidth of one core from a large NumPy copy: (read + write bytes) / best time."""
    src = np.ones(nbytes // 8, dtype=np.float64)
    dst = np.empty_like(src)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - start)
    return 2 * nbytes / best


def host_spec(threads: int, fixed_s: float, bandwidth: float) -> Spec:
    """This host's nominal figures: peak FP32 FLOP/s from its clock and vector units, measured copy bandwidth."""
    flags, mhz = "", 0.0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags") and not flags:
                flags = line
            if line.startswith("cpu MHz") and not mhz:
                mhz = float(line.split(":")[1])
    except OSError:
        pass
    # FP32 FLOPs per cycle and core with two FMA units: 2 x 2 x (16 lanes with AVX-512, 8 with AVX2).
    per_cycle = 64 if " avx512f" in flags else 32 if " fma" in flags else 8
    peak = threads * mhz * 1e6 * per_cycle
    return Spec(
        name=f"host-spec-{threads}t",
        tier="edge",
        peak_flops=peak,
        memory_bandwidth=bandwidth,
        fixed_s=fixed_s,
        source=(
            f"this host's nominal peak: {threads} core(s) x {mhz:.0f} MHz (/proc/cpuinfo) x {per_cycle} FP32 FLOP/cycle "
            f"(two FMA units assumed, {'AVX-512' if per_cycle == 64 else 'AVX2' if per_cycle == 32 else 'scalar'}); "
            f"memory bandwidth measured by a 256 MiB NumPy copy; fixed cost = median measured empty tf.function call"
        ),
    )


def _median_fixed(profile: Profile) -> float:
    return statistics.median(m.fixed_call.median_s for m in profile.models)


def cpu_busy(window_s: float = 1.0) -> float:
    """Fraction of the whole CPU busy during ``window_s`` seconds, from /proc/stat (0 if unreadable)."""

    def snapshot() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return sum(fields), idle

    try:
        total0, idle0 = snapshot()
        time.sleep(window_s)
        total1, idle1 = snapshot()
    except (OSError, ValueError, IndexError):
        return 0.0
    total = total1 - total0
    return 1.0 - (idle1 - idle0) / total if total > 0 else 0.0


def wait_for_quiet_cpu(max_busy: float, timeout_s: float) -> float:
    """Wait until the CPU is at most ``max_busy`` busy (other processes), or ``timeout_s`` passed; returns the last reading."""
    deadline = time.monotonic() + timeout_s
    busy = cpu_busy()
    while busy > max_busy and time.monotonic() < deadline:
        busy = cpu_busy(2.0)
    return busy


#: Per tier and model, the fraction of the CPU other processes kept busy just before the model was profiled.
BUSY_FILE = "cpu-busy.json"


def _read_busy(path: Path) -> dict[str, dict[str, float]]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _drop_model(path: Path, model: str) -> None:
    profile = load_profile(path)
    replace(profile, models=tuple(m for m in profile.models if m.name != model)).save(path)


def _profile(models: Sequence[str], path: Path, system: str, tier: str, threads: int, repeats: int, note: str) -> None:
    cmd = [
        sys.executable, "-m", "scission_opt", "profile", *models,
        "--system", system, "--tier", tier, "--threads", str(threads), "--repeats", str(repeats),
        "--resume", "-o", str(path), "--note", note,
    ]  # fmt: skip
    print("$ " + " ".join(cmd[1:]), flush=True)
    subprocess.run(cmd, check=True)


def _write_network(path: Path, names: dict[str, str]) -> None:
    lines = [
        f"# {NETWORK_SOURCE}; as summarised in the project's notes on Scission. Written by scission_opt.profiler.ship.",
        f"# {TX_POWER_NOTE}",
        "source,destination,ping_ms,bandwidth_mbps,tx_power_w",
    ]
    lines += [
        f"{names[a]},{names[b]},{ping},{mbps},{DEVICE_TX_POWER_W if a == 'device' else 0}"
        for a, b, ping, mbps in WIRELESS
    ]
    write_text_atomic(path, "\n".join(lines) + "\n")


def _write_systems(path: Path, names: dict[str, str], cores: int) -> None:
    memory = host_memory_bytes()
    host = f"{cpu_model()}, {cores} cores, {memory / 2**30:.1f} GiB" if memory else cpu_model()
    data = {
        "notes": [
            "System properties of the shipped instances; written by python -m scission_opt.profiler.ship.",
            f"device: latencies of this host ({host}) measured with 1 TensorFlow thread, standing in for a "
            "Raspberry Pi 4-class device; its memory and power are Raspberry Pi 4 figures from the literature.",
            "edge: the same host measured with all its cores; memory = this host's MemTotal; power not given "
            "(only the first tier's energy is modelled).",
            "cloud: an NVIDIA T4 whose latencies are estimated with the roofline model from its datasheet.",
            f"Network (network.csv): {NETWORK_SOURCE}. {TX_POWER_NOTE}.",
        ],
        "systems": {
            names["device"]: {
                "memory_bytes": 4e9,
                "compute_w": 6.4,
                "idle_w": 2.7,
                "trusted": True,
                "provenance": f"{PI4_MEMORY_SOURCE}; {PI4_POWER_SOURCE}; trusted: the user's own device",
            },
            names["edge"]: {
                **({"memory_bytes": float(memory)} if memory else {}),
                "trusted": True,
                "provenance": "memory_bytes: MemTotal of this host from /proc/meminfo (measured); "
                "trusted: assumed an edge server the user controls; power not given",
            },
            names["cloud"]: {
                "memory_bytes": 16e9,
                "compute_w": 70.0,
                "price_per_s": 0.526 / 3600,
                "trusted": False,
                "provenance": f"memory_bytes and compute_w (maximum board power) from the {T4_SOURCE}; "
                f"{AWS_PRICE_SOURCE}; trusted: false (a public cloud)",
            },
        },
    }
    write_json_atomic(path, data)


def _instance_provenance(model: str, names: dict[str, str], cores: int, repeats: int) -> str:
    return (
        f"Shipped scission_opt instance for {model}, regenerated by 'python -m scission_opt.profiler.ship'. "
        f"Model: keras.applications with weights=None at its published input size, batch 1; blocks between "
        f"single-tensor split points; input_bytes = the raw float32 input tensor. "
        f"device ({names['device']}): this host ({cpu_model()}) measured with 1 TensorFlow thread, median of "
        f"{repeats} runs per block; memory and power are Raspberry Pi 4 literature figures (see the system's provenance). "
        f"edge ({names['edge']}): the same host measured with {cores} threads. "
        f"cloud ({names['cloud']}): NVIDIA T4 latencies ESTIMATED with the roofline model from datasheet peaks "
        f"(optimistic: nominal peaks), not measured. "
        f"Links: {NETWORK_SOURCE}: device->edge 66.7 ms / 1.6 Mbps, device->cloud 100 ms / 1.6 Mbps, "
        f"edge->cloud 20 ms / 50 Mbps; {TX_POWER_NOTE}."
    )


def _in_registry_order(models: Sequence[ModelProfile]) -> list[ModelProfile]:
    order = {name: i for i, name in enumerate(model_names())}
    return sorted(models, key=lambda m: (order.get(m.name, len(order)), m.name))


def _summary(
    device: Profile, edge: Profile, cloud: Profile, host_errors: list[tuple[str, Spec, list]], busy: dict
) -> str:
    repeats = device.provenance.repeats
    out = [
        "# Figures of the shipped profiles",
        "",
        f"Written by `python -m scission_opt.profiler.ship`. Host: {device.provenance.cpu}, "
        f"{device.provenance.cores} cores; TensorFlow {device.provenance.tensorflow}; {repeats} timed runs per block.",
        f"Device profile started {device.provenance.date}; edge profile started {edge.provenance.date}.",
        "",
        "## Blocks, latency and cost of cutting",
        "",
        "`ratio` = sum of block latencies / whole-model latency; `fixed` = an empty tf.function call; "
        "`diff` = largest |whole output - chained blocks output|.",
        "",
        "| model | blocks | whole 1t ms | whole 2t ms | sum 2t ms | ratio 2t | ratio 1t | fixed ms | diff | T4 est. whole ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for d in _in_registry_order(device.models):
        e, c = edge.model(d.name), cloud.model(d.name)
        if e is None or c is None:
            continue
        out.append(
            f"| {d.name} | {len(d.blocks)} | {d.whole.median_s * 1e3:.1f} | {e.whole.median_s * 1e3:.1f} | "
            f"{e.sum_of_blocks_s * 1e3:.1f} | {e.ratio:.2f} | {d.ratio:.2f} | {e.fixed_call.median_s * 1e3:.3f} | "
            f"{max(d.max_chain_diff or 0, e.max_chain_diff or 0):.2g} | {c.whole.median_s * 1e3:.2f} |"
        )
    out += [
        "",
        "## Profiling overhead",
        "",
        "Wall time to profile one model (build, split, trace every block, count FLOPs, warm up, time every block "
        "and the whole model) next to the whole-model latency x repeats. Goal: profiling <= 3 x (whole x repeats) "
        "+ build time. `trace` is the time to make the blocks' sub-models and tf.functions, count their FLOPs and make "
        "each block's first call (which optimises its graph); what remains is the warm-up and timed runs.",
        "",
        "`CPU busy` is the share of the CPU other processes used just before the model was profiled "
        "(the host is shared; blank: not recorded).",
        "",
        "| model | system | CPU busy | profile s | build s | trace s | whole x repeats s "
        "| (profile - build) / (whole x repeats) | (profile - build - trace) / (whole x repeats) | goal met |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for p in (device, edge):
        for m in _in_registry_order(p.models):
            b = busy.get(p.tier, {}).get(m.name)
            b_text = f"{b:.0%}" if b is not None else ""
            timed = m.whole.median_s * m.whole.repeats
            over = (m.profile_s - m.build_s) / timed if timed else float("nan")
            loop = (m.profile_s - m.build_s - m.trace_s) / timed if timed else float("nan")
            met = "yes" if m.profile_s <= 3 * timed + m.build_s else "no"
            out.append(
                f"| {m.name} | {p.system} | {b_text} | {m.profile_s:.1f} | {m.build_s:.2f} | {m.trace_s:.2f} | {timed:.2f} | "
                f"{over:.1f} | {loop:.1f} | {met} |"
            )
    out += [
        "",
        "## Roofline estimator against measurement",
        "",
        "This host estimated from its own nominal figures, compared with its measured profile. "
        "Ratios are estimated / measured; `|log2|` 1.0 means a factor 2 off.",
        "",
    ]
    for label, spec, rows in host_errors:
        out += [f"**{label}**: {spec.describe()}", ""]
        out += [
            "| model | blocks | median block ratio | median abs log2 | sum ratio | whole ratio |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for r in rows:
            out.append(
                f"| {r.model} | {r.blocks} | {r.median_block_ratio:.2f} | {r.median_abs_log2_error:.2f} | "
                f"{r.sum_ratio:.2f} | {r.whole_ratio:.2f} |"
            )
        if rows:
            out.append(
                f"| **median** | | {statistics.median(r.median_block_ratio for r in rows):.2f} | "
                f"{statistics.median(r.median_abs_log2_error for r in rows):.2f} | "
                f"{statistics.median(r.sum_ratio for r in rows):.2f} | {statistics.median(r.whole_ratio for r in rows):.2f} |"
            )
        out.append("")
    return "\n".join(out) + "\n"


def ship(
    out: str | Path = "instances",
    *,
    models: Sequence[str] | None = None,
    repeats: int = 10,
    fresh: bool = False,
    skip_profiling: bool = False,
    max_busy: float = 0.3,
    quiet_timeout_s: float = 120.0,
    remeasure_above: float | None = None,
    tiers: Sequence[str] = ("device", "edge"),
) -> list[Path]:
    """Regenerate the shipped profiles, network, system properties, instances and summary.

    Parameters
    ----------
    out
        The folder to write (``instances``).
    models
        Models to include (default: all 18).
    repeats
        Timed runs per block.
    fresh
        Delete the measured profiles first instead of resuming them.
    skip_profiling
        Reuse the measured profiles as they are (only estimate and build).
    max_busy, quiet_timeout_s
        Before each model, wait up to ``quiet_timeout_s`` seconds for the CPU
        to be at most ``max_busy`` busy, so other processes disturb the
        timings less.
    remeasure_above
        Profile again the models that were profiled while the CPU was more
        than this busy (readings kept in ``profiles/cpu-busy.json``).
    tiers
        The measured tiers to profile in this run (the others are reused).

    Returns
    -------
    The instance files written.
    """
    out = Path(out)
    prof_dir = out / "profiles"
    prof_dir.mkdir(parents=True, exist_ok=True)
    models = list(models or model_names())
    cores = os.cpu_count() or 1
    names = system_names(cores)
    paths = {tier: prof_dir / f"{tier}-{name}.json" for tier, name in names.items()}

    if not skip_profiling:
        if fresh:
            for tier in ("device", "edge"):
                paths[tier].unlink(missing_ok=True)
        note = (
            f"each model profiled in its own process after waiting a while (--quiet-timeout) for the CPU to be at "
            f"most {max_busy:.0%} busy; the share other processes used before each model is in {BUSY_FILE}"
        )
        busy_path = prof_dir / BUSY_FILE
        busy_log = _read_busy(busy_path) if not fresh else {}
        for tier, threads in (("device", 1), ("edge", cores)):
            if tier not in tiers:
                continue
            for model in models:
                seen = busy_log.get(tier, {}).get(model)
                if paths[tier].exists() and load_profile(paths[tier]).model(model) is not None:
                    if remeasure_above is None or seen is None or seen <= remeasure_above:
                        continue
                    _drop_model(paths[tier], model)
                busy = wait_for_quiet_cpu(max_busy, quiet_timeout_s)
                print(f"CPU {busy:.0%} busy before {model} ({tier})", flush=True)
                _profile([model], paths[tier], names[tier], tier, threads, repeats, note)
                busy_log.setdefault(tier, {})[model] = round(busy, 3)
                write_json_atomic(busy_path, busy_log)

    device, edge = load_profile(paths["device"]), load_profile(paths["edge"])
    t4 = Spec(
        name=names["cloud"],
        tier="cloud",
        peak_flops=8.1e12,
        memory_bandwidth=320e9,
        fixed_s=_median_fixed(edge),
        source=f"{T4_SOURCE}; fixed cost per block = the median empty tf.function call measured on this host "
        "(host-side dispatch; GPU kernel launch latency is not modelled)",
    )
    write_json_atomic(out / "specs" / "nvidia-t4.json", {k: getattr(t4, k) for k in Spec.__dataclass_fields__})
    cloud = estimate_profile(edge, t4)
    cloud.save(paths["cloud"])

    network = out / "network.csv"
    systems = out / "systems.json"
    _write_network(network, names)
    _write_systems(systems, names, cores)

    written = []
    for model in models:
        if device.model(model) is None or edge.model(model) is None:
            print(f"skipping {model}: not in both measured profiles", file=sys.stderr)
            continue
        path = out / f"{model}.json"
        build_instance_files(
            model,
            [paths["device"], paths["edge"], paths["cloud"]],
            network,
            path,
            systems_path=systems,
            provenance=_instance_provenance(model, names, cores, repeats),
        )
        written.append(path)
        print(f"wrote {path}")

    bandwidth = measure_copy_bandwidth()
    host_errors = []
    for label, measured, threads in (("1 thread (device profile)", device, 1), (f"{cores} threads (edge profile)", edge, cores)):
        spec = host_spec(threads, _median_fixed(measured), bandwidth)
        write_json_atomic(out / "specs" / f"{spec.name}.json", {k: getattr(spec, k) for k in Spec.__dataclass_fields__})
        rows = estimate_error(measured, estimate_profile(measured, spec))
        order = {name: i for i, name in enumerate(model_names())}
        host_errors.append((label, spec, sorted(rows, key=lambda r: order.get(r.model, len(order)))))
    summary = prof_dir / "summary.md"
    write_text_atomic(summary, _summary(device, edge, cloud, host_errors, _read_busy(prof_dir / BUSY_FILE)))
    print(f"wrote {summary}")
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scission_opt.profiler.ship", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("-o", "--out", default="instances", help="folder to write (default: instances)")
    parser.add_argument("--models", nargs="+", default=None, help="only these models (default: all 18)")
    parser.add_argument("--repeats", type=int, default=10, help="timed runs per block (default 10)")
    parser.add_argument("--fresh", action="store_true", help="re-measure from scratch instead of resuming")
    parser.add_argument("--skip-profiling", action="store_true", help="reuse the measured profiles")
    parser.add_argument("--max-busy", type=float, default=0.3, help="wait for the CPU to be at most this busy (0.3)")
    parser.add_argument("--quiet-timeout", type=float, default=120.0, help="but wait at most this many seconds (120)")
    parser.add_argument(
        "--remeasure-above", type=float, default=None, metavar="BUSY",
        help="profile again the models measured while the CPU was more than BUSY busy (e.g. 0.3)",
    )
    parser.add_argument(
        "--tiers", nargs="+", choices=("device", "edge"), default=("device", "edge"),
        help="measured tiers to profile in this run (default both)",
    )
    args = parser.parse_args(argv)
    ship(
        args.out,
        models=args.models,
        repeats=args.repeats,
        fresh=args.fresh,
        skip_profiling=args.skip_profiling,
        max_busy=args.max_busy,
        quiet_timeout_s=args.quiet_timeout,
        remeasure_above=args.remeasure_above,
        tiers=args.tiers,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
