"""Each form of Scission's -d/-e/-c criteria and limits, mapped to Constraints."""

from __future__ import annotations

from pathlib import Path

import pytest

from scission_opt.errors import InvalidInstanceError
from scission_opt.instance import Instance
from scission_opt.scission import apply_criteria, scission_instance
from scission_opt.scission.criteria import parse_criteria, parse_time_limit

from .conftest import NETWORK, TIMES, make_bench

DEVICE, EDGE, CLOUD = 0, 1, 2


@pytest.fixture
def tiny(bench: tuple[Path, Path]) -> Instance:
    return scission_instance(*bench, "tiny")


def test_layer_pins_and_bans_map_keras_layers_to_blocks(tiny: Instance) -> None:
    # Blocks cover layers 0-2, 3-5, 6-8, 9-12.
    c = apply_criteria(tiny, {"device": "0, 4", "edge": "!7", "cloud": "12"}).constraints
    assert c.pins == ((0, DEVICE), (1, DEVICE), (3, CLOUD))
    assert c.bans == ((2, EDGE),)


def test_system_names(tiny: Instance) -> None:
    c = apply_criteria(tiny, {"edge": "e2", "cloud": "!gpu(1)"}).constraints
    assert c.allowed_systems == (None, ("e2",), None)
    assert c.excluded_systems == ((), (), ("gpu(1)",))
    c = apply_criteria(tiny, {"edge": "e1,e2"}).constraints
    assert c.allowed_systems[EDGE] == ("e1", "e2")


def test_tier_usage(tiny: Instance) -> None:
    c = apply_criteria(tiny, {"device": "!-1", "edge": "-1"}).constraints
    assert c.tiers_required == frozenset({DEVICE})
    assert c.tiers_forbidden == frozenset({EDGE})


def test_limits(tiny: Instance) -> None:
    c = apply_criteria(
        tiny,
        upload_mb={"device": "0.5", "edge": 2},
        time_limit={"device": "1.5", "edge": "30%", "cloud": " 12.5 % "},
    ).constraints
    assert c.upload_limit_bytes == (500_000.0, 2_000_000.0, None)
    assert c.compute_time_limit_s == (1.5, None, None)
    assert c.compute_time_limit_pct == (None, 30.0, 12.5)


def test_no_criteria_leaves_the_instance_alone(tiny: Instance) -> None:
    assert apply_criteria(tiny, {"device": None}).constraints == tiny.constraints


def test_numeric_system_name(tmp_path: Path) -> None:
    # Scission's example network has an edge machine called 2500: a number no block covers names it.
    times = {"device-pi": TIMES["device-pi"], "edge-2500": TIMES["edge-e1"], "cloud-gpu(1)": TIMES["cloud-gpu(1)"]}
    network = NETWORK.replace("e1", "2500")
    inst = scission_instance(*make_bench(tmp_path / "b", times, network), "tiny")
    c = apply_criteria(inst, {"edge": "2500,5"}).constraints
    assert c.allowed_systems[EDGE] == ("2500",)
    assert c.pins == ((1, EDGE),)
    assert apply_criteria(inst, {"edge": "!2500"}).constraints.excluded_systems[EDGE] == ("2500",)


@pytest.mark.parametrize(
    ("criteria", "message"),
    [
        ({"device": "99"}, "-d: no block of tiny covers layer 99 (layers 0-12) and no device system is called '99'"),
        ({"edge": "!42"}, "-e: no block of tiny covers layer 42"),
        ({"edge": "nope"}, "-e: unknown edge system 'nope' (edge systems: e1, e2)"),
        ({"cloud": "e1"}, "-c: system 'e1' belongs to the edge tier, not the cloud tier"),
        ({"edge": "-1,!-1"}, "-e: tier edge cannot be both required (!-1) and forbidden (-1)"),
        ({"device": "1,,2"}, "-d: empty criterion in '1,,2'"),
        ({"cloud": "!"}, "-c: empty criterion"),
    ],
)
def test_bad_criteria(tiny: Instance, criteria: dict, message: str) -> None:
    with pytest.raises(InvalidInstanceError) as err:
        apply_criteria(tiny, criteria)
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"time_limit": {"edge": "abc"}}, "--edge-time: expected seconds (0.5) or a percentage (30%), got 'abc'"),
        ({"time_limit": {"edge": "120%"}}, "--edge-time: a percentage must be <= 100"),
        ({"time_limit": {"cloud": "-1"}}, "--cloud-time: must be >= 0"),
        ({"upload_mb": {"device": "x"}}, "--device-upload: expected a size in MB, got 'x'"),
        ({"upload_mb": {"edge": "-2"}}, "--edge-upload: must be >= 0 MB"),
    ],
)
def test_bad_limits(tiny: Instance, kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidInstanceError) as err:
        apply_criteria(tiny, **kwargs)
    assert message in str(err.value)


def test_parse_helpers() -> None:
    assert [(t.text, t.negated) for t in parse_criteria(" 3, !name(x) ,!-1", "edge").tokens] == [
        ("3", False),
        ("name(x)", True),
        ("-1", True),
    ]
    assert [t.text for t in parse_criteria("=-1,5", "edge").tokens] == ["-1", "5"]  # from -e=-1,5
    assert parse_time_limit("2", "--x") == (2.0, None)
    assert parse_time_limit("40%", "--x") == (None, 40.0)
