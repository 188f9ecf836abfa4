"""Benchmark harness: every solver on the shipped and synthetic families, against exhaustive search.

Usage (from a clone of the repository)::

    python benchmarks/run.py --quick          # small subset, < 1 minute; exit 1 if any solver disagrees
    python benchmarks/run.py                  # everything: shipped + synthetic grid + whole-process timing
    python benchmarks/run.py --resume         # go on after an interruption, skipping rows already in the CSV

The harness is repository tooling, not part of the installed package: run it
from a clone (it puts the clone's root on ``sys.path`` to import itself as
the package ``benchmarks``), or call :func:`main` from the clone's root.

Results go to ``benchmarks/results/`` (``--quick``: ``benchmarks/results/quick/``):
``runs.csv`` (one row per case and solver, appended as runs complete),
``results.md`` (machine, goals, tables), ``time_vs_size.png`` and ``machine.json``.
See benchmarks/README.md for what is measured and how.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

if __package__ in (
    None,
    "",
):  # run as a script: make ``benchmarks`` importable as a package
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "benchmarks"
    import benchmarks  # noqa: F401

from .families import (
    SEED,
    Case,
    quick_cases,
    shipped_cases,
    synthetic_cases,
    synthetic_counts,
)
from .measure import SOLVERS, Settings, Worker
from .report import FLOAT_FIELDS, normalise

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"

#: Columns of runs.csv, in order.
COLUMNS = (
    "family", "name", "constraints", "top_k", "solver", "status", "nodes", "tiers", "systems_per_tier", "systems",
    "constraint_groups", "plans", "scission_scenarios", "repeats", "time_median_s", "time_min_s", "peak_mem_bytes",
    "peak_rss_bytes", "objective", "objectives", "bound", "reference", "agrees", "note", "instance_sha",
)  # fmt: skip

FULL = Settings()
QUICK = Settings(
    time_cap_s=20.0,
    hard_cap_s=40.0,
    max_repeats=3,
    repeat_budget_s=0.2,
    min_repeats=1,
    memory_probe_max_s=0.1,
    exhaustive_max_plans=2_000_000,
    baseline_max_scenarios=20_000,
)

PROVEN = ("optimal", "infeasible")
CAPPED = ("time_limit", "feasible", "killed", "out of memory")


# ---------------------------------------------------------------------------
# CSV checkpoint


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    if isinstance(value, (list, tuple)):
        return json.dumps([float(v) for v in value])
    return str(value)


def row_to_csv(row: dict[str, Any]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([_cell(row.get(c)) for c in COLUMNS])
    return buf.getvalue()


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Rows of a runs.csv; a last line cut short by an interruption is dropped."""
    if not path.exists():
        return []
    rows = []
    with open(path, newline="", encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            if None in rec or any(v is None for v in rec.values()):
                continue  # truncated
            rows.append(_parse(rec))
    return rows


def _parse(rec: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = dict(rec)
    for key in (
        "top_k",
        "nodes",
        "tiers",
        "systems_per_tier",
        "systems",
        "plans",
        "scission_scenarios",
        "repeats",
    ):
        out[key] = int(rec[key]) if rec.get(key) else None
    for key in FLOAT_FIELDS:
        out[key] = float(rec[key]) if rec.get(key) else math.nan
    out["objectives"] = json.loads(rec["objectives"]) if rec.get("objectives") else []
    out["agrees"] = {"True": True, "False": False}.get(rec.get("agrees", ""))
    return out


def write_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    from scission_opt.io import write_text_atomic

    write_text_atomic(path, ",".join(COLUMNS) + "\n" + "".join(row_to_csv(r) for r in rows))


def _append(path: Path, row: dict[str, Any]) -> None:
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(row_to_csv(row))
        fh.flush()
        os.fsync(fh.fileno())


# ---------------------------------------------------------------------------
# Agreement and the skip rules


def file_sha(path: str) -> str:
    """First 12 hex digits of the file's SHA-256: which version of a shipped instance a row measured."""
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def _row_key(row: dict[str, Any]) -> tuple[str, str, str, int, str]:
    return (
        row["family"],
        row["name"],
        row["constraints"],
        int(row["top_k"]),
        row["solver"],
    )


class Ledger:
    """What has run: references for agreement, and which sizes hit the cap."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows: list[dict[str, Any]] = []
        self.done: set[tuple[str, str, str, int, str]] = set()
        self.reference: dict[tuple[str, str, str, int], tuple[str, list[float]]] = {}
        self.capped: dict[tuple[str, str, str, int], list[tuple[int, int, int, str]]] = {}
        for row in rows:
            self.add(row)

    def add(self, row: dict[str, Any]) -> None:
        key = _row_key(row)
        case_key = key[:4]
        self.done.add(key)
        if row["status"] in PROVEN and row["solver"] != "scission_baseline":
            # the first proven answer is the reference: exhaustive's, since it runs first
            self.reference.setdefault(case_key, (row["solver"], list(row["objectives"])))
        if row["status"] in CAPPED or "MemoryError" in str(row.get("note", "")):  # older rows: status "error"
            size = (
                row.get("nodes") or 0,
                row.get("tiers") or 0,
                row.get("systems_per_tier") or 0,
                row["name"],
            )
            self.capped.setdefault(
                (row["family"], row["solver"], row["constraints"], int(row["top_k"])),
                [],
            ).append(size)
        self.rows.append(row)

    def agreement(self, row: dict[str, Any]) -> tuple[str, bool | None]:
        from scission_opt.compare import objectives_agree

        ref = self.reference.get(_row_key(row)[:4])
        if ref is None or ref[0] == row["solver"]:
            return "", None
        if row["status"] not in PROVEN:
            return ref[0], None
        return ref[0], objectives_agree(tuple(row["objectives"]), tuple(ref[1]))

    def dominated(self, case: Case, solver: str) -> str | None:
        """A smaller case of the same kind hit the cap: this one would too."""
        if case.family == "shipped":
            return None
        for n, t, s, name in self.capped.get((case.family, solver, case.constraints, case.top_k), []):
            if n <= case.nodes and t <= case.tiers and s <= case.systems_per_tier:
                return f"skipped: the smaller case {name} hit the cap"
        return None


# ---------------------------------------------------------------------------
# Whole-process timing


def process_rows(repeats: int) -> list[dict[str, Any]]:
    """Median wall time of whole processes: bare Python, importing the package, ``solve`` on 25 nodes."""
    from scission_opt.generate import generate

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synthetic25.json"
        generate(25, 3, 1, SEED).save(path)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "python -c 'import scission_opt'": [
                sys.executable,
                "-c",
                "import scission_opt",
            ],
            "python -m scission_opt solve": [
                sys.executable,
                "-m",
                "scission_opt",
                "solve",
                str(path),
            ],
        }
        rows = []
        for label, argv in commands.items():
            times = []
            status = "ok"
            for _ in range(repeats):
                started = time.perf_counter()
                done = subprocess.run(argv, capture_output=True, cwd=tmp, check=False)
                times.append(time.perf_counter() - started)
                if done.returncode != 0:
                    status = f"exit {done.returncode}"
            # fmt: off
            rows.append({
                "family": "process", "name": "synthetic n25-t3-s1", "constraints": "none", "top_k": 1,
                "solver": label, "status": status, "nodes": 25, "tiers": 3, "systems_per_tier": 1, "systems": 3,
                "repeats": repeats, "time_median_s": statistics.median(times), "time_min_s": min(times),
                "note": "whole process, subprocess wall time",
            })
            # fmt: on
    return rows


# ---------------------------------------------------------------------------
# Machine


def machine_info() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for mod in ("numpy", "scipy", "pulp", "ortools"):
        try:
            versions[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001
            versions[mod] = "not installed"
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=REPO,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
        "commit": commit,
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
    }


# ---------------------------------------------------------------------------
# Main


def build_parser(prog: str = "python benchmarks/run.py") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog,
        description="Benchmark every solver against exhaustive search and a Scission-style enumerator.",
    )
    add_arguments(p)
    return p


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The harness's options."""
    p.add_argument(
        "--quick",
        action="store_true",
        help="a small subset in under a minute (the CI smoke test)",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="keep runs.csv and skip the rows it already has",
    )
    p.add_argument(
        "--rerun",
        action="append",
        default=[],
        choices=("shipped", "synthetic", "process", *SOLVERS),
        help="with --resume: drop the rows of this family or solver first and run them again (repeatable)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="results folder (default benchmarks/results[/quick])",
    )
    p.add_argument(
        "--instances",
        type=Path,
        default=REPO / "instances",
        help="folder of shipped instances",
    )
    p.add_argument(
        "--family",
        action="append",
        choices=("shipped", "synthetic", "process"),
        help="only these families (repeatable)",
    )
    p.add_argument(
        "--solver",
        action="append",
        choices=SOLVERS,
        help="only these solvers (repeatable)",
    )
    p.add_argument(
        "--time-cap",
        type=float,
        default=None,
        metavar="S",
        help="time_limit of every solve",
    )
    p.add_argument(
        "--max-nodes",
        type=int,
        default=None,
        help="leave out synthetic cases with more nodes",
    )
    p.add_argument("--no-plot", action="store_true", help="skip the PNG (matplotlib)")
    p.add_argument(
        "--report-only",
        action="store_true",
        help="rewrite results.md and the plot from runs.csv; run nothing",
    )
    p.add_argument("-q", "--quiet", action="store_true")


def _settings(args: argparse.Namespace) -> Settings:
    settings = QUICK if args.quick else FULL
    if args.time_cap is not None:
        settings = replace(settings, time_cap_s=args.time_cap, hard_cap_s=max(settings.hard_cap_s, 2.5 * args.time_cap))
    return settings


def _cases(args: argparse.Namespace, families: set[str]) -> list[Case]:
    cases = quick_cases(args.instances) if args.quick else shipped_cases(args.instances) + synthetic_cases()
    cases = [c for c in cases if c.family in families]
    if args.max_nodes is not None:
        cases = [c for c in cases if c.family == "shipped" or c.nodes <= args.max_nodes]
    return cases


def _earlier_machine(out: Path) -> dict[str, Any] | None:
    path = out / "machine.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _kept_rows(
    args: argparse.Namespace, csv_path: Path, case_sha: dict[tuple[str, str], str]
) -> tuple[list[dict[str, Any]], bool]:
    """The rows of runs.csv that ``--resume`` keeps, and whether runs.csv must be rewritten to hold only them."""
    if not args.resume:
        return [], True
    found = read_rows(csv_path)
    kept = [
        r for r in found
        if r["family"] not in args.rerun and r["solver"] not in args.rerun
        and (r["family"] != "shipped" or r.get("instance_sha") == case_sha.get((r["family"], r["name"])))
    ]  # fmt: skip
    with open(csv_path, encoding="utf-8") if csv_path.exists() else io.StringIO() as fh:
        header = fh.readline().strip()
    return kept, len(kept) != len(found) or header != ",".join(COLUMNS)


def _measure(
    cases: list[Case], solvers: list[str], settings: Settings, ledger: Ledger, csv_path: Path, say: Any,
    case_sha: dict[tuple[str, str], str],
) -> int:  # fmt: skip
    """Run every (case, solver) the ledger lacks, appending each row to runs.csv; how many ran."""
    worker = Worker()
    new = 0
    try:
        for case in cases:
            for solver in solvers:
                if (*case.key, solver) in ledger.done:
                    continue
                skip = ledger.dominated(case, solver)
                base = {**asdict(case), "solver": solver, "instance_sha": case_sha.get((case.family, case.name), "")}
                if skip:
                    if case.family != "shipped":
                        base.update(synthetic_counts(case))
                    row = {**base, "status": "skipped", "note": skip}
                else:
                    row = {**base, **worker.run(case, solver, settings)}
                row = normalise(row)
                row["reference"], row["agrees"] = ledger.agreement(row)
                ledger.add(row)
                _append(csv_path, row)
                say(_progress(row))
                new += 1
    finally:
        worker.close()
    return new


def _problems(rows: list[dict[str, Any]]) -> tuple[int, int]:
    """Print disagreements and errors to stderr; their counts."""
    differs = [r for r in rows if r.get("agrees") is False]
    for r in differs:
        print(f"DISAGREES: {r['family']} {r['name']} {r['constraints']} top-{r['top_k']} {r['solver']}: "
              f"{r['objectives']} vs {r['reference']}", file=sys.stderr)  # fmt: skip
    errors = [r for r in rows if r["status"] == "error" and "MemoryError" not in str(r.get("note"))]
    for r in errors:
        print(f"ERROR: {r['family']} {r['name']} {r['solver']}: {r.get('note')}", file=sys.stderr)
    return len(differs), len(errors)


def run(args: argparse.Namespace) -> int:
    """Run the harness; 0 when every solver agrees with its reference, 1 otherwise.

    With ``--resume`` and nothing left to measure, no file is rewritten: the
    header of results.md and machine.json keep describing the runs that
    measured the rows.
    """
    from .report import write_report

    settings = _settings(args)
    out = args.out or (RESULTS / "quick" if args.quick else RESULTS)
    out.mkdir(parents=True, exist_ok=True)
    csv_path = out / "runs.csv"
    say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, flush=True))
    if args.report_only:
        write_report(out, read_rows(csv_path), _earlier_machine(out) or machine_info(), plot=not args.no_plot)
        return 0
    families = set(args.family or ("shipped", "synthetic", "process"))
    solvers = [s for s in SOLVERS if not args.solver or s in args.solver]
    cases = _cases(args, families)

    # A shipped instance file that changed since a row was measured makes that row stale.
    shas = {c.path: file_sha(c.path) for c in cases if c.family == "shipped"}
    case_sha = {(c.family, c.name): shas[c.path] for c in cases if c.family == "shipped"}
    previous, dropped = _kept_rows(args, csv_path, case_sha)
    ledger = Ledger(previous)
    if dropped:
        write_rows(csv_path, previous)
    machine = machine_info()
    machine["settings"] = asdict(settings)
    machine["command"] = args.command_line
    earlier = _earlier_machine(out) if args.resume else None
    if earlier is not None:
        # the rows kept from earlier runs were measured then: keep their record
        machine["earlier_runs"] = earlier.pop("earlier_runs", []) + [earlier]
    say(f"{len(cases)} cases x {len(solvers)} solvers -> {csv_path}")

    started = time.perf_counter()
    new = _measure(cases, solvers, settings, ledger, csv_path, say, case_sha)
    if "process" in families and not any(r["family"] == "process" for r in ledger.rows):
        for row in process_rows(3 if args.quick else 15):
            ledger.add(normalise(row))
            _append(csv_path, row)
            say(_progress(row))
            new += 1
    differs, errors = _problems(ledger.rows)
    if new == 0 and args.resume and not dropped:
        say(f"nothing to measure: every row is already in {csv_path}; no file rewritten")
        return 1 if differs or errors else 0
    if new == 0 and args.resume:
        # rows were dropped but none measured: the earlier runs still measured every row kept
        machine = _earlier_machine(out) or machine
    else:
        machine["load_average_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
        machine["harness_wall_s"] = round(time.perf_counter() - started, 1)
    write_rows(csv_path, ledger.rows)
    write_report(out, ledger.rows, machine, plot=not args.no_plot)
    say(f"wrote {out}/runs.csv, results.md{'' if args.no_plot else ', time_vs_size.png'} in "
        f"{time.perf_counter() - started:.1f} s; {differs} disagreements, {errors} errors")  # fmt: skip
    return 1 if differs or errors else 0


def _progress(row: dict[str, Any]) -> str:
    t = row.get("time_median_s")
    timing = f"{t * 1000:10.3f} ms" if isinstance(t, float) and not math.isnan(t) else " " * 13
    agree = {True: "agrees", False: "DIFFERS", None: ""}[row.get("agrees")]
    note = row.get("note") or ""
    return (
        f"{row['family']:9} {row['name']:18} {row['constraints']:7} top{row['top_k']} {row['solver']:17} "
        f"{row['status']:13} {timing} {agree:7} {note[:70]}"
    )


def main(argv: Sequence[str] | None = None, prog: str = "python benchmarks/run.py") -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``) and run; ``prog`` names the command in help and results."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(prog).parse_args(argv)
    args.command_line = " ".join([prog, *argv])
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
