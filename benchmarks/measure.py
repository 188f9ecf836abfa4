"""Timing and peak memory of one (case, solver) run, in a worker process with a hard cap.

Each run is timed in process with ``time.perf_counter`` around
``solver.solve(instance, objective, top_k=..., time_limit=...)``: model
building and the evaluator's re-scoring are included, instance building is
not. Each solver solves a 10-node instance once per worker process before its
first timed run, so that importing its library (OR-Tools, PuLP) is not timed;
otherwise nothing is warmed up: the first call of every run is timed too, fast
runs are repeated and the median is reported.

Peak memory comes from one extra, untimed call in a fork of the worker
(:func:`memory_probe`), skipped when the first timed call took longer than
``Settings.memory_probe_max_s``:

* ``peak_rss_bytes``: how far the resident set grew during the call (the
  fork's ``VmHWM`` minus its ``VmRSS`` before the call, after returning freed
  heap memory to the system), plus the peak resident set of any process the
  solver started (the CBC binary, from ``RUSAGE_CHILDREN``). It includes
  memory that native libraries (CP-SAT, numpy, CBC) allocate themselves.
* ``peak_mem_bytes``: the ``tracemalloc`` peak of a second call: Python
  allocations only (numpy arrays included), not native memory.

Runs happen in a worker process so that a run that overstays its cap (a MIP
model too large to build, say) can be killed without losing the harness; the
worker is restarted and the run is recorded as ``killed``.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import signal
import statistics
import sys
import time
import traceback
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from .families import Case, build, describe

if TYPE_CHECKING:
    from scission_opt.instance import Instance

#: Solvers in the order they run on each case: the reference first.
SOLVERS = ("exhaustive", "dp", "cpsat", "cbc", "scission_baseline")
#: Solvers that enumerate, and are skipped above a scenario count.
ENUMERATORS = ("exhaustive", "scission_baseline")
#: Address-space limit of the worker, so that a runaway model fails with MemoryError
#: instead of exhausting a shared machine.
WORKER_MEMORY_LIMIT_BYTES = 12 * 2**30


@dataclass(frozen=True)
class Settings:
    """Caps and repeat policy of a benchmark run."""

    time_cap_s: float = 60.0  # time_limit passed to every solver
    hard_cap_s: float = 150.0  # wall clock after which the worker is killed
    max_repeats: int = 15  # at most this many timed calls per run
    repeat_budget_s: float = 3.0  # stop repeating once this much time has been spent
    min_repeats: int = 3  # ... but repeat runs shorter than 1 s at least this often
    memory_probe_max_s: float = 5.0  # skip the memory probe when the first timed call took longer
    exhaustive_max_plans: int = 200_000_000  # skip exhaustive above this many plans
    baseline_max_scenarios: int = 1_000_000  # skip the Scission-style baseline above this many scenarios


def _get_solver(name: str) -> Any:
    if name == "scission_baseline":
        from .scission_baseline import ScissionBaseline

        return ScissionBaseline()
    from scission_opt.solvers import get_solver

    return get_solver(name)


_WARM: set[str] = set()


def _warm_up(name: str, solver: Any) -> None:
    """Solve a 10-node instance once per solver and process, so that library imports are not timed."""
    if name in _WARM:
        return
    from scission_opt.generate import generate
    from scission_opt.objectives import get_objective

    solver.solve(generate(10, 3, 1, 0), get_objective("latency"), top_k=1, time_limit=10.0)
    _WARM.add(name)


#: The memory figures of a run, None where the probe was skipped or failed.
NO_MEMORY: dict[str, float | None] = {"peak_rss_bytes": None, "peak_mem_bytes": None}


def _status_kib(field: str) -> float | None:
    """A ``VmRSS``/``VmHWM`` line of /proc/self/status in bytes; None where there is no /proc."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _maxrss_bytes(who: int) -> float:
    import resource

    # ru_maxrss is in KiB on Linux and in bytes on macOS
    return float(resource.getrusage(who).ru_maxrss) * (1 if sys.platform == "darwin" else 1024)


def _trim_heap() -> None:
    """Hand freed heap memory back to the system (glibc), so that reusing it shows as growth."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _probe_in_child(call: Callable[[], Any]) -> dict[str, float | None]:
    """Run in the fork: one call watched by RSS, one by tracemalloc."""
    import resource

    _trim_heap()
    before = _status_kib("VmRSS")
    before_max = _maxrss_bytes(resource.RUSAGE_SELF)
    call()
    peak = _status_kib("VmHWM")
    if before is None or peak is None:  # no /proc: ru_maxrss growth, a lower bound
        before, peak = before_max, _maxrss_bytes(resource.RUSAGE_SELF)
    children = _maxrss_bytes(resource.RUSAGE_CHILDREN)
    tracemalloc.start()
    try:
        call()
        traced = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return {"peak_rss_bytes": max(peak - before, 0.0) + children, "peak_mem_bytes": float(traced)}


def memory_probe(call: Callable[[], Any]) -> dict[str, float | None]:
    """Peak memory of one ``call()``: ``peak_rss_bytes`` and ``peak_mem_bytes`` (see the module docstring).

    The call runs in a fork of this process, so that native memory is seen
    and nothing it leaves behind stays. Without ``os.fork`` only the
    tracemalloc figure is taken, in process; a fork that fails gives None.
    """
    if not hasattr(os, "fork"):
        tracemalloc.start()
        try:
            call()
            return {"peak_rss_bytes": None, "peak_mem_bytes": float(tracemalloc.get_traced_memory()[1])}
        finally:
            tracemalloc.stop()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's code
        code = 0
        try:
            os.close(read)
            with os.fdopen(write, "w") as fh:
                json.dump(_probe_in_child(call), fh)
        except BaseException:  # noqa: B036 - whatever happens, the fork must end here
            code = 1
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read) as fh:
        text = fh.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or not text:
        return dict(NO_MEMORY)
    return {key: (None if value is None else float(value)) for key, value in json.loads(text).items()}


def measure(call: Callable[[], Any], settings: Settings) -> tuple[Any, list[float], dict[str, float | None]]:
    """``(last result, wall times, memory)`` of ``call()``; memory values are None when the probe is skipped."""
    times: list[float] = []
    result = None
    while True:
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
        if result.status.value not in ("optimal", "infeasible"):
            break  # stopped at its time limit: once is enough
        spent = sum(times)
        if len(times) >= settings.max_repeats:
            break
        if spent >= settings.repeat_budget_s and not (times[0] < 1.0 and len(times) < settings.min_repeats):
            break
        if spent + times[0] > settings.time_cap_s:
            break
    memory = memory_probe(call) if times[0] <= settings.memory_probe_max_s else dict(NO_MEMORY)
    return result, times, memory


def run_one(case: Case, solver_name: str, settings: Settings, instance: Instance | None = None) -> dict[str, Any]:
    """Solve one case with one solver; a result row (without agreement, which needs the reference)."""
    from scission_opt.objectives import get_objective

    if instance is None:
        instance = build(case)
    row: dict[str, Any] = {
        **asdict(case),
        **describe(case, instance),
        "solver": solver_name,
    }
    row.pop("path", None)
    row.pop("seed", None)
    if solver_name == "exhaustive" and row["plans"] > settings.exhaustive_max_plans:
        return {
            **row,
            "status": "skipped",
            "note": f"skipped: {row['plans']:.3g} plans",
        }
    if solver_name == "scission_baseline" and row["scission_scenarios"] > settings.baseline_max_scenarios:
        return {
            **row,
            "status": "skipped",
            "note": f"skipped: {row['scission_scenarios']:.3g} scenarios",
        }
    try:
        solver = _get_solver(solver_name)
    except ImportError as exc:
        return {**row, "status": "not available", "note": f"not available: {exc}"}
    if not solver.is_available():
        return {
            **row,
            "status": "not available",
            "note": "not available: library not installed",
        }
    objective = get_objective("latency")
    why = solver.unsupported(instance, objective)
    if why:
        return {**row, "status": "unsupported", "note": why}
    _warm_up(solver_name, solver)

    def call() -> Any:
        return solver.solve(instance, objective, top_k=case.top_k, time_limit=settings.time_cap_s)

    result, times, memory = measure(call, settings)
    objectives = [p.objective for p in result.plans]
    return {
        **row,
        "status": result.status.value,
        "repeats": len(times),
        "time_median_s": statistics.median(times),
        "time_min_s": min(times),
        **memory,
        "objective": objectives[0] if objectives else math.nan,
        "objectives": objectives,
        "bound": result.bound,
        "note": result.message if result.status.value not in ("optimal", "infeasible") else "",
    }


# ---------------------------------------------------------------------------
# The worker process


def _serve(conn: Any) -> None:
    # A process group of its own, so that a kill also ends the solver's child processes (CBC).
    if hasattr(os, "setpgrp"):
        os.setpgrp()
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_LIMIT_BYTES, WORKER_MEMORY_LIMIT_BYTES))
    except (ImportError, ValueError, OSError):
        pass
    cached: tuple[Any, Any] | None = None
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        case, solver_name, settings = job
        try:
            if cached is None or cached[0] != case.instance_key:
                cached = None
                cached = (case.instance_key, build(case))
            row = run_one(case, solver_name, settings, cached[1])
        except MemoryError:
            row = {
                "status": "out of memory",
                "note": "MemoryError: the worker's address space is capped at "
                f"{WORKER_MEMORY_LIMIT_BYTES / 2**30:g} GiB",
            }
        except Exception as exc:  # noqa: BLE001 - a failing run is a result, not the end of the harness
            last = traceback.format_exc().strip().splitlines()[-1]
            row = {
                "status": "error",
                "note": f"{type(exc).__name__}: {exc}"[:300] or last,
            }
        conn.send(row)


class Worker:
    """A process that runs jobs one at a time; killed and restarted when a job overstays."""

    def __init__(self) -> None:
        self._ctx: Any = multiprocessing.get_context(
            "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        )
        self._proc: Any = None
        self._conn: Any = None

    def _start(self) -> None:
        parent, child = self._ctx.Pipe()
        self._proc = self._ctx.Process(target=_serve, args=(child,), daemon=True)
        self._proc.start()
        child.close()
        self._conn = parent

    def run(self, case: Case, solver_name: str, settings: Settings) -> dict[str, Any]:
        if self._proc is None or not self._proc.is_alive():
            self._start()
        assert self._conn is not None and self._proc is not None
        started = time.perf_counter()
        self._conn.send((case, solver_name, settings))
        if self._conn.poll(settings.hard_cap_s):
            try:
                return self._conn.recv()
            except EOFError:
                pass
            self.close()
            return {"status": "error", "note": "the worker died (out of memory?)"}
        self.close()
        return {
            "status": "killed",
            "time_median_s": time.perf_counter() - started,
            "note": f"killed after the hard cap of {settings.hard_cap_s:g} s (instance building included)",
        }

    def close(self) -> None:
        if self._proc is not None:
            if self._proc.is_alive():
                try:
                    os.killpg(self._proc.pid, signal.SIGKILL)
                except (AttributeError, ProcessLookupError, PermissionError):
                    self._proc.kill()
            self._proc.join(5)
        if self._conn is not None:
            self._conn.close()
        self._proc = self._conn = None
