"""Loading, validating and writing instances; one bad file per failure mode."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scission_opt import InvalidInstanceError, load_instance, parse_instance
from scission_opt.cli import main
from scission_opt.instance import Constraints, Link

from .conftest import DATA

#: bad file -> the field path and words its one-line error must contain
BAD_FILES = {
    "malformed_json": ("malformed JSON", "line 1"),
    "missing_tiers": ("tiers:", "missing required field"),
    "unknown_field": ("systems[1].colour", "unknown field"),
    "negative_latency": ("systems[0].latency_s[1]", "must be >= 0, got -0.1"),
    "nan_bandwidth": ("links[2].bandwidth_mbps", "finite"),
    "infinite_bytes": ("model.input_bytes", "finite"),
    "zero_bandwidth": ("links[2].bandwidth_mbps", "must be > 0"),
    "wrong_length": ("systems[2].latency_s", "must have 3 entries"),
    "link_unknown_system": ("links[0].destination", "unknown system 'nucc'"),
    "pin_unknown_tier": ("constraints.pins[0].tier", "unknown tier 'fog'"),
    "ban_unknown_node": ("constraints.bans[0].node", "unknown node 'zz'"),
    "pin_unknown_layer": ("constraints.pins[0].layer", "no node covers model layer 99"),
    "system_unknown_tier": ("systems[1].tier", "unknown tier 'fog'"),
    "wrong_format": ("format", "unsupported format"),
    "allowed_system_wrong_tier": ("constraints.allowed_systems.edge[0]", "is in tier 'cloud'"),
    "percent_over_100": ("constraints.compute_time_limit_pct.edge", "must be <= 100"),
    "privacy_too_many": ("constraints.privacy_nodes", "must be <="),
    "duplicate_system": ("systems[2].name", "duplicate name 'pi'"),
    "node_input_not_earlier": ("model.nodes[2].inputs[0]", "earlier node"),
    "unknown_weight": ("objective.weights.happiness", "unknown objective"),
}


def test_every_bad_file_has_a_case() -> None:
    on_disk = {p.stem for p in (DATA / "bad").glob("*.json")}
    assert on_disk == set(BAD_FILES)


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_raises_one_line_with_file_and_field(name: str) -> None:
    path = DATA / "bad" / f"{name}.json"
    with pytest.raises(InvalidInstanceError) as info:
        load_instance(path)
    message = str(info.value)
    field, words = BAD_FILES[name]
    assert message.startswith(str(path))
    assert field in message and words in message
    assert "\n" not in message


@pytest.mark.parametrize("name", sorted(BAD_FILES))
@pytest.mark.parametrize("command", ["solve", "validate"])
def test_bad_file_cli_exit_2_without_traceback(name: str, command: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main([command, str(DATA / "bad" / f"{name}.json")])
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "Traceback" not in captured.err


def test_missing_file_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", "does/not/exist.json"]) == 2
    assert "does/not/exist.json: no such file" in capsys.readouterr().err


def test_round_trip_preserves_everything(tmp_path: Path) -> None:
    data = json.loads((DATA / "tiny.json").read_text())
    data["constraints"] = {
        "privacy_nodes": 1,
        "pins": [{"node": 2, "tier": "cloud"}],
        "bans": [{"layer": 2, "tier": "edge"}],
        "allowed_systems": {"edge": ["nuc"]},
        "excluded_systems": {"cloud": []},
        "tiers_required": ["device"],
        "tiers_forbidden": ["edge"],
        "energy_budget_j": 3.5,
        "upload_limit_bytes": {"device": 600},
        "compute_time_limit_s": {"device": 2},
        "compute_time_limit_pct": {"cloud": 50},
        "deadline_s": 9,
    }
    data["objective"] = {"name": "weighted", "weights": {"latency": 1, "energy": 0.5}}
    data["options"] = {"return_output": True}
    data["links"].append({"source": "gpu", "destination": "pi", "latency_ms": 5, "bandwidth_mbps": 10})
    first = parse_instance(data, "a")
    first.save(tmp_path / "x.json")
    second = load_instance(tmp_path / "x.json")
    assert second.to_dict() == first.to_dict()
    assert second.constraints == first.constraints
    assert second.constraints.bans == ((1, 1),)  # layer 2 is in node 1
    assert second.return_output and second.objective.weights == (("latency", 1.0), ("energy", 0.5))


def test_defaults_trust_first_tier_only() -> None:
    instance = load_instance(DATA / "tiny.json")
    assert [s.trusted for s in instance.systems] == [True, False, False]
    assert instance.is_chain
    assert instance.boundary_bytes.tolist() == [1000, 500, 250, 100]


def test_dag_is_loaded_refused_by_chain_solvers_and_solved_by_auto() -> None:
    from scission_opt import UnsupportedError, solve

    data = json.loads((DATA / "tiny.json").read_text())
    data["model"]["nodes"][2]["inputs"] = [0, 1]  # a skip connection
    instance = parse_instance(data)
    assert not instance.is_chain
    for solver in ("exhaustive", "dp"):
        with pytest.raises(UnsupportedError, match="not a chain"):
            solve(instance, solver)
    assert solve(instance).solver.startswith("dag-")  # auto takes a DAG solver


# ---- one validated construction path: typed objects check themselves like the reader ----------------

TYPED_CASES = {
    # name: (change to the JSON document, change to the typed instance, field path, words)
    "negative_latency": (
        lambda d: d["systems"][0]["latency_s"].__setitem__(1, -0.1),
        lambda i: i.replace(systems=(dataclasses.replace(i.systems[0], latency_s=(1.0, -0.1, 4.0)), *i.systems[1:])),
        "latency_s[1]",
        "must be >= 0, got -0.1",
    ),
    "unknown_link_system": (
        lambda d: d["links"][0].__setitem__("destination", "nucc"),
        lambda i: i.replace(links=(Link("pi", "nucc", 10, 0.008), *i.links[1:])),
        "links[0].destination",
        "unknown system 'nucc'",
    ),
    "duplicate_system": (
        lambda d: d["systems"][2].__setitem__("name", "pi"),
        lambda i: i.replace(systems=(*i.systems[:2], dataclasses.replace(i.systems[2], name="pi"))),
        "systems[2].name",
        "duplicate name 'pi'",
    ),
    "privacy_too_many": (
        lambda d: d.__setitem__("constraints", {"privacy_nodes": 9}),
        lambda i: i.replace(constraints=Constraints(privacy_nodes=9)),
        "constraints.privacy_nodes",
        "must be <= the number of nodes (3), got 9",
    ),
    "node_input_not_earlier": (
        lambda d: d["model"]["nodes"][1].__setitem__("inputs", [2]),
        lambda i: i.replace(nodes=(i.nodes[0], dataclasses.replace(i.nodes[1], inputs=(2,)), i.nodes[2])),
        "model.nodes[1].inputs[0]",
        "must name an earlier node (index < 1), got 2",
    ),
    "control_character": (
        lambda d: d["tiers"].__setitem__(1, "ed\nge"),
        lambda i: i.replace(tiers=("device", "ed\nge", "cloud")),
        "tiers[1]",
        "must not contain control characters",
    ),
}


@pytest.mark.parametrize("case", sorted(TYPED_CASES))
def test_typed_construction_fails_like_the_reader(case: str) -> None:
    change_json, change_typed, field, words = TYPED_CASES[case]
    data = json.loads((DATA / "tiny.json").read_text())
    change_json(data)
    with pytest.raises(InvalidInstanceError) as from_file:
        parse_instance(data, "tiny.json")
    with pytest.raises(InvalidInstanceError) as typed:
        change_typed(load_instance(DATA / "tiny.json"))
    assert from_file.value.detail == typed.value.detail
    assert words in typed.value.detail
    assert from_file.value.field is not None and typed.value.field is not None
    assert from_file.value.field.endswith(field) and typed.value.field.endswith(field)


def test_constraints_check_themselves() -> None:
    with pytest.raises(InvalidInstanceError, match=r"constraints\.deadline_s: must be >= 0"):
        Constraints(deadline_s=-1.0)
    with pytest.raises(InvalidInstanceError, match=r"constraints\.compute_time_limit_pct\[0\]: must be <= 100"):
        Constraints(compute_time_limit_pct=(150.0,))
    with pytest.raises(InvalidInstanceError, match="both required and forbidden"):
        Constraints(tiers_required=frozenset({1}), tiers_forbidden=frozenset({1}))


def test_plan_count_matches_enumeration() -> None:
    import itertools

    from scission_opt.generate import generate

    for n, tiers, systems, seed in [(1, 1, 1, 0), (3, 3, 1, 0), (5, 3, 2, 1), (6, 4, 3, 2)]:
        inst = generate(n, tiers, systems, seed)
        count = 0
        for cuts in itertools.combinations_with_replacement(range(n + 1), tiers - 1):
            bounds = (0, *cuts, n)
            ways = len(inst.candidates[0])
            for t in range(1, tiers):
                if bounds[t + 1] > bounds[t]:
                    ways *= len(inst.candidates[t])
            count += ways
        assert inst.plan_count == count


@given(
    ranges=st.lists(st.tuples(st.integers(0, 12), st.integers(0, 3)), min_size=1, max_size=5),
    layers=st.lists(st.integers(0, 16), min_size=1, max_size=4),
)
def test_pins_by_layer_name_the_first_node_covering_it(ranges: list[tuple[int, int]], layers: list[int]) -> None:
    """Layer lookups (bisection where ranges ascend, a scan where they overlap) agree with ``node_of_layer``."""
    data = json.loads((DATA / "tiny.json").read_text())
    data["model"]["nodes"] = [
        {"name": f"n{i}", "layers": [first, first + width], "output_bytes": 10}
        for i, (first, width) in enumerate(ranges)
    ]
    for system in data["systems"]:
        system["latency_s"] = [0.1] * len(ranges)
    data["constraints"] = {"bans": [{"layer": layer, "tier": "edge"} for layer in layers]}
    reference = parse_instance({**data, "constraints": {}}, "f.json")
    expected = [reference.node_of_layer(layer) for layer in layers]
    if None in expected:
        with pytest.raises(InvalidInstanceError, match=f"no node covers model layer {layers[expected.index(None)]}"):
            parse_instance(data, "f.json")
    else:
        assert [node for node, _ in parse_instance(data, "f.json").constraints.bans] == expected
