"""The safe reader of Scission's .dat pickles: records load, anything else is refused unexecuted."""

from __future__ import annotations

import os
import pickle
import pickletools
from pathlib import Path

import pytest

from scission_opt.errors import InvalidInstanceError, UnsafePickleError
from scission_opt.scission.pickles import LayerBenchmark, load_benchmark_file

from .conftest import dat_bytes, write_dat


def test_reads_records_pickled_as_main_layerbenchmark(tmp_path: Path) -> None:
    data = dat_bytes({"tiny": [(0, 2, 0.5, 1000), (3, 7, 0.0, 40)]})
    assert b"__main__" in data and b"LayerBenchmark" in data
    assert pickle.DEFAULT_PROTOCOL >= 3 and data[:2] == b"\x80\x03"  # protocol 3, as Scission wrote it
    path = tmp_path / "device-pi.dat"
    path.write_bytes(data)
    models = load_benchmark_file(path)
    assert models == {
        "tiny": (
            LayerBenchmark("tiny", "", 0, 2, 0.5, 1000),
            LayerBenchmark("tiny", "", 3, 7, 0.0, 40),
        )
    }


def test_record_class_accepted_under_any_module(tmp_path: Path) -> None:
    data = dat_bytes({"m": [(0, 1, 0.25, 8)]}).replace(b"__main__", b"scission")
    path = tmp_path / "edge-x.dat"
    path.write_bytes(data)
    assert load_benchmark_file(path)["m"][0].second_prediction == 0.25


class _Hostile:
    """Unpickling this with plain pickle.load would run a shell command that creates a marker file."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("protocol", [0, 2, 3, 4])
def test_hostile_pickle_is_refused_and_nothing_runs(tmp_path: Path, protocol: int) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "device-evil.dat"
    path.write_bytes(pickle.dumps({"vgg16": [_Hostile(marker)]}, protocol=protocol))
    with pytest.raises(UnsafePickleError) as err:
        load_benchmark_file(path)
    message = str(err.value)
    assert str(path) in message and "system" in message and "nothing was executed" in message
    assert not marker.exists()


def test_hostile_pickle_would_have_run_under_plain_pickle(tmp_path: Path) -> None:
    # The payload really is dangerous: the plain loader creates the marker.
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Hostile(marker), protocol=3)
    assert "system" in "".join(str(arg) for _, arg, _ in pickletools.genops(payload))
    pickle.loads(payload)
    assert marker.exists()


@pytest.mark.parametrize(
    "payload",
    [
        pickle.dumps(eval, protocol=3),  # builtins.eval
        pickle.dumps({"m": [Path("x")]}, protocol=3),  # an ordinary but unlisted class
        pickle.dumps(complex(1, 2), protocol=3),
    ],
    ids=["builtins.eval", "pathlib", "complex"],
)
def test_other_classes_are_refused(tmp_path: Path, payload: bytes) -> None:
    path = tmp_path / "cloud-x.dat"
    path.write_bytes(payload)
    with pytest.raises(UnsafePickleError, match="refusing to load"):
        load_benchmark_file(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInstanceError, match="no such file"):
        load_benchmark_file(tmp_path / "device-none.dat")


def test_truncated_file(tmp_path: Path) -> None:
    path = tmp_path / "device-pi.dat"
    path.write_bytes(dat_bytes({"m": [(0, 1, 0.1, 8)]})[:-10])
    with pytest.raises(InvalidInstanceError, match="not a readable Scission benchmark pickle"):
        load_benchmark_file(path)


def test_not_a_dict(tmp_path: Path) -> None:
    path = tmp_path / "device-pi.dat"
    path.write_bytes(pickle.dumps([1, 2, 3], protocol=3))
    with pytest.raises(InvalidInstanceError, match="expected a dict"):
        load_benchmark_file(path)


@pytest.mark.parametrize(
    ("blocks", "message"),
    [
        ([(0, 2, -0.5, 10)], r"second_prediction: must be a finite number in \[0, 1e\+15\]"),
        ([(0, 2, float("nan"), 10)], r"second_prediction: must be a finite number in \[0"),
        ([(0, 2, 0.5, "big")], r"output_size: must be a whole number in \[0"),
        ([(0, 2, 10**400, 10)], r"second_prediction: must be a finite number in \[0, 1e\+15\], got an integer of"),
        ([(0, 2, 0.5, 10**400)], r"output_size: must be a whole number in \[0, 1e\+15\], got an integer of"),
        ([(3, 2, 0.5, 10)], "output_layer 2 is before input_layer 3"),
        ([(0, 2, 0.5, 10), (2, 4, 0.5, 10)], "not after the previous block's last layer 2"),
    ],
)
def test_bad_record_values(tmp_path: Path, blocks: list, message: str) -> None:
    path = write_dat(tmp_path / "device-pi.dat", {"m": blocks})
    with pytest.raises(InvalidInstanceError, match=message) as err:
        load_benchmark_file(path)
    assert str(path) in str(err.value) and "m[" in str(err.value)
