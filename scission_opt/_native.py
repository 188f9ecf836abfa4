"""OR-Tools and TensorFlow in one process: OR-Tools must be loaded first.

Measured here (ortools 9.15, tensorflow-cpu 2.21, protobuf 6.33 upb): when
TensorFlow is imported before OR-Tools' CP-SAT module, building a CP-SAT model
crashes the interpreter with a segmentation fault; in the other order both work.
The profiler therefore loads CP-SAT before TensorFlow, and the CP-SAT solver
refuses to run (with this explanation) in a process where TensorFlow came first.
"""

from __future__ import annotations

import importlib.util
import sys

CPSAT_MODULE = "ortools.sat.python.cp_model"


def preload_ortools() -> None:
    """Import CP-SAT now (if installed), so that a later TensorFlow import cannot break it."""
    if CPSAT_MODULE not in sys.modules and importlib.util.find_spec("ortools") is not None:
        importlib.import_module(CPSAT_MODULE)


def cpsat_conflict() -> str | None:
    """Why CP-SAT must not run in this process, or ``None``."""
    if "tensorflow" in sys.modules and CPSAT_MODULE not in sys.modules:
        return (
            "TensorFlow was imported before OR-Tools in this process, and CP-SAT then crashes; "
            "import scission_opt._native.preload_ortools() (or ortools) before tensorflow, or use another solver"
        )
    return None
