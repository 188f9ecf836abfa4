"""From profiles to a solved instance, and the bad inputs of build-instance (through the CLI)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

import scission_opt
from scission_opt.cli import main
from scission_opt.errors import InvalidInstanceError
from scission_opt.instance import load_instance
from scission_opt.network import parse_network_csv
from scission_opt.profiler.build import build_instance, check_same_blocks, parse_system_properties
from scission_opt.profiler.profile import load_profile

NETWORK = """source,destination,ping(ms),bandwidth(mbps)
dev,   host,  66.7, 1.6
dev,   gpu,  100,   1.6
host,  gpu,   20,  50
"""

SPEC = {
    "name": "gpu",
    "tier": "cloud",
    "peak_flops": 8.1e12,
    "memory_bandwidth": 320e9,
    "fixed_s": 2e-4,
    "source": "NVIDIA T4 datasheet",
}

SYSTEMS = {"systems": {"dev": {"memory_bytes": 4e9, "compute_w": 6.4, "idle_w": 2.7, "provenance": "literature"}}}


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err, err
    return err


@pytest.fixture
def files(tmp_path: Path, mobilenet_profile: Path) -> dict[str, Path]:
    """A device profile (the edge profile renamed), the measured edge one, a GPU spec, network and systems."""
    data = json.loads(mobilenet_profile.read_text())
    data["system"], data["tier"] = "dev", "device"
    out = {
        "edge": mobilenet_profile,
        "device": tmp_path / "device-dev.json",
        "spec": tmp_path / "t4.json",
        "network": tmp_path / "net.csv",
        "systems": tmp_path / "systems.json",
    }
    out["device"].write_text(json.dumps(data))
    out["spec"].write_text(json.dumps(SPEC))
    out["network"].write_text(NETWORK)
    out["systems"].write_text(json.dumps(SYSTEMS))
    return out


def test_profile_build_solve_end_to_end(tmp_path, files, capsys):
    """mobilenet_v2 at 96x96: profile (fixture, on this host) -> estimate -> build-instance -> solve."""
    cloud = tmp_path / "cloud-gpu.json"
    assert (
        main(
            [
                "estimate",
                str(files["edge"]),
                "--spec",
                str(files["spec"]),
                "-o",
                str(cloud),
                "--compare",
                str(files["edge"]),
            ]
        )
        == 0
    )
    inst_path = tmp_path / "mobilenet_v2.json"
    assert (
        main(
            [
                "build-instance",
                "mobilenet_v2",
                "--profile",
                str(files["device"]),
                "--profile",
                str(files["edge"]),
                "--profile",
                str(cloud),
                "--network",
                str(files["network"]),
                "--systems",
                str(files["systems"]),
                "-o",
                str(inst_path),
            ]
        )
        == 0
    )
    instance = load_instance(inst_path)
    profile = load_profile(files["edge"]).model("mobilenet_v2")
    assert instance.tiers == ("device", "edge", "cloud")
    assert [s.name for s in instance.systems] == ["dev", "host", "gpu"]
    assert instance.n_nodes == len(profile.blocks) and instance.is_chain
    assert instance.input_bytes == 96 * 96 * 3 * 4
    assert instance.systems[1].latency_s == profile.latency_s
    dev = instance.systems[0]
    assert (dev.memory_bytes, dev.compute_w, dev.idle_w, dev.trusted) == (4e9, 6.4, 2.7, True)
    assert "estimated" in instance.systems[2].provenance and "T4" in instance.systems[2].provenance
    assert "measured on" in instance.systems[1].provenance
    result = scission_opt.solve(instance)
    assert result.status.has_plan
    metrics = scission_opt.evaluate(instance, result.plan)
    assert metrics.feasible and metrics.latency_s == pytest.approx(result.objective)
    # All on the device is a valid plan, so the optimum is no worse.
    assert result.objective <= sum(dev.latency_s) * (1 + 1e-9)
    assert main(["solve", str(inst_path)]) == 0


def test_unknown_model_is_one_line_exit_2(tmp_path, capsys):
    assert main(["profile", "alexnet", "--system", "h", "--tier", "edge", "-o", str(tmp_path / "p.json")]) == 2
    assert "unknown model 'alexnet'" in _one_line_error(capsys)
    assert not (tmp_path / "p.json").exists()


def test_unreadable_model_file_is_one_line_exit_2(tmp_path, capsys):
    bad = tmp_path / "broken.keras"
    bad.write_bytes(b"\x00not a keras archive")
    assert main(["profile", str(bad), "--system", "h", "--tier", "edge", "-o", str(tmp_path / "p.json")]) == 2
    assert f"{bad}: model: cannot load model" in _one_line_error(capsys)
    assert (
        main(
            ["profile", str(tmp_path / "missing.h5"), "--system", "h", "--tier", "edge", "-o", str(tmp_path / "p.json")]
        )
        == 2
    )
    assert "no such model file" in _one_line_error(capsys)


def test_profiles_with_different_blocks_name_system_and_block(tmp_path, files, capsys):
    data = json.loads(files["device"].read_text())
    data["models"]["mobilenet_v2"]["blocks"][3]["output_bytes"] += 4
    files["device"].write_text(json.dumps(data))
    code = main(
        [
            "build-instance",
            "mobilenet_v2",
            "--profile",
            str(files["edge"]),
            "--profile",
            str(files["device"]),
            "--network",
            str(files["network"]),
            "-o",
            str(tmp_path / "i.json"),
        ]
    )
    assert code == 2
    err = _one_line_error(capsys)
    assert f"{files['device']}: models.mobilenet_v2.blocks[3]: system 'dev': block 3 differs" in err
    assert "output_bytes" in err
    assert not (tmp_path / "i.json").exists()


def test_profiles_with_different_block_counts(files):
    edge, dev = load_profile(files["edge"]), load_profile(files["device"])
    m = dev.model("mobilenet_v2")
    shorter = dataclasses.replace(dev, models=(dataclasses.replace(m, blocks=m.blocks[:-1]),))
    with pytest.raises(InvalidInstanceError, match="system 'dev' has .* blocks"):
        check_same_blocks("mobilenet_v2", [edge, shorter])


def test_missing_network_link_is_one_line_exit_2(tmp_path, files, capsys):
    files["network"].write_text("\n".join(NETWORK.splitlines()[:-1]) + "\n")  # no host -> gpu
    cloud = tmp_path / "cloud-gpu.json"
    assert main(["estimate", str(files["edge"]), "--spec", str(files["spec"]), "-o", str(cloud)]) == 0
    capsys.readouterr()
    code = main(
        [
            "build-instance",
            "mobilenet_v2",
            "--profile",
            str(files["device"]),
            "--profile",
            str(files["edge"]),
            "--profile",
            str(cloud),
            "--network",
            str(files["network"]),
            "-o",
            str(tmp_path / "i.json"),
        ]
    )
    assert code == 2
    assert f"{files['network']}: links: missing link host -> gpu (edge -> cloud)" in _one_line_error(capsys)


def test_model_not_in_profile(files):
    with pytest.raises(InvalidInstanceError, match="model 'vgg16' is not in the profile of system 'host'"):
        build_instance("vgg16", [load_profile(files["edge"])], parse_network_csv(NETWORK))


def test_same_system_twice(files):
    p = load_profile(files["edge"])
    with pytest.raises(InvalidInstanceError, match="system 'host' is also profiled"):
        build_instance("mobilenet_v2", [p, p], parse_network_csv(NETWORK))


def test_system_properties_reject_unknown_fields():
    with pytest.raises(InvalidInstanceError, match="systems.dev.memory: unknown field"):
        parse_system_properties({"systems": {"dev": {"memory": 4}}}, "systems.json")


def test_build_instance_fits_and_carries_the_segment_cost(tmp_path):
    from pathlib import Path

    from scission_opt.cli import main
    from scission_opt.instance import load_instance
    from scission_opt.profiler.overhead import fit_profile
    from scission_opt.profiler.profile import load_profile

    shipped = Path(__file__).resolve().parents[2] / "instances" / "profiles" / "edge-host-2threads.json"
    network = tmp_path / "net.csv"
    network.write_text("source,destination,ping_ms,bandwidth_mbps\n")
    out = tmp_path / "m.json"
    args = ["build-instance", "mobilenet", "--profile", str(shipped), "--network", str(network), "-o", str(out)]
    assert main([*args, "--fit-overhead"]) == 0
    inst = load_instance(out)
    f = fit_profile(load_profile(shipped)).segment_overhead_s
    (system,) = inst.systems
    assert system.segment_overhead_s == f > 0
    gross = load_profile(shipped).model("mobilenet").latency_s
    assert system.latency_s == tuple(max(b - f, 0.0) for b in gross)
    assert "fitted over 18 models" in system.provenance
    assert main(args) == 0 and load_instance(out).systems[0].segment_overhead_s == 0.0
