"""Shared fixtures: instances named after what they are, and the installed solvers."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
from hypothesis import settings

from scission_opt._native import preload_ortools
from scission_opt.generate import generate
from scission_opt.instance import Instance

# Some tests import keras directly; CP-SAT must be loaded before TensorFlow in one process,
# and TensorFlow's C++ start-up notices are noise in a test log.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
preload_ortools()

DATA = Path(__file__).parent / "data"

# The suite is one reproducible run: the same examples every time, and no per-example deadline (a slow,
# loaded machine must pass too). HYPOTHESIS_PROFILE=explore draws new examples each run, to hunt for bugs;
# SCISSION_FUZZ raises the example counts of the property and fuzz tests.
settings.register_profile("repeatable", derandomize=True, deadline=None)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


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
