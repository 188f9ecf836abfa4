"""The made-up demo folder: Scission's formats, and the README's example answers (checked by hand)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scission_opt.cli import main
from scission_opt.scission.demo import write_demo
from scission_opt.scission.pickles import load_benchmark_file


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_demo(tmp_path_factory.mktemp("demo"))


def test_files_look_like_scissions(demo: tuple[Path, Path]) -> None:
    bench, csv = demo
    names = sorted(p.name for p in bench.iterdir())
    assert names == ["cloud-server(GPU).dat", "device-phone.dat", "edge-nuc.dat", "edge-vm4core.dat"]
    raw = (bench / "edge-nuc.dat").read_bytes()
    assert raw[:2] == b"\x80\x03" and b"__main__" in raw and b"LayerBenchmark" in raw
    assert [b.second_prediction for b in load_benchmark_file(bench / "edge-nuc.dat")["demo27"]][4:6] == [0.0, 0.0]
    assert csv.read_text().startswith("source,destination,ping(ms),bandwidth(mbps)\n")


def test_readme_examples(demo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    bench, csv = demo
    assert main(["scission", str(bench), str(csv), "demo27", "--result-count", "2"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        # phone -> nuc 0.005 + 150,000 / 6.25e6 = 0.029; nuc 0.09 + 0.11; nuc -> server 0.03 + 1,605,760 / 1.25e7
        # = 0.15846; server 0.011 + 0.013 + 0.004 + 0.006 + 0.004 + 0 = 0.038; total 0.42546 s, 0.15 + 1.60576 MB
        "[1] 0.4255s - 1.7558MB - Device(phone) = -1 - -1, Edge(nuc) = 0 - 6, Cloud(server(GPU)) = 7 - 26",
        "[2] 0.4502s - 0.9529MB - Device(phone) = -1 - -1, Edge(nuc) = 0 - 10, Cloud(server(GPU)) = 11 - 26",
    ]
    # The edge runs only blocks measured at 0 s: phone 4.2 + (0.005 + 802,944 / 6.25e6) + 0
    # + (0.03 + 100,480 / 1.25e7) + server 0.004 = 4.3755 s; 0.802944 + 0.10048 MB.
    assert (
        main(["scission", str(bench), str(csv), "demo27", "-d", "14", "-e", "15", "-c", "23", "--result-count", "1"])
        == 0
    )
    out, err = capsys.readouterr()
    assert out == "[1] 4.3755s - 0.9034MB - Device(phone) = 0 - 14, Edge(nuc) = 15 - 22, Cloud(server(GPU)) = 23 - 26\n"
    assert err.startswith("note: in result 1 a used edge or cloud tier runs only blocks measured at 0 s")
