"""Profiling on this host with real TensorFlow: blocks, timings, checkpoint, resume, threads."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scission_opt.profiler.measure import ResumeMismatchError, profile_model, profile_models
from scission_opt.profiler.profile import load_profile

from .conftest import SKIP_BRANCH_SPLITS

ROOT = Path(__file__).resolve().parents[2]


def test_profile_model_file(skip_branch_file):
    m = profile_model(str(skip_branch_file), repeats=3)
    assert m.name == "skip_branch"
    assert [b.layers[1] for b in m.blocks] == list(SKIP_BRANCH_SPLITS)
    assert m.blocks[0].layers[0] == 0
    assert m.max_chain_diff == 0.0
    assert m.input_bytes == 8 * 8 * 3 * 4
    assert m.n_layers == 10
    for b in m.blocks:
        assert b.latency.repeats == 3
        assert b.latency.min_s <= b.latency.q1_s <= b.latency.median_s <= b.latency.q3_s <= b.latency.max_s
        assert b.flops is not None and b.flops >= 0
    assert m.blocks[0].flops >= 2 * 8 * 8 * 4 * 27  # c1: one multiply-add per weight and output
    assert m.whole.median_s > 0 and m.fixed_call.median_s > 0
    assert m.ratio == pytest.approx(m.sum_of_blocks_s / m.whole.median_s)
    assert m.build_s <= m.profile_s


def test_mobilenet_profile_file(mobilenet_profile):
    p = load_profile(mobilenet_profile)
    assert (p.system, p.tier, p.provenance.method) == ("host", "edge", "measured")
    assert p.provenance.repeats == 2 and p.provenance.cores >= 1 and p.provenance.tensorflow
    m = p.model("mobilenet_v2")
    assert m is not None and m.input_shape == (96, 96, 3)
    assert len(m.blocks) > 20
    assert m.max_chain_diff is not None and m.max_chain_diff < 1e-4
    assert "alpha=0.35" in m.source and "weights=None" in m.source


def _profile_cmd(out: Path, *models: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "scission_opt",
        "profile",
        *models,
        "--system",
        "host",
        "--tier",
        "edge",
        "--repeats",
        "2",
        "--no-progress",
        "-o",
        str(out),
    ]


def test_interrupted_run_resumes_without_redoing(tmp_path, skip_branch_file, chain_file):
    out = tmp_path / "p.json"
    # The first model is quick; the second (a 224x224 VGG16) takes seconds: kill the run during it.
    proc = subprocess.Popen(
        _profile_cmd(out, str(skip_branch_file), "vgg16"),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not out.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before it could be interrupted"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    first = json.loads(out.read_text())  # written atomically: always complete JSON
    assert list(first["models"]) == ["skip_branch"]

    # Carry on with another quick model in place of VGG16: the first is kept as it was.
    profile = profile_models(
        [str(skip_branch_file), str(chain_file)],
        out,
        system="host",
        tier="edge",
        repeats=2,
        resume=True,
        progress=False,
    )
    assert [m.name for m in profile.models] == ["skip_branch", "chain"]
    again = json.loads(out.read_text())
    assert again["models"]["skip_branch"] == first["models"]["skip_branch"]


def test_resume_refuses_other_settings(tmp_path, chain_file):
    out = tmp_path / "p.json"
    profile_models([str(chain_file)], out, system="host", tier="edge", repeats=2, progress=False)
    with pytest.raises(ResumeMismatchError, match="provenance.repeats"):
        profile_models([str(chain_file)], out, system="host", tier="edge", repeats=3, resume=True, progress=False)
    with pytest.raises(ResumeMismatchError, match="system"):
        profile_models([str(chain_file)], out, system="other", tier="edge", repeats=2, resume=True, progress=False)


def test_resume_refuses_another_input_shape(tmp_path):
    out = tmp_path / "p.json"
    kwargs = dict(system="host", tier="edge", repeats=1, progress=False, options={"alpha": 0.35})
    profile_models(["mobilenet_v2"], out, input_shape=(32, 32, 3), **kwargs)
    with pytest.raises(ResumeMismatchError, match=r"models.mobilenet_v2.source: cannot resume"):
        profile_models(["mobilenet_v2"], out, input_shape=(64, 64, 3), resume=True, **kwargs)


def test_threads_are_recorded(tmp_path, chain_file):
    # Thread pools are fixed per process: measure in a fresh one.
    out = tmp_path / "p.json"
    cmd = _profile_cmd(out, str(chain_file)) + ["--threads", "1"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    prov = load_profile(out).provenance
    assert (prov.threads, prov.inter_op_threads) == (1, 1)
    assert "chain: 2 blocks" in done.stdout


def test_resume_removes_and_reports_a_checkpoint_temp_file(tmp_path, chain_file, capsys):
    from scission_opt.cli import main

    out = tmp_path / "p.json"
    args = [
        "profile",
        str(chain_file),
        "--system",
        "host",
        "--tier",
        "edge",
        "--repeats",
        "2",
        "--no-progress",
        "-o",
        str(out),
    ]
    assert main(args) == 0
    kept = out.read_text()
    # What a run killed inside write_json_atomic leaves: the old file intact and a partial temporary one.
    leftover = tmp_path / ".p.json.k1ll3d00.tmp"
    leftover.write_text('{"format": "scission-opt/pro')
    other = tmp_path / ".q.json.k1ll3d00.tmp"  # another file's temporary: not ours to remove
    other.write_text("{")
    capsys.readouterr()
    assert main(args + ["--resume"]) == 0
    captured = capsys.readouterr()
    assert not leftover.exists() and other.exists()
    assert f"removed {leftover}" in captured.err
    assert "chain: kept from" in captured.out
    assert json.loads(out.read_text()) == json.loads(kept)


def test_resume_refuses_another_backend_and_old_files_read_as_tensorflow():
    from scission_opt.profiler.measure import _resumable
    from scission_opt.profiler.profile import Profile, Provenance, parse_profile

    old = Profile("host", "edge", Provenance(cpu="c", backend="tensorflow", device="cpu"), source="p.json")
    new = Profile("host", "edge", Provenance(cpu="c", backend="jax", device="cpu:0 cpu"))
    with pytest.raises(ResumeMismatchError, match="provenance.backend: cannot resume"):
        _resumable(old, new)
    # A file written before backends existed has none of the new provenance fields: it was TensorFlow's.
    data = old.to_dict()
    for key in ("backend", "backend_version", "device", "method_detail"):
        del data["provenance"][key]
    prov = parse_profile(data, "old.json").provenance
    assert (prov.backend, prov.device, prov.method_detail) == ("tensorflow", "", "")
    assert "one tf.function per block" in Provenance(cpu="c", tensorflow="2.21.0").describe()
