"""The scission and import-scission commands, checked against results computed by hand.

Data: tests/scission/conftest.py. Hop time = ping + bytes / (Mbps x 125,000).
The hops used below:

- pi -> e1 raw input: 0.010 + 150,000 / 1e6 = 0.16 s
- pi -> e2 raw input: 0.020 + 150,000 / 5e5 = 0.32 s
- pi -> gpu(1) raw input: 0.100 + 150,000 / 2.5e5 = 0.70 s
- pi -> e1 after 0-2: 0.010 + 1,000,000 / 1e6 = 1.01 s
- e1 -> gpu(1) after 0-2 / 0-5 / 0-8: 0.05 + 0.10 / 0.05 / 0.025 s
- e2 -> gpu(1) after 0-8: 0.05 + 250,000 / 2e6 = 0.175 s
"""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest

from scission_opt.cli import main
from scission_opt.instance import load_instance
from scission_opt.solve import solve

from .conftest import NETWORK, TIMES, make_bench, write_dat

NO_DEVICE = "Device(pi) = -1 - -1"


def run(capsys: pytest.CaptureFixture[str], bench: tuple[Path, Path], *args: str) -> tuple[int, list[str], str]:
    code = main(["scission", str(bench[0]), str(bench[1]), "tiny", *args])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def test_ranked_list(capsys: pytest.CaptureFixture[str], bench: tuple[Path, Path]) -> None:
    code, lines, _ = run(capsys, bench, "--result-count", "3")
    assert code == 0
    assert lines == [
        # 0.16 + e1 0.2 + 0.15 hop + gpu 0.1 + 0.1 + 0.05; 0.15 MB + 1 MB sent
        f"[1] 0.7600s - 1.1500MB - {NO_DEVICE}, Edge(e1) = 0 - 2, Cloud(gpu(1)) = 3 - 12",
        # 0.32 + e2 0.6
        f"[2] 0.9200s - 0.1500MB - {NO_DEVICE}, Edge(e2) = 0 - 12, Cloud(None) = -1 - -1",
        # 0.70 + gpu 0.3
        f"[3] 1.0000s - 0.1500MB - {NO_DEVICE}, Edge(None) = -1 - -1, Cloud(gpu(1)) = 0 - 12",
    ]


def test_default_result_count_is_five(capsys: pytest.CaptureFixture[str], bench: tuple[Path, Path]) -> None:
    code, lines, _ = run(capsys, bench)
    assert code == 0 and len(lines) == 5
    assert [line.split()[0] for line in lines] == ["[1]", "[2]", "[3]", "[4]", "[5]"]


@pytest.mark.parametrize(
    ("args", "best"),
    [
        # Layer 0 on the device: pi 1.0 + 1.01 hop + e1 0.4 + 0.10 hop + gpu 0.15
        (["-d", "0"], "[1] 2.6600s - 1.5000MB - Device(pi) = 0 - 2, Edge(e1) = 3 - 5, Cloud(gpu(1)) = 6 - 12"),
        # The device must be used: the same plan
        (["-d", "!-1"], "[1] 2.6600s - 1.5000MB - Device(pi) = 0 - 2, Edge(e1) = 3 - 5, Cloud(gpu(1)) = 6 - 12"),
        # Layer 0 not on the edge: everything on the cloud, 0.70 + 0.3
        (["-e", "!0"], f"[1] 1.0000s - 0.1500MB - {NO_DEVICE}, Edge(None) = -1 - -1, Cloud(gpu(1)) = 0 - 12"),
        # Only e2 on the edge: e2 runs all, 0.32 + 0.6
        (["-e", "e2"], f"[1] 0.9200s - 0.1500MB - {NO_DEVICE}, Edge(e2) = 0 - 12, Cloud(None) = -1 - -1"),
        (["-e", "!e1"], f"[1] 0.9200s - 0.1500MB - {NO_DEVICE}, Edge(e2) = 0 - 12, Cloud(None) = -1 - -1"),
        # No edge: 0.70 + 0.3
        (["-e", "-1"], f"[1] 1.0000s - 0.1500MB - {NO_DEVICE}, Edge(None) = -1 - -1, Cloud(gpu(1)) = 0 - 12"),
        # No cloud and only e1: 0.16 + 1.2
        (["-c", "-1", "-e", "e1"], f"[1] 1.3600s - 0.1500MB - {NO_DEVICE}, Edge(e1) = 0 - 12, Cloud(None) = -1 - -1"),
        # Layer 7 on the edge, layer 12 on the cloud: 0.32 + e2 0.5 + 0.175 + gpu 0.05
        (["-e", "7", "-c", "12"], f"[1] 1.0450s - 0.4000MB - {NO_DEVICE}, Edge(e2) = 0 - 8, Cloud(gpu(1)) = 9 - 12"),
        # The device may send 0.1 MB: less than the raw input, so it runs everything (6 s)
        (
            ["--device-upload", "0.1"],
            "[1] 6.0000s - 0.0000MB - Device(pi) = 0 - 12, Edge(None) = -1 - -1, Cloud(None) = -1 - -1",
        ),
        # Edge and cloud used, the edge sends <= 0.3 MB: e2 0-8 as above
        (
            ["--edge-upload", "0.3", "-e", "!-1", "-c", "!-1"],
            f"[1] 1.0450s - 0.4000MB - {NO_DEVICE}, Edge(e2) = 0 - 8, Cloud(gpu(1)) = 9 - 12",
        ),
        # At most 0.15 s on the edge: e1 0-2 (0.2 s) is out; e2 0-2 costs 0.32 + 0.1 + 0.55 + 0.25 = 1.22 > 1.0
        (
            ["--edge-time", "0.15"],
            f"[1] 1.0000s - 0.1500MB - {NO_DEVICE}, Edge(None) = -1 - -1, Cloud(gpu(1)) = 0 - 12",
        ),
        # The cloud at most 50 % of all compute: the best plan has 0.25 of 0.45 s there (56 %), cloud-only 100 %
        (["--cloud-time", "50%"], f"[1] 0.9200s - 0.1500MB - {NO_DEVICE}, Edge(e2) = 0 - 12, Cloud(None) = -1 - -1"),
        # A larger raw input (0.6 MB): pi -> e1 0.61 + 0.2 + 0.15 + 0.25 = 1.21; e1 alone 0.61 + 1.2; gpu 2.5
        (["-i", "0.6"], f"[1] 1.2100s - 1.6000MB - {NO_DEVICE}, Edge(e1) = 0 - 2, Cloud(gpu(1)) = 3 - 12"),
    ],
)
def test_criteria_forms(
    capsys: pytest.CaptureFixture[str], bench: tuple[Path, Path], args: list[str], best: str
) -> None:
    code, lines, err = run(capsys, bench, *args, "--result-count", "1")
    assert (code, lines, err) == (0, [best], "")


def test_numeric_edge_name(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    times = {"device-pi": TIMES["device-pi"], "edge-2500": TIMES["edge-e1"], "cloud-gpu(1)": TIMES["cloud-gpu(1)"]}
    bench = make_bench(
        tmp_path / "b",
        times,
        NETWORK.replace("e1", "2500").replace("e2,gpu(1),      50,  16\n", "").replace("pi,e2,          20,   4\n", ""),
    )
    code, lines, _ = run(capsys, bench, "-e", "2500", "--result-count", "1")
    assert lines == [f"[1] 0.7600s - 1.1500MB - {NO_DEVICE}, Edge(2500) = 0 - 2, Cloud(gpu(1)) = 3 - 12"]


def test_zero_second_blocks_still_pay_their_transfers(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # Edge z measured the first two blocks at 0 s. Scission tests "edge time == 0" to decide the edge is
    # unused, so it would drop the hops through z. The real cost of z 0-5 then gpu 6-12:
    # pi -> z raw 0.01 + 0.15, z 0 s, z -> gpu(1) 0.05 + 500,000 / 1e7, gpu 0.1 + 0.05 = 0.41 s (0.65 MB),
    # not 0.15 s of cloud compute plus a single pi -> gpu(1) hop.
    times = {"device-pi": TIMES["device-pi"], "edge-z": [0.0, 0.0, 0.4, 0.2], "cloud-gpu(1)": TIMES["cloud-gpu(1)"]}
    network = "pi,z,10,8\nz,gpu(1),50,80\npi,gpu(1),100,2\n"
    bench = make_bench(tmp_path / "b", times, network)
    code, lines, err = run(capsys, bench, "-e", "3", "-c", "6", "--result-count", "2")
    assert code == 0
    assert err.startswith("note: in results 1, 2 a used edge or cloud tier runs only blocks measured at 0 s")
    assert lines[0] == f"[1] 0.4100s - 0.6500MB - {NO_DEVICE}, Edge(z) = 0 - 5, Cloud(gpu(1)) = 6 - 12"
    # Rank 2 also runs 0-2 on pi: 1.0 + (0.01 + 1.0) + 0 + (0.05 + 0.05) + 0.15 = 2.26 s (1.0 + 0.5 MB).
    assert lines[1] == "[2] 2.2600s - 1.5000MB - Device(pi) = 0 - 2, Edge(z) = 3 - 5, Cloud(gpu(1)) = 6 - 12"


def test_infeasible_query_exits_1(capsys: pytest.CaptureFixture[str], bench: tuple[Path, Path]) -> None:
    code, lines, err = run(capsys, bench, "-d", "0", "-e", "0")
    assert code == 1 and lines == []
    assert err.startswith("no configuration meets the criteria: infeasible")


def test_plots_from_the_scission_command(
    capsys: pytest.CaptureFixture[str], bench: tuple[Path, Path], tmp_path: Path
) -> None:
    code, _, _ = run(capsys, bench, "--plot", str(tmp_path / "plan.png"), "--timeline", str(tmp_path / "t.svg"))
    assert code == 0
    assert (tmp_path / "plan.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (tmp_path / "t.svg").read_bytes()[:2000]


def test_import_scission_writes_the_same_problem(
    capsys: pytest.CaptureFixture[str], bench: tuple[Path, Path], tmp_path: Path
) -> None:
    out = tmp_path / "tiny.json"
    code = main(["import-scission", str(bench[0]), str(bench[1]), "tiny", "-e", "7", "-c", "12", "-o", str(out)])
    assert code == 0
    assert capsys.readouterr().out.startswith(f"wrote {out}: tiny, 4 blocks, 4 systems, 5 links, constraints: pins")
    data = json.loads(out.read_text())
    assert data["constraints"]["pins"] == [{"node": 2, "tier": "edge"}, {"node": 3, "tier": "cloud"}]
    result = solve(load_instance(out))
    assert result.objective == pytest.approx(1.045)
    assert result.plan.systems == ("pi", "e2", "gpu(1)")


# ---- bad inputs: one line on stderr, exit 2 ---------------------------------------------------


def _bad(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ")
    return err


def test_missing_benchmark_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path, bench: tuple[Path, Path]) -> None:
    err = _bad(capsys, ["scission", str(tmp_path / "none"), str(bench[1]), "tiny"])
    assert "no such benchmark folder" in err


def test_missing_csv(capsys: pytest.CaptureFixture[str], tmp_path: Path, bench: tuple[Path, Path]) -> None:
    err = _bad(capsys, ["scission", str(bench[0]), str(tmp_path / "none.csv"), "tiny"])
    assert err == f"error: {tmp_path / 'none.csv'}: no such file\n"


def test_csv_missing_a_link(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder, csv = make_bench(tmp_path / "b", network=NETWORK.replace("pi,gpu(1),     100,   2\n", ""))
    err = _bad(capsys, ["scission", str(folder), str(csv), "tiny"])
    assert err == f"error: {csv}: no row for the link pi -> gpu(1)\n"
    assert main(["scission", str(folder), str(csv), "tiny", "--partial-network", "--result-count", "1"]) == 0


def test_model_missing_from_one_machine(capsys: pytest.CaptureFixture[str], bench: tuple[Path, Path]) -> None:
    err = _bad(capsys, ["scission", str(bench[0]), str(bench[1]), "vgg16"])
    assert (
        err
        == f"error: {bench[0] / 'device-pi.dat'}: no benchmark for model 'vgg16' (models in this file: other, tiny)\n"
    )
    write_dat(bench[0] / "edge-e2.dat", {"other": [(0, 4, 0.5, 10)]})
    err = _bad(capsys, ["import-scission", str(bench[0]), str(bench[1]), "tiny", "-o", str(bench[0] / "x.json")])
    assert err == f"error: {bench[0] / 'edge-e2.dat'}: no benchmark for model 'tiny' (models in this file: other)\n"
    assert not (bench[0] / "x.json").exists()


class _Shell:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


def test_hostile_benchmark_file(capsys: pytest.CaptureFixture[str], bench: tuple[Path, Path], tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    evil = bench[0] / "edge-evil.dat"
    evil.write_bytes(pickle.dumps({"tiny": [_Shell(marker)]}, protocol=3))
    err = _bad(capsys, ["scission", str(bench[0]), str(bench[1]), "tiny"])
    assert err.startswith(f"error: {evil}: refusing to load ") and "system" in err
    assert not marker.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-d", "99"], "error: -d: no block of tiny covers layer 99"),
        (["-c", "nope"], "error: -c: unknown cloud system 'nope' (cloud systems: gpu(1))"),
        (["--edge-time", "soon"], "error: --edge-time: expected seconds (0.5) or a percentage (30%), got 'soon'"),
        (["--device-upload", "lots"], "error: --device-upload: expected a size in MB, got 'lots'"),
        (["-i", "-1"], "error: -i: input size must be >= 0 MB"),
        (["--plot", "chart.jpg"], "error: chart.jpg: cannot write a .jpg image; use .png or .svg"),
    ],
)
def test_bad_options(
    capsys: pytest.CaptureFixture[str], bench: tuple[Path, Path], args: list[str], message: str
) -> None:
    err = _bad(capsys, ["scission", str(bench[0]), str(bench[1]), "tiny", *args])
    assert err.startswith(message)
