"""Scission's network CSV: padded values, units, and errors that name the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from scission_opt.errors import InvalidInstanceError
from scission_opt.instance import Link
from scission_opt.scission.network import read_network_csv


def test_padded_rows(tmp_path: Path) -> None:
    path = tmp_path / "net.csv"
    path.write_text("source,destination,ping(ms),bandwidth(mbps)\nraspi4,2500,            66.7,  1.6\n\n 2500 , 6700k(GPU),5,100\n")
    assert read_network_csv(path) == (
        Link("raspi4", "2500", 66.7, 1.6),
        Link("2500", "6700k(GPU)", 5.0, 100.0),
    )


def test_without_header(tmp_path: Path) -> None:
    path = tmp_path / "net.csv"
    path.write_text("a,b,1,2\n")
    assert read_network_csv(path) == (Link("a", "b", 1.0, 2.0),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("source,destination,ping(ms),bandwidth(mbps)\na,b,1\n", "line 2: expected 4 columns"),
        ("a,b,fast,2\n", "line 1: ping(ms) is not a number: 'fast'"),
        ("a,b,1,0\n", "line 1: bandwidth(mbps) must be > 0"),
        ("a,b,-1,5\n", "line 1: ping(ms) must be >= 0"),
        ("a,b,1,5\na,b,2,5\n", "line 2: a -> b is listed twice"),
        ("a,a,1,5\n", "line 1: a link must join two different systems"),
        ("a,b,1,inf\n", "line 1: bandwidth(mbps) must be finite"),
    ],
)
def test_bad_rows(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "net.csv"
    path.write_text(text)
    with pytest.raises(InvalidInstanceError) as err:
        read_network_csv(path)
    assert str(err.value).startswith(f"{path}: ") and message in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInstanceError, match="no such file"):
        read_network_csv(tmp_path / "none.csv")
