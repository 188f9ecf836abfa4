"""This host as a machine: memory, copy bandwidth, nominal FP32 peak, how busy its CPU is, profiling it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from scission_opt.profiler.estimate import Spec

#: Per tier and model, the fraction of the CPU other processes kept busy just before the model was profiled.
BUSY_FILE = "cpu-busy.json"


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
    return Spec(
        name=f"host-spec-{threads}t",
        tier="edge",
        peak_flops=threads * mhz * 1e6 * per_cycle,
        memory_bandwidth=bandwidth,
        fixed_s=fixed_s,
        source=(
            f"this host's nominal peak: {threads} core(s) x {mhz:.0f} MHz (/proc/cpuinfo) x {per_cycle} FP32 "
            "FLOP/cycle "
            f"(two FMA units assumed, {'AVX-512' if per_cycle == 64 else 'AVX2' if per_cycle == 32 else 'scalar'}); "
            "memory bandwidth measured by a 256 MiB NumPy copy; fixed cost = the fitted segment cost"
        ),
    )


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
    """Wait until the CPU is at most ``max_busy`` busy, or ``timeout_s`` passed; returns the last reading."""
    deadline = time.monotonic() + timeout_s
    busy = cpu_busy()
    while busy > max_busy and time.monotonic() < deadline:
        busy = cpu_busy(2.0)
    return busy


def read_busy(path: Path) -> dict[str, dict[str, float]]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def run_profile(
    models: Sequence[str], path: Path, system: str, tier: str, threads: int, repeats: int, note: str
) -> None:
    """Profile ``models`` in a fresh process (TensorFlow fixes its thread pools per process)."""
    cmd = [
        sys.executable, "-m", "scission_opt", "profile", *models,
        "--system", system, "--tier", tier, "--threads", str(threads), "--repeats", str(repeats),
        "--resume", "-o", str(path), "--note", note,
    ]  # fmt: skip
    print("$ " + " ".join(cmd[1:]), flush=True)
    subprocess.run(cmd, check=True)
