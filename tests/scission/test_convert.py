"""A Scission benchmark folder + network CSV + model -> Instance, and the checks on those files."""

from __future__ import annotations

from pathlib import Path

import pytest

from scission_opt.errors import InvalidInstanceError
from scission_opt.instance import load_instance
from scission_opt.scission import scission_instance

from .conftest import NETWORK, OUTPUT, TIMES, make_bench, tiny_blocks, write_dat


def test_instance_shape(bench: tuple[Path, Path]) -> None:
    inst = scission_instance(*bench, "tiny")
    assert inst.model == "tiny" and inst.tiers == ("device", "edge", "cloud")
    assert [n.layers for n in inst.nodes] == [(0, 2), (3, 5), (6, 8), (9, 12)]
    assert [n.output_bytes for n in inst.nodes] == OUTPUT
    assert all(n.param_bytes == 0 for n in inst.nodes)
    assert "param_bytes are 0" in inst.provenance
    assert inst.input_bytes == 150_000  # Scission's default 0.15 MB
    assert [(s.name, s.tier) for s in inst.systems] == [
        ("pi", "device"),
        ("e1", "edge"),
        ("e2", "edge"),
        ("gpu(1)", "cloud"),
    ]
    assert inst.systems[0].trusted and not inst.systems[3].trusted
    assert list(inst.latency[2]) == TIMES["edge-e2"]
    assert inst.is_chain
    link = {(lk.source, lk.destination): lk for lk in inst.links}[("pi", "gpu(1)")]
    assert (link.latency_ms, link.bandwidth_mbps) == (100.0, 2.0)
    assert inst.link_bytes_per_s[0, 3] == 250_000  # 2 Mbps


def test_input_size_and_round_trip(bench: tuple[Path, Path], tmp_path: Path) -> None:
    inst = scission_instance(*bench, "tiny", input_mb=0.6)
    assert inst.input_bytes == 600_000
    inst.save(tmp_path / "tiny.json")
    back = load_instance(tmp_path / "tiny.json")
    assert back.to_dict() == inst.to_dict()


def test_rows_for_other_machines_are_ignored(tmp_path: Path) -> None:
    folder, csv = make_bench(tmp_path / "b", network=NETWORK + "pi,elsewhere,1,1\n")
    assert len(scission_instance(folder, csv, "tiny").links) == 5


def _message(excinfo: pytest.ExceptionInfo) -> str:
    return str(excinfo.value)


def test_missing_link(tmp_path: Path) -> None:
    folder, csv = make_bench(tmp_path / "b", network=NETWORK.replace("e2,gpu(1),      50,  16\n", ""))
    with pytest.raises(InvalidInstanceError) as err:
        scission_instance(folder, csv, "tiny")
    assert _message(err) == f"{csv}: no row for the link e2 -> gpu(1)"
    # With --partial-network the pair just cannot be consecutive.
    inst = scission_instance(folder, csv, "tiny", partial_network=True)
    assert not inst.has_link[inst.system_index["e2"], inst.system_index["gpu(1)"]]


def test_model_missing_from_one_machine(tmp_path: Path) -> None:
    folder, csv = make_bench(tmp_path / "b")
    write_dat(folder / "edge-e2.dat", {"other": [(0, 4, 0.5, 10)]})
    with pytest.raises(InvalidInstanceError) as err:
        scission_instance(folder, csv, "tiny")
    assert _message(err) == f"{folder / 'edge-e2.dat'}: no benchmark for model 'tiny' (models in this file: other)"


def test_different_block_layouts(tmp_path: Path) -> None:
    folder, csv = make_bench(tmp_path / "b")
    write_dat(folder / "cloud-gpu(1).dat", {"tiny": [(0, 5, 0.1, 10), (6, 12, 0.1, 10)]})
    with pytest.raises(InvalidInstanceError, match="split into different blocks than in device-pi.dat"):
        scission_instance(folder, csv, "tiny")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("fog-x.dat", "benchmark file names must be <tier>-<system>.dat"),
        ("edge-pi.dat", "system name 'pi' also used by device-pi.dat"),
    ],
)
def test_bad_file_names(tmp_path: Path, name: str, message: str) -> None:
    folder, csv = make_bench(tmp_path / "b")
    write_dat(folder / name, {"tiny": tiny_blocks([1, 1, 1, 1])})
    with pytest.raises(InvalidInstanceError, match=message):
        scission_instance(folder, csv, "tiny")


def test_no_device_file(tmp_path: Path) -> None:
    folder, csv = make_bench(tmp_path / "b", {"edge-e1": TIMES["edge-e1"]})
    with pytest.raises(InvalidInstanceError, match="no device-<system>.dat file"):
        scission_instance(folder, csv, "tiny")


def test_missing_folder_and_csv(tmp_path: Path, bench: tuple[Path, Path]) -> None:
    with pytest.raises(InvalidInstanceError, match="no such benchmark folder"):
        scission_instance(tmp_path / "nowhere", bench[1], "tiny")
    with pytest.raises(InvalidInstanceError, match="no such file"):
        scission_instance(bench[0], tmp_path / "none.csv", "tiny")
