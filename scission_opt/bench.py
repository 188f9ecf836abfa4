"""``python -m scission_opt bench``: run the benchmark harness of a clone of the repository.

The harness lives in ``benchmarks/`` at the repository root, not in the
package: it is not shipped in the wheel, and its families, baseline and
results belong to the repository. This command finds that folder (the folder
named by ``SCISSION_OPT_BENCHMARKS``, else ``benchmarks/`` next to the package
directory, which is where an editable install or a checkout puts it, else
``benchmarks/`` in the current folder), imports it as the package
``benchmarks`` and hands it every argument unchanged: ``bench --quick`` is
``python benchmarks/run.py --quick``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .errors import ScissionError

ENV = "SCISSION_OPT_BENCHMARKS"


def find_harness() -> Path | None:
    """The ``benchmarks/`` folder holding ``run.py``, or ``None``."""
    candidates = [Path(os.environ[ENV])] if os.environ.get(ENV) else []
    candidates += [
        Path(__file__).resolve().parent.parent / "benchmarks",
        Path.cwd() / "benchmarks",
    ]
    for folder in candidates:
        if (folder / "run.py").is_file() and (folder / "__init__.py").is_file():
            return folder.resolve()
    return None


def load_harness():  # type: ignore[no-untyped-def]
    """Import ``benchmarks.run`` from the folder :func:`find_harness` finds."""
    import importlib

    folder = find_harness()
    if folder is None:
        raise ScissionError(
            "bench runs the harness in benchmarks/ of a clone of the repository, and none was found next to the "
            f"package or in the current folder (set {ENV} to that folder)"
        )
    loaded = sys.modules.get("benchmarks")
    if (
        loaded is not None
        and Path(getattr(loaded, "__file__", "") or "").resolve().parent != folder
    ):
        raise ScissionError(
            f"another module called 'benchmarks' is already imported ({loaded.__file__})"
        )
    root = str(folder.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    return importlib.import_module("benchmarks.run")


def cmd_bench(args: argparse.Namespace) -> int:
    harness = load_harness()
    argv = list(args.harness_args)
    return int(harness.main(argv, prog="python -m scission_opt bench"))


def register(subparsers) -> None:  # type: ignore[no-untyped-def]
    # The harness parses its own options (see benchmarks/run.py); '+' as the prefix
    # keeps argparse from reading '--quick' here, and the harness's -h applies.
    p = subparsers.add_parser(
        "bench",
        help="run the benchmark harness of a repository clone (--quick: small subset, checks agreement)",
        add_help=False,
        prefix_chars="+",
    )
    p.add_argument("harness_args", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_bench)
