"""Reading network descriptions: Scission's CSV and JSON."""

from __future__ import annotations

import json

import pytest

from scission_opt.errors import InvalidInstanceError
from scission_opt.instance import Link
from scission_opt.network import load_network, parse_network_csv, parse_network_json


def test_scission_csv_with_padding(tmp_path):
    path = tmp_path / "net.csv"
    path.write_text("source,destination,ping(ms),bandwidth(mbps)\nraspi4,2500,            66.7,  1.6\n\n# comment\n")
    assert load_network(path) == (Link("raspi4", "2500", 66.7, 1.6),)


def test_csv_with_tx_power():
    text = "source,destination,ping_ms,bandwidth_mbps,tx_power_w\na,b,1,2,0.5\n"
    assert parse_network_csv(text) == (Link("a", "b", 1.0, 2.0, 0.5),)


def test_json_forms(tmp_path):
    links = [{"source": "a", "destination": "b", "latency_ms": 5, "bandwidth_mbps": 10}]
    assert parse_network_json({"links": links}) == (Link("a", "b", 5.0, 10.0),)
    path = tmp_path / "net.json"
    path.write_text(json.dumps([{"source": "a", "destination": "b", "ping_ms": 5, "bandwidth_mbps": 10}]))
    assert load_network(path) == (Link("a", "b", 5.0, 10.0),)


@pytest.mark.parametrize(
    "text, prefix",
    [
        ("source,destination,ping_ms,bandwidth_mbps\na,b,x,2\n", "line 2.ping_ms: "),
        ("source,destination,ping_ms,bandwidth_mbps\na,b,1,0\n", "line 2.bandwidth_mbps: "),
        ("source,destination,ping_ms,bandwidth_mbps\na,b,1\n", "line 2: "),
        ("source,destination,ping_ms,bandwidth_mbps\na,a,1,2\n", "line 2: "),
        ("source,destination\n", "line 1: "),
        ("source,destination,ping_ms,bandwidth_mbps\na,b,1,2\na,b,3,4\n", "line 3: "),
        # Scission's files, without a header
        ("a,b,fast,2\n", "line 1.ping_ms: must be a number, got 'fast'"),
        ("a,b,-1,5\n", "line 1.ping_ms: must be >= 0"),
        ("a,b,1,inf\n", "line 1.bandwidth_mbps: must be finite"),
        ("a,b,1,5\na,b,2,5\n", "line 2: link 'a' -> 'b' given twice (first on line 1)"),
        ("a,a,1,5\n", "line 1: a link must join two different systems"),
    ],
)
def test_bad_csv_names_file_and_line(tmp_path, text, prefix):
    path = tmp_path / "net.csv"
    path.write_text(text)
    with pytest.raises(InvalidInstanceError) as err:
        load_network(path)
    assert str(err.value).startswith(f"{path}: {prefix}")


def test_bad_json_field(tmp_path):
    path = tmp_path / "net.json"
    path.write_text(json.dumps({"links": [{"source": "a", "destination": "b", "latency_ms": 1}]}))
    with pytest.raises(InvalidInstanceError, match=r"links\[0\].bandwidth_mbps: missing required field"):
        load_network(path)


def test_missing_file(tmp_path):
    with pytest.raises(InvalidInstanceError, match="no such file"):
        load_network(tmp_path / "none.csv")


def test_scission_file_without_header_and_padding(tmp_path):
    path = tmp_path / "net.csv"
    path.write_text("a,b,1,2\n 2500 , 6700k(GPU),5,100\n")
    assert load_network(path) == (Link("a", "b", 1.0, 2.0), Link("2500", "6700k(GPU)", 5.0, 100.0))
