"""Shared fixtures: instances named after what they are, and the installed solvers."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from scission_opt._native import preload_ortools
from scission_opt.generate import generate
from scission_opt.instance import Instance

# Some tests import keras directly; CP-SAT must be loaded before TensorFlow in one process,
# and TensorFlow's C++ start-up notices are noise in a test log.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
preload_ortools()

DATA = Path(__file__).parent / "data"


def solver_module_exists(name: str) -> bool:
    return importlib.util.find_spec(f"scission_opt.solvers.{name}") is not None


#: Every solver other than the reference whose module is present.
OTHER_SOLVERS = [name for name in ("dp", "cbc", "cpsat") if solver_module_exists(name)]


@pytest.fixture
def synthetic25() -> Instance:
    return generate(25, 3, 1, seed=0)


@pytest.fixture
def synthetic_multi() -> Instance:
    return generate(8, 3, 2, seed=3, memory=True)
