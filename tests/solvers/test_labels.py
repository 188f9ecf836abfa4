"""Label setting's dominance filter: the plain-Python path for a few rows agrees with the numpy one."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scission_opt.solvers import label_tables

# few distinct values, so that groups, ties and exact duplicates are common
_values = st.sampled_from([-1.0, -0.0, 0.0, 0.5, 1.0, 2.0])


@st.composite
def _rows(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    m = draw(st.integers(2, label_tables.FEW))
    key = np.array(draw(st.lists(st.integers(0, 3), min_size=m, max_size=m)), dtype=np.int64)
    crit = np.array(draw(st.lists(st.tuples(_values, _values), min_size=m, max_size=m)))
    return key, crit


@settings(max_examples=150, deadline=None)
@given(_rows())
def test_few_rows_keep_the_same_labels_as_numpy(rows: tuple[np.ndarray, np.ndarray]) -> None:
    key, crit = rows
    few = label_tables.dominance_keep(key, crit)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(label_tables, "FEW", 0)  # force the numpy path
        vectorised = label_tables.dominance_keep(key, crit)
    assert few.tolist() == vectorised.tolist()


def test_few_rows_drop_the_dominated_and_keep_one_of_equals() -> None:
    key = np.array([0, 0, 0, 0, 1], dtype=np.int64)
    crit = np.array([[1.0, 2.0], [1.0, 2.0], [2.0, 3.0], [2.0, 1.0], [5.0, 5.0]])
    assert label_tables.dominance_keep(key, crit).tolist() == [True, False, False, True, True]
