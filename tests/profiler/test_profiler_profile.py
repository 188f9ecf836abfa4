"""The profile file format: round trip and errors naming file and field."""

from __future__ import annotations

import json

import pytest

from scission_opt.errors import InvalidInstanceError
from scission_opt.profiler.profile import load_profile, parse_profile


def test_round_trip(tmp_path, mobilenet_profile):
    p = load_profile(mobilenet_profile)
    p.save(tmp_path / "copy.json")
    q = load_profile(tmp_path / "copy.json")
    assert q == p
    assert json.loads((tmp_path / "copy.json").read_text()) == json.loads(mobilenet_profile.read_text())


@pytest.mark.parametrize(
    "change, where",
    [
        (lambda d: d.update(format="other"), "format"),
        (lambda d: d["provenance"].update(method="guessed"), "provenance.method"),
        (
            lambda d: d["models"]["mobilenet_v2"]["blocks"][2].pop("output_bytes"),
            "models.mobilenet_v2.blocks[2].output_bytes",
        ),
        (
            lambda d: d["models"]["mobilenet_v2"]["blocks"][0]["latency"].update(median_s=-1),
            "models.mobilenet_v2.blocks[0].latency.median_s",
        ),
        (lambda d: d["models"]["mobilenet_v2"].update(blocks=[]), "models.mobilenet_v2.blocks"),
        (lambda d: d.update(extra=1), "extra"),
    ],
)
def test_errors_name_the_field(mobilenet_profile, change, where):
    data = json.loads(mobilenet_profile.read_text())
    change(data)
    with pytest.raises(InvalidInstanceError) as err:
        parse_profile(data, "p.json")
    assert str(err.value).startswith(f"p.json: {where}: ")


def test_malformed_json(tmp_path):
    path = tmp_path / "p.json"
    path.write_text("{")
    with pytest.raises(InvalidInstanceError, match="malformed JSON"):
        load_profile(path)


def test_a_long_provenance_note_loads(mobilenet_profile):
    """Provenance notes are free text: the shipped H200 profile's runs to over a thousand characters."""
    data = json.loads(mobilenet_profile.read_text())
    data["provenance"]["note"] = "measured elsewhere; " * 60
    assert parse_profile(data, "p.json").provenance.note == "measured elsewhere; " * 60
    data["provenance"]["note"] = "a\x00b"
    with pytest.raises(InvalidInstanceError):
        parse_profile(data, "p.json")
