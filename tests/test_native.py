"""The OR-Tools / TensorFlow import order, in fresh processes (the failure is a crash)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

# find_spec, not importorskip: importing TensorFlow into this process before OR-Tools is the very crash tested here.
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None or importlib.util.find_spec("ortools") is None,
    reason="needs TensorFlow and OR-Tools",
)

SOLVE = (
    "import scission_opt as so\n"
    "from scission_opt.generate import generate\n"
    "from scission_opt.instance import Constraints\n"
    "i = generate(8, 3, 2, 1).replace(constraints=Constraints(deadline_s=50))\n"
)


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


def test_profiler_loads_tensorflow_after_ortools_so_cpsat_works() -> None:
    code = (
        "from scission_opt.profiler._tf import tensorflow\ntensorflow()\n"
        + SOLVE
        + "print(so.solve(i, 'cpsat').status.value)"
    )
    proc = _run(code)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "optimal"


def test_cpsat_refuses_by_name_after_a_bare_tensorflow_import() -> None:
    code = (
        "import os; os.environ['TF_CPP_MIN_LOG_LEVEL'] = '2'\nimport tensorflow\n"
        + SOLVE
        + "from scission_opt.solvers import get_solver\n"
        "from scission_opt.objectives import get_objective\n"
        "print(get_solver('cpsat').unsupported(i, get_objective('latency')))\n"
        "r = so.solve(i)\nprint(r.solver, r.status.value)"
    )
    proc = _run(code)
    assert proc.returncode == 0, proc.stderr[-2000:]
    reason, answer = proc.stdout.strip().splitlines()
    assert "TensorFlow was imported before OR-Tools" in reason
    solver, status = answer.split()
    assert solver != "cpsat" and status == "optimal"  # auto takes another exact solver
