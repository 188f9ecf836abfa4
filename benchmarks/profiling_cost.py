"""What profiling a model costs, next to the goal: profile - build <= 3 x (whole-model latency x repeats).

Usage (from a clone of the repository)::

    python benchmarks/profiling_cost.py                       # this checkout, TensorFlow and JAX backends
    python benchmarks/profiling_cost.py --variant before=../old-checkout --variant after=.
    python benchmarks/profiling_cost.py --models mobilenet_v2 resnet50 --backends tensorflow

Each (model, variant, backend) is profiled by ``python -m scission_opt profile`` in a fresh process (the
variant's folder first on ``PYTHONPATH``), and the profile file's own figures are used: ``build_s`` (build
the model), ``trace_s`` (sub-models, compilation, FLOP counts, first calls) and ``profile_s`` (all of it).
The ratio is ``(profile_s - build_s) / (whole median x repeats)``; the goal is <= 3. Runs are interleaved
model by model, so that the variants see the same load. The results file records the load average: on a
shared machine absolute times mean little; the ratios divide by a whole-model time measured under the same
load.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / "results" / "profiling_cost.md"
MODELS = ("mobilenet_v2", "resnet50", "densenet121", "inception_v3", "nasnet_mobile", "xception")
GOAL = 3.0


def profile_once(model: str, code: str, backend: str, repeats: int, tmp: Path) -> dict[str, float | int | str]:
    """Profile ``model`` with the checkout at ``code`` on ``backend``; the figures of its profile file."""
    out = tmp / f"{model}-{backend}-{abs(hash(code))}.json"
    cmd = [
        sys.executable,
        "-m",
        "scission_opt",
        "profile",
        model,
        "--system",
        "bench",
        "--tier",
        "edge",
        "--repeats",
        str(repeats),
        "--no-progress",
        "-o",
        str(out),
    ]
    if backend != "tensorflow":  # older checkouts have no --backend and run TensorFlow only
        cmd += ["--backend", backend]
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    env.update(PYTHONPATH=str(Path(code).resolve()), TF_CPP_MIN_LOG_LEVEL="2", JAX_PLATFORMS="cpu")
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp, timeout=1800, check=False)
    if done.returncode != 0:
        raise SystemExit(f"error: {' '.join(cmd)}: {done.stderr.strip().splitlines()[-1:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    m = json.loads(out.read_text())["models"][model]
    timed = m["whole"]["median_s"] * m["whole"]["repeats"]
    return {
        "blocks": len(m["blocks"]),
        "build_s": m["build_s"],
        "trace_s": m["trace_s"],
        "profile_s": m["profile_s"],
        "whole_x_repeats_s": timed,
        "ratio": (m["profile_s"] - m["build_s"]) / timed,
        "timing_only": (m["profile_s"] - m["build_s"] - m["trace_s"]) / timed,
        "load": load,
        "cpu_s": cpu,
    }


def report(rows: list[dict[str, object]], argv: Sequence[str]) -> str:
    """The results file: one row per run, then the median ratio per (variant, backend)."""
    lines = [
        "# Profiling cost",
        "",
        f"Written by `python benchmarks/profiling_cost.py {' '.join(argv)}` "
        f"on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{os.cpu_count()} cores (a shared VM: `load` is the 1-minute load average when the run started).",
        "",
        f"Goal: (profile - build) / (whole x repeats) <= {GOAL:g}. `timing only` leaves out `trace` (sub-models, "
        "compilation, FLOP counts, first calls): what the warm-up and timed runs alone cost. `process CPU s` is "
        "the CPU time of the whole profile process (imports and build included): the work done, which other "
        "processes on a loaded machine change less than wall times.",
        "",
        "| model | variant | backend | blocks | load | build s | trace s | profile s | whole x repeats s "
        "| (profile - build) / (whole x repeats) | timing only | goal met | process CPU s |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['variant']} | {r['backend']} | {r['blocks']} | {r['load']:.1f} | {r['build_s']:.2f} "
            f"| {r['trace_s']:.2f} | {r['profile_s']:.2f} | {r['whole_x_repeats_s']:.2f} | {r['ratio']:.1f} "
            f"| {r['timing_only']:.1f} | {'yes' if float(r['ratio']) <= GOAL else 'no'} "  # type: ignore[arg-type]
            f"| {r['cpu_s']:.1f} |"
        )
    lines += [
        "",
        "| variant | backend | models | median (profile - build) / (whole x repeats) | median timing only "
        "| median build s | goal met | median process CPU s |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    groups: dict[tuple[str, str], list[dict[str, object]]] = {}
    for r in rows:
        groups.setdefault((str(r["variant"]), str(r["backend"])), []).append(r)
    for (variant, backend), rs in groups.items():
        med = statistics.median(float(r["ratio"]) for r in rs)  # type: ignore[arg-type]
        timing = statistics.median(float(r["timing_only"]) for r in rs)  # type: ignore[arg-type]
        build = statistics.median(float(r["build_s"]) for r in rs)  # type: ignore[arg-type]
        met = sum(float(r["ratio"]) <= GOAL for r in rs)  # type: ignore[arg-type]
        cpu = statistics.median(float(r.get("cpu_s", float("nan"))) for r in rs)  # type: ignore[arg-type]
        lines.append(
            f"| {variant} | {backend} | {len(rs)} | {med:.1f} | {timing:.1f} | {build:.2f} | {met} of {len(rs)} "
            f"| {cpu:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(prog="python benchmarks/profiling_cost.py", description=__doc__.split("\n")[0])
    p.add_argument("--models", nargs="+", default=list(MODELS), metavar="MODEL")
    p.add_argument("--backends", nargs="+", default=["tensorflow", "jax"], metavar="BACKEND")
    p.add_argument(
        "--variant",
        action="append",
        default=None,
        metavar="LABEL=DIR",
        help="a checkout to measure (repeatable; default: this one, as 'current')",
    )
    p.add_argument(
        "--before-backends",
        nargs="+",
        default=["tensorflow"],
        metavar="BACKEND",
        help="backends for variants other than the last (older checkouts know TensorFlow only)",
    )
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("-o", "--output", type=Path, default=OUT)
    args = p.parse_args(argv)
    variants = [tuple(v.split("=", 1)) for v in (args.variant or [f"current={REPO}"])]
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models:
            for i, (label, code) in enumerate(variants):
                backends = args.backends if i == len(variants) - 1 else args.before_backends
                for backend in backends:
                    r = profile_once(model, code, backend, args.repeats, Path(tmp))
                    rows.append({"model": model, "variant": label, "backend": backend, **r})
                    print(
                        f"{model} {label} {backend}: ratio {r['ratio']:.1f} (timing only {r['timing_only']:.1f}), "
                        f"build {r['build_s']:.1f} s, load {r['load']:.1f}",
                        flush=True,
                    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report(rows, argv))
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
