"""Memory and time each solver needs at 1,000 / 5,000 / 100,000 nodes, through the command line.

Cases: ``generate --nodes N --tiers 6 --systems 8 --constrained`` (seed 0) for
each ``N``, written to a work folder once (the 100,000-node file is 92 MiB).
For each file, one ``validate`` run (reading alone) and one
``solve --solver S --time-limit T`` run per solver, each in a fresh Python
process (``python benchmarks/memory.py --worker ...``, which calls the CLI's
``main``), so that nothing is shared or warm. Recorded per run:

* wall time of the whole command (interpreter start and imports included), and
  of it the time ``load_instance`` took (reading and checking the file);
* peak resident set of the process tree: the worker's ``VmHWM`` plus the peak
  resident set of any process it started and waited for (the CBC binary, from
  ``RUSAGE_CHILDREN``), read with :mod:`benchmarks.measure`'s helpers. It
  includes native allocations (CP-SAT, CBC, numpy), and the interpreter and
  its imports (about 60 MB);
* the exit code and the status line or error line the command printed.

A worker past ``--hard-cap`` seconds is killed and recorded as such; each runs
under an address-space cap (``--cap-gib``, 8 by default), so a runaway
model fails with the CLI's "out of memory" line instead of exhausting a
shared machine. Results go to ``benchmarks/results/memory.md`` with the
command, date, machine and load average.

Run: ``PYTHONPATH=. python benchmarks/memory.py [--sizes 1000 5000 100000]
[--solvers dp cbc cpsat exhaustive auto] [--time-limit 30] [--work DIR]``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SIZES = (1000, 5000, 100_000)
SOLVERS = ("dp", "cbc", "cpsat", "exhaustive", "auto")
TIERS, SYSTEMS, SEED = 6, 8, 0
MB = 1e6


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}


def instance_file(work: Path, nodes: int) -> Path:
    """The generated instance for ``nodes`` (written once, through ``generate``)."""
    path = work / f"chain-n{nodes}-t{TIERS}-s{SYSTEMS}-seed{SEED}-constrained.json"
    if not path.exists():
        argv = ["generate", "-o", str(path), "--nodes", str(nodes), "--tiers", str(TIERS)]
        argv += ["--systems", str(SYSTEMS), "--seed", str(SEED), "--constrained"]
        subprocess.run([sys.executable, "-m", "scission_opt", *argv], check=True, env=_env(), capture_output=True)
    return path


# ---------------------------------------------------------------------------
# The worker: one CLI command in this fresh process, then its figures as JSON on stdout


def worker(argv: list[str]) -> int:
    """Run ``scission_opt.cli.main(argv)`` and print exit code, wall time, peak RSS and the first lines it wrote."""
    start = time.perf_counter()
    from benchmarks.measure import _maxrss_bytes, _status_kib
    from scission_opt import instance as instance_module
    from scission_opt.cli import main

    load_s: list[float] = []
    load_instance = instance_module.load_instance

    def timed_load(path: Any) -> Any:  # the CLI imports load_instance when a command runs: this is what it gets
        t0 = time.perf_counter()
        try:
            return load_instance(path)
        finally:
            load_s.append(time.perf_counter() - t0)

    instance_module.load_instance = timed_load
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    wall = time.perf_counter() - start
    own = _status_kib("VmHWM") or _maxrss_bytes(resource.RUSAGE_SELF)
    children = _maxrss_bytes(resource.RUSAGE_CHILDREN)
    lines = [line for line in (out.getvalue() + err.getvalue()).splitlines() if line.strip()]
    said = next((line for line in lines if line.startswith(("solver ", "error:"))), lines[0] if lines else "")
    record = {"exit": code, "wall_s": wall, "load_s": sum(load_s), "peak_rss_bytes": own + children, "said": said[:200]}
    print(json.dumps(record))
    return 0


def run_worker(argv: list[str], hard_cap_s: float, cap_bytes: int) -> dict[str, Any]:
    """One worker process; a dict with ``exit``, ``wall_s``, ``peak_rss_bytes``, ``said`` (or a kill note)."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap_bytes, cap_bytes))

    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", *argv]
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=hard_cap_s, env=_env(), preexec_fn=limit, check=False
        )
    except subprocess.TimeoutExpired:
        return {"exit": None, "wall_s": time.perf_counter() - start, "peak_rss_bytes": None, "said": "killed"}
    wall = time.perf_counter() - start  # the whole command: interpreter start-up included
    lines = proc.stdout.strip().splitlines()
    try:
        return {**json.loads(lines[-1]), "wall_s": wall}
    except (IndexError, ValueError):
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"exit": proc.returncode, "wall_s": wall, "peak_rss_bytes": None, "said": tail[:200]}


# ---------------------------------------------------------------------------
# The harness


def _row(nodes: int, size_mib: float, what: str, rec: dict[str, Any]) -> str:
    rss = "-" if rec["peak_rss_bytes"] is None else f"{rec['peak_rss_bytes'] / MB:,.0f}"
    said = str(rec["said"]).replace("|", "/")
    load = "-" if rec.get("load_s") is None else f"{rec['load_s']:.2f}"
    return f"| {nodes:,} | {size_mib:.1f} | {what} | {rec['exit']} | {rec['wall_s']:.1f} | {load} | {rss} | {said} |"


def _header(args: argparse.Namespace, argv: list[str]) -> list[str]:
    load = os.getloadavg()
    return [
        "# Memory and time per solver, through the command line",
        "",
        f"Command: `{' '.join(['PYTHONPATH=. python benchmarks/memory.py', *argv])}`",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}; load average at start "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min). Instances: `generate --nodes N --tiers "
        f"{TIERS} --systems {SYSTEMS} --seed {SEED} --constrained`; solves with `--time-limit {args.time_limit:g}`; "
        f"each run in a fresh process capped at {args.cap_gib:g} GiB of address space and {args.hard_cap:g} s.",
        "",
        "Wall time is the whole command (start-up, imports, reading the file, solving, printing), and of it the "
        "time `load_instance` took; peak RSS is the "
        "process tree's peak resident set (the worker's VmHWM plus the CBC binary's), native allocations included. "
        "Exit codes: 0 a plan, 1 no plan (infeasible or out of time), 2 refused input or options, 3 out of memory.",
        "",
        "| nodes | file MiB | command | exit | wall s | of it reading the file, s | peak RSS MB | what it said |",
        "|---|---|---|---|---|---|---|---|",
    ]


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--worker"]:
        return worker(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--solvers", nargs="+", default=list(SOLVERS))
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--hard-cap", type=float, default=300.0, help="seconds after which a run is killed")
    parser.add_argument("--cap-gib", type=float, default=8.0, help="address-space cap of each run")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "scission-opt-memory")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "memory.md")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    cap = int(args.cap_gib * 2**30)
    lines = _header(args, argv)
    for nodes in args.sizes:
        path = instance_file(args.work, nodes)
        size_mib = path.stat().st_size / 2**20
        runs = [("validate", ["validate", str(path)])]
        runs += [
            (f"solve --solver {s}", ["solve", str(path), "--solver", s, "--time-limit", f"{args.time_limit:g}"])
            for s in args.solvers
        ]
        for what, cli_argv in runs:
            rec = run_worker(cli_argv, args.hard_cap, cap)
            rec["said"] = str(rec["said"]).replace(str(path), path.name).split(", tiers ")[0]
            lines.append(_row(nodes, size_mib, what, rec))
            print(lines[-1], flush=True)
    load = os.getloadavg()
    lines += ["", f"Load average at the end: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}.", ""]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
