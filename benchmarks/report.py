"""From result rows to ``results.md`` (machine, goals, tables), ``machine.json`` and the plot."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

from .measure import SOLVERS

EXACT = ("exhaustive", "dp", "cpsat", "cbc")
LABEL = {
    "exhaustive": "exhaustive",
    "dp": "dp",
    "cpsat": "cpsat",
    "cbc": "cbc",
    "scission_baseline": "Scission-style",
}
GOAL_CASE = "n1000-t6-s8"
#: Cases whose peak memory results.md shows for every solver.
MEMORY_CASES = (
    ("shipped", "densenet201", "none", 5),
    ("synthetic", "n100-t3-s1", "none", 1),
    ("synthetic", "n100-t3-s4", "binding", 1),
    ("synthetic", "n1000-t3-s1", "none", 1),
    ("synthetic", "n1000-t6-s8", "binding", 1),
    ("synthetic", "n3000-t6-s16", "binding", 1),
)
SPEED_CASE = "n100-t3-s1"


#: Numeric columns of a row: None, a missing key and an empty CSV cell all become NaN.
FLOAT_FIELDS = ("time_median_s", "time_min_s", "peak_mem_bytes", "peak_rss_bytes", "objective", "bound")


def _number(value: Any) -> float:
    """``value`` as a float; NaN for None, a missing value or anything that is not a number."""
    if value is None or value == "":
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def normalise(row: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``row`` whose numeric columns are floats (NaN where nothing was measured).

    Rows come from the worker (with None where a probe was skipped, and no
    time at all for a killed run) or from runs.csv (empty cells); the tables
    and the plot read both the same way.
    """
    return {**row, **{key: _number(row.get(key)) for key in FLOAT_FIELDS}}


def _ms(seconds: float | None) -> str:
    seconds = _number(seconds)
    if math.isnan(seconds):
        return "-"
    ms = seconds * 1000
    if ms < 1:
        return f"{ms:.3f}"
    if ms < 100:
        return f"{ms:.2f}"
    return f"{ms:,.0f}"


def _mb(nbytes: float | None) -> str:
    nbytes = _number(nbytes)
    if math.isnan(nbytes):
        return "-"
    mb = nbytes / 1e6
    return f"{mb:.2f}" if mb < 10 else f"{mb:,.1f}"


def _num(x: float) -> str:
    return f"{x:.3g}" if x < 1e6 else f"{x:.2e}"


def cell(row: dict[str, Any] | None) -> str:
    """A table cell: median ms, or why there is none."""
    if row is None:
        return ""
    status = row["status"]
    t = row.get("time_median_s", math.nan)
    if status == "optimal":
        text = _ms(t)
    elif status == "infeasible":
        text = f"{_ms(t)} (infeasible)"
    elif status == "feasible":
        bound, obj = row.get("bound", math.nan), row.get("objective", math.nan)
        gap = abs(obj - bound) / max(abs(obj), 1e-12) if not (math.isnan(bound) or math.isnan(obj)) else math.nan
        text = f"cap ({_ms(t)}): feasible" + ("" if math.isnan(gap) else f", gap {gap:.1%}")
    elif status == "time_limit":
        text = f"cap ({_ms(t)}): no plan"
    elif status == "killed":
        text = "killed at hard cap"
    elif status == "out of memory" or "MemoryError" in str(row.get("note", "")):
        text = "out of memory (12 GiB cap)"
    elif status == "skipped":
        note = row.get("note", "")
        counts = _counts(row)
        if row["solver"] == "exhaustive" and counts.get("plans"):
            text = f"skipped: {_num(counts['plans'])} plans"
        elif row["solver"] == "scission_baseline" and counts.get("scission_scenarios"):
            text = f"skipped: {_num(counts['scission_scenarios'])} scenarios"
        else:
            text = "skipped: smaller case hit cap"
        if "smaller case" in note and row["solver"] in (
            "exhaustive",
            "scission_baseline",
        ):
            text += " (smaller case hit cap)"
    elif status == "not available":
        text = "n/a"
    elif status == "unsupported":
        text = "unsupported"
    else:
        text = status
    if row.get("agrees") is False:
        text += " **DIFFERS**"
    return text


def _counts(row: dict[str, Any]) -> dict[str, Any]:
    """Plans and Scission scenarios of a row; computed for synthetic rows skipped before building."""
    if row.get("plans"):
        return {
            "plans": row["plans"],
            "scission_scenarios": row.get("scission_scenarios"),
        }
    if row["family"] == "synthetic" and row.get("nodes"):
        from .families import Case, synthetic_counts

        case = Case("synthetic", row["name"], row["constraints"], nodes=row["nodes"], tiers=row["tiers"],
                    systems_per_tier=row["systems_per_tier"])  # fmt: skip
        return synthetic_counts(case)
    return {}


def _index(
    rows: list[dict[str, Any]],
) -> dict[tuple[str, str, str, int], dict[str, dict[str, Any]]]:
    out: dict[tuple[str, str, str, int], dict[str, dict[str, Any]]] = defaultdict(dict)
    for r in rows:
        out[(r["family"], r["name"], r["constraints"], int(r["top_k"]))][r["solver"]] = r
    return out


def _agreement(by_solver: dict[str, dict[str, Any]]) -> str:
    marks = [r.get("agrees") for r in by_solver.values()]
    refs = {str(r.get("reference")) for r in by_solver.values() if r.get("agrees") is not None}
    if any(m is False for m in marks):
        return "**DIFFERS**"
    if any(m is True for m in marks):
        return "all agree with " + "/".join(sorted(refs))
    return "-"


def _table(header: list[str], body: list[list[str]]) -> list[str]:
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return lines


def _best_exact(by_solver: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    proven = [r for s, r in by_solver.items() if s in EXACT and r["status"] in ("optimal", "infeasible")]
    return min(proven, key=lambda r: r["time_median_s"]) if proven else None


# ---------------------------------------------------------------------------
# Goals


def goals(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Each goal of the issues with its target, the measured figure and whether it is met."""
    idx = _index(rows)
    out: list[dict[str, str]] = []

    def add(goal: str, target: str, measured: str, met: bool | None) -> None:
        out.append(
            {
                "goal": goal,
                "target": target,
                "measured": measured,
                "met": {True: "yes", False: "**no**", None: "not measured"}[met],
            }
        )

    case = idx.get(("synthetic", GOAL_CASE, "binding", 1), {})
    best = _best_exact(case)
    if best:
        others = ", ".join(
            f"{s} {cell(r)} ms" if r["status"] == "optimal" else f"{s} {cell(r)}"
            for s, r in case.items()
            if s in EXACT and s != best["solver"]
        )
        add("1000 nodes x 6 tiers x 8 systems, memory + energy + upload + privacy: proven optimum", "< 2 s",
            f"{best['solver']} {_ms(best['time_median_s'])} ms ({best['status']}); {others}",
            best["time_median_s"] < 2.0)  # fmt: skip
    else:
        add(
            "1000 x 6 x 8 with constraints: proven optimum",
            "< 2 s",
            "no proven optimum",
            None if not case else False,
        )

    r = idx.get(("synthetic", GOAL_CASE, "none", 1), {}).get("dp")
    add("dp, 1000 nodes x 6 tiers x 8 systems, no side constraints, in process", "< 10 ms",
        f"{_ms(r['time_median_s'])} ms" if r and r["status"] == "optimal" else "not run",
        (r["time_median_s"] < 0.010) if r and r["status"] == "optimal" else None)  # fmt: skip

    for constraints in ("none", "binding"):
        ratios, agree, n = [], True, 0
        for (fam, _, cons, k), by_solver in idx.items():
            if fam != "shipped" or cons != constraints or k != 5:
                continue
            base, best = by_solver.get("scission_baseline"), _best_exact(by_solver)
            if not base or not best or base["status"] not in ("optimal", "infeasible"):
                continue
            n += 1
            ratios.append(base["time_median_s"] / best["time_median_s"])
            agree &= base.get("agrees") is True or (base["objectives"] == [] and best["objectives"] == [])
        if ratios:
            worst = min(ratios)
            add(f"shipped instances, top-5, constraints {constraints}: best exact solver vs Scission-style baseline",
                ">= 100x faster, identical objectives",
                f"{n} instances: speed-up min {worst:,.1f}x, median {statistics.median(ratios):,.0f}x; objectives "
                + ("identical" if agree else "**differ**"), worst >= 100 and agree)  # fmt: skip
        else:
            add(
                f"shipped instances, top-5, constraints {constraints}: vs Scission-style baseline",
                ">= 100x faster",
                "no shipped instances measured",
                None,
            )

    # Context for the goal above: the same comparison where the search space is larger.
    ratios_by_case = []
    for (fam, name, cons, _), by_solver in idx.items():
        base, best = by_solver.get("scission_baseline"), _best_exact(by_solver)
        if fam == "synthetic" and base and best and base["status"] in ("optimal", "infeasible"):
            ratios_by_case.append(
                (
                    base["time_median_s"] / best["time_median_s"],
                    f"{name} {cons}",
                    base["scission_scenarios"],
                )
            )
    if ratios_by_case:
        ratios_by_case.sort()
        top = ratios_by_case[-1]
        big = [r for r, _, scen in ratios_by_case if scen >= 100_000]
        add("(context) synthetic chains, top-1: best exact solver vs Scission-style baseline", ">= 100x (as above)",
            f"{len(ratios_by_case)} cases: speed-up {ratios_by_case[0][0]:,.1f}x to {top[0]:,.0f}x "
            f"({top[1]}, {_num(top[2])} scenarios); "
            + (f"min {min(big):,.0f}x where the baseline builds >= 1e5 scenarios" if big else ""),
            (min(big) >= 100) if big else None)  # fmt: skip

    case = idx.get(("synthetic", SPEED_CASE, "none", 1), {})
    for solver, limit in (("dp", 0.001), ("exhaustive", 0.020)):
        r = case.get(solver)
        ok = r is not None and r["status"] == "optimal"
        add(f"{solver}, 100 nodes x 3 tiers x 1 system, in process", f"< {limit * 1000:g} ms",
            f"{_ms(r['time_median_s'])} ms" if r and ok else "not run",
            (r["time_median_s"] < limit) if r and ok else None)  # fmt: skip

    procs = {r["solver"]: r for r in rows if r["family"] == "process"}
    r = procs.get("python -m scission_opt solve")
    if r:
        bare = procs.get("python -c pass")
        imp = procs.get("python -c 'import scission_opt'")
        detail = f"{_ms(r['time_median_s'])} ms median of {r['repeats']}"
        if bare and imp:
            detail += (
                f" (bare python {_ms(bare['time_median_s'])} ms, import scission_opt {_ms(imp['time_median_s'])} ms)"
            )
        add(
            "whole process: python -m scission_opt solve, 25 nodes",
            "< 500 ms",
            detail,
            r["status"] == "ok" and r["time_median_s"] < 0.5,
        )
    else:
        add(
            "whole process: python -m scission_opt solve, 25 nodes",
            "< 500 ms",
            "not run",
            None,
        )
    return out


# ---------------------------------------------------------------------------
# Markdown


def _memory_cell(row: dict[str, Any] | None) -> str:
    """``RSS growth / tracemalloc peak`` in MB; ``-`` where the probe was skipped or the column is older."""
    if row is None:
        return "-"
    rss, traced = _mb(row.get("peak_rss_bytes")), _mb(row.get("peak_mem_bytes"))
    return "-" if rss == traced == "-" else f"{rss} / {traced}"


def markdown(rows: list[dict[str, Any]], machine: dict[str, Any]) -> str:
    """results.md: the machine and settings, the goals, and one table per family."""
    rows = [normalise(r) for r in rows]
    idx = _index(rows)
    solvers = [s for s in SOLVERS if any(r["solver"] == s for r in rows)]
    settings = machine.get("settings", {})
    lines = [
        "# Benchmark results",
        "",
        f"Made by `{machine.get('command', 'python benchmarks/run.py')}` at commit {machine.get('commit', '?')} on "
        f"{machine.get('date_utc', '?')} UTC; machine: {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores, "
        f"Python {machine.get('python', '?')}, "
        + ", ".join(f"{k} {v}" for k, v in machine.get("versions", {}).items())
        + f". Load average at start {machine.get('load_average')}, at end {machine.get('load_average_end')}"
        " (the machine is shared: expect noise). Harness wall time "
        f"{machine.get('harness_wall_s', '?')} s."
        + "".join(
            f" Rows kept from an earlier run: `{e.get('command')}` at commit {e.get('commit')} on "
            f"{e.get('date_utc')} UTC"
            f" (load average {e.get('load_average')}, harness {e.get('harness_wall_s')} s)."
            for e in machine.get("earlier_runs", [])
        ),
        "",
        (
            "Times are in-process wall milliseconds (`time.perf_counter` around `solver.solve`, model building and "
            "the evaluator's re-scoring included), median of repeats (up to "
            f"{settings.get('max_repeats', '?')}, fewer for slow runs). Every solve gets `time_limit="
            f"{settings.get('time_cap_s', '?')}` s; a run still going after {settings.get('hard_cap_s', '?')} s is "
            f"killed. Exhaustive search is skipped above {settings.get('exhaustive_max_plans', 0):.3g} plans and the "
            f"Scission-style baseline above {settings.get('baseline_max_scenarios', 0):.3g} scenarios; the cell says "
            "how many they would need. A synthetic case is skipped for a solver when a smaller case (no larger in "
            "nodes, tiers and systems per tier) already hit the cap. Agreement: top-k objectives equal "
            "(scission_opt.compare.objectives_agree) with exhaustive "
            "search where it finished, otherwise with the first solver that proved its answer (named in the column). "
            "Peak memory comes from one more, untimed call in a fork of the worker (skipped after a first call "
            f"longer than {settings.get('memory_probe_max_s', '?')} s): `peak_rss_bytes` in runs.csv is how far the "
            "resident set grew during the call plus the peak resident set of any process the solver started (the CBC "
            "binary), so it includes native memory (CP-SAT, CBC, numpy); `peak_mem_bytes` is the tracemalloc peak of "
            "a second call (Python allocations incl. numpy arrays, no native memory)."
        ),
        "",
        "## Goals",
        "",
    ]
    lines += _table(
        ["goal", "target", "measured", "met"],
        [[g["goal"], g["target"], g["measured"], g["met"]] for g in goals(rows)],
    )

    shipped = sorted({k for k in idx if k[0] == "shipped"})
    if shipped:
        for constraints in ("none", "binding"):
            for top_k in (1, 5):
                keys = [k for k in shipped if k[2] == constraints and k[3] == top_k]
                if not keys:
                    continue
                lines += [
                    "",
                    f"## Shipped instances, top-{top_k}, constraints: {constraints} (ms)",
                    "",
                ]
                body = []
                for k in keys:
                    by = idx[k]
                    any_row = next(iter(by.values()))
                    best, base = _best_exact(by), by.get("scission_baseline")
                    speedup = (
                        f"{base['time_median_s'] / best['time_median_s']:,.0f}x"
                        if best and base and base["status"] in ("optimal", "infeasible")
                        else "-"
                    )
                    body.append(
                        [
                            k[1],
                            str(any_row.get("nodes", "")),
                            str(any_row.get("systems", "")),
                            _num(any_row["plans"]) if any_row.get("plans") else "",
                        ]
                        + [cell(by.get(s)) for s in solvers]
                        + [speedup, _agreement(by)]
                    )
                lines += _table(
                    [
                        "model",
                        "nodes",
                        "systems",
                        "plans",
                        *[LABEL[s] for s in solvers],
                        "best exact vs Scission-style",
                        "agreement",
                    ],
                    body,
                )

    synthetic = [k for k in idx if k[0] == "synthetic"]
    if synthetic:

        def size(k: tuple[str, str, str, int]) -> tuple[int, int, int, str]:
            first = next(iter(idx[k].values()))
            return (first.get("nodes") or 0, first.get("tiers") or 0, first.get("systems_per_tier") or 0, k[2])

        synthetic.sort(key=size)
        lines += ["", "## Synthetic chains (`generate`, seed 1), top-1 (ms)", ""]
        body = []
        for k in synthetic:
            by = idx[k]
            r0 = next(iter(by.values()))
            plans = _counts(r0).get("plans")
            body.append(
                [
                    str(r0.get("nodes")),
                    str(r0.get("tiers")),
                    str(r0.get("systems_per_tier")),
                    k[2],
                    _num(plans) if plans else "",
                ]
                + [cell(by.get(s)) for s in solvers]
                + [_agreement(by)]
            )
        lines += _table(
            [
                "nodes",
                "tiers",
                "systems/tier",
                "constraints",
                "plans",
                *[LABEL[s] for s in solvers],
                "agreement",
            ],
            body,
        )

    memory_cases = [k for k in MEMORY_CASES if k in idx]
    if memory_cases:
        lines += [
            "",
            "## Peak memory (MB: resident-set growth incl. native memory / tracemalloc peak, Python only; "
            "every run's figures are in runs.csv)",
            "",
        ]
        body = []
        for k in memory_cases:
            by = idx[k]
            body.append(
                [f"{k[0]} {k[1]} {k[2]} top-{k[3]}"]
                + [_memory_cell(by.get(s)) for s in solvers]
            )  # fmt: skip
        lines += _table(["case", *[LABEL[s] for s in solvers]], body)

    procs = [r for r in rows if r["family"] == "process"]
    if procs:
        lines += ["", "## Whole process (subprocess wall time, ms)", ""]
        lines += _table(
            ["command", "median", "min", "repeats", "status"],
            [
                [
                    f"`{r['solver']}`",
                    _ms(r["time_median_s"]),
                    _ms(r["time_min_s"]),
                    str(r["repeats"]),
                    r["status"],
                ]
                for r in procs
            ],
        )
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Plot

STYLE = {
    "exhaustive": ("tab:blue", "o"),
    "dp": ("tab:green", "s"),
    "cpsat": ("tab:orange", "^"),
    "cbc": ("tab:purple", "v"),
    "scission_baseline": ("tab:red", "D"),
}


#: Panels of the time plot, (tiers, systems per tier), each drawn only when it has data.
PANELS = ((3, 1), (3, 4), (6, 8))
CAP_STATUSES = ("time_limit", "feasible", "killed", "out of memory")


def _binding(rows: list[dict[str, Any]], tiers: int, spt: int) -> list[dict[str, Any]]:
    return [
        r for r in rows
        if r["family"] == "synthetic" and r["constraints"] == "binding"
        and r.get("tiers") == tiers and r.get("systems_per_tier") == spt
    ]  # fmt: skip


def _capped(row: dict[str, Any]) -> bool:
    return row["status"] in CAP_STATUSES or "MemoryError" in str(row.get("note", ""))


def _panels(rows: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """The size panels with a timed or capped run; other sizes when none of the usual ones has any."""
    shown = [r for r in rows if r["status"] in ("optimal", "infeasible") or _capped(r)]
    panels = [p for p in PANELS if _binding(shown, *p)]
    if panels:
        return panels
    synthetic = [r for r in shown if r["family"] == "synthetic" and r["constraints"] == "binding"]
    sizes = sorted({(r["tiers"], r["systems_per_tier"]) for r in synthetic if r.get("tiers")})
    return sorted({sizes[0], sizes[len(sizes) // 2], sizes[-1]}) if sizes else []


def _size_panel(ax: Any, rows: list[dict[str, Any]], timed: list[dict[str, Any]], tiers: int, spt: int) -> None:
    top = max([r["time_median_s"] for r in timed] + [1.0])
    for solver in SOLVERS:
        color, marker = STYLE[solver]
        pts = sorted((r["nodes"], r["time_median_s"]) for r in _binding(timed, tiers, spt) if r["solver"] == solver)
        if pts:
            ax.plot(*zip(*pts), marker=marker, color=color, label=LABEL[solver])
        capped = [r["nodes"] for r in _binding(rows, tiers, spt) if r["solver"] == solver and _capped(r)]
        if capped:
            ax.scatter(capped, [top] * len(capped), marker="x", color=color, s=60)
    ax.set_title(f"synthetic, {tiers} tiers x {spt} system{'s' if spt > 1 else ''} per tier,\nbinding constraints",
                 fontsize=10)  # fmt: skip
    ax.set_xlabel("nodes (blocks in the chain)")


def _plans_panel(ax: Any, points: dict[str, list[tuple[float, float]]]) -> None:
    for solver, pts in points.items():
        color, marker = STYLE[solver]
        ax.scatter(*zip(*pts), marker=marker, color=color, s=14, alpha=0.6, label=LABEL[solver])
    ax.set_title("every synthetic and shipped run,\nagainst the number of plans to enumerate", fontsize=10)
    ax.set_xlabel("plans (count_scenarios)")


def time_figure(rows: list[dict[str, Any]]) -> Any:
    """Solve time against instance size, log-log, one line per solver; only panels with data; None if none has.

    Returns a :class:`matplotlib.figure.Figure` (drawn without pyplot).
    """
    from matplotlib.figure import Figure

    rows = [normalise(r) for r in rows]
    timed = [r for r in rows if r["status"] in ("optimal", "infeasible") and r["family"] in ("synthetic", "shipped")]
    panels = _panels(rows)
    plans = {
        s: [(r["plans"], r["time_median_s"]) for r in timed if r["solver"] == s and r.get("plans")] for s in SOLVERS
    }
    plans = {s: pts for s, pts in plans.items() if pts}
    n_axes = len(panels) + bool(plans)
    if not n_axes:
        return None
    fig = Figure(figsize=(4.75 * n_axes, 4.8), layout="constrained")
    axes = fig.subplots(1, n_axes, squeeze=False)[0]
    for ax, (tiers, spt) in zip(axes, panels):
        _size_panel(ax, rows, timed, tiers, spt)
    if plans:
        _plans_panel(axes[-1], plans)
    for ax in axes:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("median solve time (s, in process)")
    handles, labels = [], []
    for a in axes:
        for h, lab in zip(*a.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, loc="outside lower center", ncol=max(len(labels), 1), frameon=False,
               title="x at the top of a panel: that solver hit the time or memory cap at that size",
               title_fontsize=8)  # fmt: skip
    return fig


def plot_times(rows: list[dict[str, Any]], path: Path) -> bool:
    """Write :func:`time_figure` to ``path`` (PNG); False (and nothing written) when no run has a time."""
    fig = time_figure(rows)
    if fig is None:
        return False
    fig.savefig(path, dpi=110)
    return True


def write_report(out: Path, rows: list[dict[str, Any]], machine: dict[str, Any], *, plot: bool = True) -> None:
    from scission_opt.io import write_json_atomic, write_text_atomic

    write_json_atomic(out / "machine.json", machine)
    write_text_atomic(out / "results.md", markdown(rows, machine))
    if plot:
        plot_times(rows, out / "time_vs_size.png")
