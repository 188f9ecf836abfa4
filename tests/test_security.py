"""Untrusted input (issue 13): every reproducer ends in one line with the stated exit code, never a traceback.

Each case failed before the fix: a file that ran code, a pickle whose error
message grew past 3 GB, tracebacks with exit 1, forged error lines, numbers
whose products overflowed. The worst inputs run in a child process with a
4 GiB address-space cap, so a regression fails the test instead of the run.
"""

from __future__ import annotations

import importlib
import json
import os
import pickle
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from scission_opt import InvalidInstanceError, load_instance
from scission_opt.cli import main
from scission_opt.instance import Constraints

from .conftest import DATA
from .scission.conftest import NETWORK, _as_main, make_bench, record_class

TINY = DATA / "tiny.json"
ROOT = Path(__file__).resolve().parent.parent


def run_cli(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line(err: str, *words: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def tiny_with(tmp_path: Path, name: str = "x.json", **changes: object) -> Path:
    data = json.loads(TINY.read_text())
    data.update(changes)
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def capped_child(code: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a child Python limited to 4 GiB of address space (a hang or blow-up fails, not the run)."""

    def limit() -> None:
        cap = 4 * 1024**3
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, preexec_fn=limit, env=env
    )


# ---- 1. an instance file may not run code ------------------------------------------------------


@pytest.mark.parametrize("name", ["evil_mod:X", "this:x", "subprocess:Popen", "..x:y", ":", "os:system"])
@pytest.mark.parametrize("command", ["validate", "solve", "compare"])
def test_file_may_not_name_a_module_objective(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str, command: str
) -> None:
    marker = tmp_path / "ran"
    (tmp_path / "evil_mod.py").write_text(f"open({str(marker)!r}, 'w').write('x')\nX = 1\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    path = tiny_with(tmp_path, objective={"name": name})
    code, out, err = run_cli(capsys, [command, str(path)])
    assert code == 2
    assert_one_line(err, str(path), "objective.name", "may not name package.module:name")
    assert not marker.exists() and "Zen of Python" not in out
    assert "evil_mod" not in sys.modules


@pytest.mark.parametrize("name", ["subprocess:Popen", "..x:y", ":", "no_such_module_xyz:X"])
def test_bad_objective_on_the_command_line_is_one_line(capsys: pytest.CaptureFixture[str], name: str) -> None:
    code, _, err = run_cli(capsys, ["solve", str(TINY), "--objective", name])
    assert code == 2
    assert_one_line(err, "--objective")


# ---- 2 and 4. Scission pickles: bounded size, depth and messages -----------------------------------


def _record_pickle(**fields: object) -> bytes:
    """A benchmark file ``{"tiny": [record]}`` whose record has the given fields (defaults are valid)."""
    cls = record_class()
    r = cls()
    values = {"model": "tiny", "device": "", "input_layer": 0, "output_layer": 2, "second_prediction": 0.5}
    values.update({"output_size": 10})
    values.update(fields)
    for key, value in values.items():
        setattr(r, key, value)
    with _as_main("LayerBenchmark", cls):
        return pickle.dumps({"tiny": [r]}, protocol=3)


def _bench_with(tmp_path: Path, data: bytes) -> tuple[Path, Path]:
    folder, csv = make_bench(tmp_path / "bench")
    (folder / "device-pi.dat").write_bytes(data)
    return folder, csv


def _nested_refs(levels: int) -> list[object]:
    x: list[object] = []
    for _ in range(levels):
        x = [x, x]  # 2**levels items when printed, a few bytes when pickled
    return x


@pytest.mark.parametrize(("levels", "words"), [(40, "nest 45 deep"), (25, "tiny[0].model: must be a string")])
def test_small_pickle_whose_message_would_be_huge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], levels: int, words: str
) -> None:
    """Issue 13.2: 425 bytes whose repr is 2**40 items; 40 levels are refused by depth, 25 by type, both bounded."""
    data = _record_pickle(model=_nested_refs(levels))
    assert len(data) < 1000
    folder, csv = _bench_with(tmp_path, data)
    for command in (["scission"], ["import-scission", "-o", str(tmp_path / "o.json")]):
        code, _, err = run_cli(capsys, [*command, str(folder), str(csv), "tiny"])
        assert code == 2
        line = assert_one_line(err, "device-pi.dat", words)
        assert len(line) < 700


def _replace_string(data: bytes, text: str, ops: bytes) -> bytes:
    """Swap the opcode that pushes ``text`` (protocol 3: BINUNICODE) for ``ops``."""
    raw = text.encode()
    op = b"X" + len(raw).to_bytes(4, "little") + raw
    assert op in data
    return data.replace(op, ops, 1)


def test_deep_list_in_a_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    depth = 200_000
    data = _replace_string(_record_pickle(device="PLACEHOLDER"), "PLACEHOLDER", b"]" * depth + b"a" * (depth - 1))
    folder, csv = _bench_with(tmp_path, data)
    code, _, err = run_cli(capsys, ["scission", str(folder), str(csv), "tiny"])
    assert code == 2
    assert_one_line(err, "device-pi.dat", "nest")


def test_deep_tuple_as_dict_key_does_not_crash_the_interpreter(tmp_path: Path) -> None:
    """Hashing a 200,000-deep tuple overflows the C stack; the opcode scan must refuse it first."""
    path = tmp_path / "device-pi.dat"
    path.write_bytes(b"\x80\x03}N" + b"\x85" * 200_000 + b"K\x01s.")
    result = capped_child(
        "from scission_opt.scission.pickles import load_benchmark_file\n"
        "from scission_opt.errors import InvalidInstanceError\n"
        f"try:\n    load_benchmark_file({str(path)!r})\nexcept InvalidInstanceError as e:\n    print('refused', e)\n"
    )
    assert result.returncode == 0, result.stderr[-500:]
    assert "refused" in result.stdout and "nest" in result.stdout


@pytest.mark.parametrize("field", ["second_prediction", "output_size"])
def test_huge_integers_in_a_record(tmp_path: Path, capsys: pytest.CaptureFixture[str], field: str) -> None:
    folder, csv = _bench_with(tmp_path, _record_pickle(**{field: 10**400}))
    code, _, err = run_cli(capsys, ["scission", str(folder), str(csv), "tiny"])
    assert code == 2
    assert_one_line(err, f"tiny[0].{field}", "an integer of")


def test_forged_error_line_from_a_model_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder, csv = _bench_with(tmp_path, _record_pickle())
    cls = record_class()
    r = cls()
    for key, value in {"model": "x", "device": "", "input_layer": 0, "output_layer": 2}.items():
        setattr(r, key, value)
    r.second_prediction, r.output_size = 0.5, 10
    with _as_main("LayerBenchmark", cls):
        (folder / "device-pi.dat").write_bytes(pickle.dumps({"demo27\nerror: injected": [r]}, protocol=3))
    code, _, err = run_cli(capsys, ["scission", str(folder), str(csv), "demo27\nerror: injected"])
    assert code == 2
    assert_one_line(err, "control characters")
    assert not any(line.startswith("error: injected") for line in err.splitlines())


def test_oversized_pickle_is_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from scission_opt.scission import pickles

    monkeypatch.setattr(pickles, "MAX_PICKLE_BYTES", 100)
    path = tmp_path / "device-pi.dat"
    path.write_bytes(_record_pickle(device="x" * 200))
    with pytest.raises(InvalidInstanceError, match="larger than"):
        pickles.load_benchmark_file(path)


# ---- 3. numbers whose products overflow ---------------------------------------------------------


def test_weights_that_overflow_are_refused_by_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tiny_with(tmp_path, objective={"name": "weighted", "weights": {"latency": 1e308, "energy": 1e308}})
    for command in ("validate", "solve"):
        code, _, err = run_cli(capsys, [command, str(path)])
        assert code == 2
        assert_one_line(err, str(path), "objective.weights.latency", "must be <=")


def test_weights_on_the_command_line_obey_the_same_bound(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["solve", str(TINY), "--objective", "weighted", "--weight", "latency=1e308", "--weight", "throughput=1"]
    code, _, err = run_cli(capsys, argv)
    assert code == 2
    assert_one_line(err, "--weight latency", "must be <=")


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("links", 0, "bandwidth_mbps"), 1e-300, "links[0].bandwidth_mbps"),  # bytes / bandwidth overflows
        (("systems", 0, "latency_s", 0), 1e300, "systems[0].latency_s[0]"),
        (("model", "input_bytes"), 1e200, "model.input_bytes"),
    ],
)
def test_values_that_overflow_the_cost_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], path: tuple[object, ...], value: float, field: str
) -> None:
    data = json.loads(TINY.read_text())
    target = data
    for key in path[:-1]:
        target = target[key]  # type: ignore[index]
    target[path[-1]] = value  # type: ignore[index]
    file = tmp_path / "x.json"
    file.write_text(json.dumps(data))
    code, _, err = run_cli(capsys, ["solve", str(file)])
    assert code == 2
    assert_one_line(err, field)


# ---- 4. tracebacks that were exit 1 -----------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_deeply_nested_json(tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str) -> None:
    deep = tmp_path / f"deep{suffix}"
    deep.write_text("[" * 100_000)
    if suffix == ".json":
        code, _, err = run_cli(capsys, ["validate", str(deep)])
    else:  # a network file: JSON when it starts with '['
        folder, _ = make_bench(tmp_path / "bench")
        code, _, err = run_cli(capsys, ["scission", str(folder), str(deep), "tiny"])
    assert code == 2
    assert_one_line(err, str(deep), "nested too deeply")


@pytest.mark.parametrize("digits", [400, 5000])
def test_huge_integer_literals(tmp_path: Path, capsys: pytest.CaptureFixture[str], digits: int) -> None:
    text = TINY.read_text().replace('"input_bytes": 1000', '"input_bytes": ' + "9" * digits)
    path = tmp_path / "big.json"
    path.write_text(text)
    code, _, err = run_cli(capsys, ["validate", str(path)])
    assert code == 2
    assert_one_line(err, "model.input_bytes")


def test_csv_with_cr_line_ends_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder, _ = make_bench(tmp_path / "bench")
    csv = tmp_path / "cr.csv"
    csv.write_text(NETWORK.replace("\n", "\r"), newline="")
    code, out, err = run_cli(capsys, ["scission", str(folder), str(csv), "tiny"])
    assert code == 0, err
    assert "Traceback" not in err


def test_csv_field_over_128_kib(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder, _ = make_bench(tmp_path / "bench")
    csv = tmp_path / "wide.csv"
    csv.write_text(NETWORK + '"' + "x" * 200_000 + '",b,1,1\n')
    code, _, err = run_cli(capsys, ["scission", str(folder), str(csv), "tiny"])
    assert code == 2
    assert_one_line(err, str(csv))


def test_top_is_capped_at_the_plans_that_exist(capsys: pytest.CaptureFixture[str]) -> None:
    instance = load_instance(TINY)
    code, out, err = run_cli(capsys, ["solve", str(TINY), "--top", "1000000000", "--json"])
    assert code == 0, err
    plans = json.loads(out)["plans"]
    assert 1 <= len(plans) <= instance.plan_count


def test_top_beyond_the_bound_on_a_large_instance(capsys: pytest.CaptureFixture[str]) -> None:
    from scission_opt.generate import generate
    from scission_opt.solve import solve

    instance = generate(200, 4, 3, seed=1)
    assert instance.plan_count > 10**4
    with pytest.raises(Exception, match="top_k: at most"):
        solve(instance, top_k=10**9)


@pytest.mark.parametrize("target", ["folder", "", "unwritable"])
def test_output_that_cannot_be_written(tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str) -> None:
    if target == "folder":
        out = str(tmp_path)
    elif target == "unwritable":
        (tmp_path / "file").write_text("x")
        out = str(tmp_path / "file" / "below.json")  # a file cannot hold a folder
    else:
        out = ""
    code, _, err = run_cli(capsys, ["generate", "-o", out, "--nodes", "4"])
    assert code == 2
    assert_one_line(err, "cannot write")
    assert not list(tmp_path.glob(".*.tmp")) and not list(tmp_path.glob("**/.*.tmp"))


def test_out_of_memory_is_exit_3(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(importlib.import_module("scission_opt.solve"), "solve", explode)
    code, _, err = run_cli(capsys, ["solve", str(TINY)])
    assert code == 3
    assert_one_line(err, "out of memory", "solve", str(TINY))


def test_unexpected_error_is_one_line_exit_3_and_debug_shows_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise IndexError("deep inside\na solver")

    monkeypatch.setattr(importlib.import_module("scission_opt.solve"), "solve", explode)
    code, _, err = run_cli(capsys, ["solve", str(TINY)])
    assert code == 3
    assert_one_line(err, "internal error in solve", str(TINY), "IndexError", "--debug")
    code, _, err = run_cli(capsys, ["solve", str(TINY), "--debug"])
    assert code == 3 and "Traceback" in err and "explode" in err


# ---- 5. names that would split or forge lines -----------------------------------------------------


@pytest.mark.parametrize(("where", "value"), [("tier", "ed\nge"), ("system", "nuc\rx"), ("node", "a\u202eb")])
def test_control_characters_in_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str, value: str
) -> None:
    data = json.loads(TINY.read_text())
    if where == "tier":
        data["tiers"][1] = value
    elif where == "system":
        data["systems"][1]["name"] = value
    else:
        data["model"]["nodes"][0]["name"] = value
    path = tmp_path / "x.json"
    path.write_text(json.dumps(data))
    code, _, err = run_cli(capsys, ["validate", str(path)])
    assert code == 2
    assert_one_line(err, "control characters")


def test_messages_quote_and_bound_what_a_file_says(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(TINY.read_text())
    data["links"][0]["destination"] = "z" * 100_000
    path = tmp_path / "x.json"
    path.write_text(json.dumps(data))
    code, _, err = run_cli(capsys, ["validate", str(path)])
    assert code == 2
    assert len(assert_one_line(err, str(path))) <= 700


# ---- 6. errors that named no file --------------------------------------------------------------------


def test_dag_instance_refused_by_a_chain_solver_names_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(TINY.read_text())
    data["model"]["nodes"][2]["inputs"] = [0, 1]
    path = tmp_path / "dag.json"
    path.write_text(json.dumps(data))
    code, out, _ = run_cli(capsys, ["solve", str(path)])
    assert code == 0 and "solver dag-" in out  # auto hands a DAG to a DAG solver
    for solver in ("dp", "cbc", "exhaustive"):
        code, _, err = run_cli(capsys, ["solve", str(path), "--solver", solver])
        assert code == 2
        assert_one_line(err, str(path), f"solver '{solver}' cannot solve this instance")


# ---- typed construction validates like the reader ---------------------------------------------------


def test_replace_with_a_pin_on_a_missing_node() -> None:
    tiny = load_instance(TINY)
    with pytest.raises(InvalidInstanceError, match=r"constraints\.pins\[0\]\.node: node index must be < 3"):
        tiny.replace(constraints=Constraints(pins=((7, 1),)))


def test_replace_with_a_negative_deadline() -> None:
    tiny = load_instance(TINY)
    with pytest.raises(InvalidInstanceError, match=r"constraints\.deadline_s: must be >= 0"):
        tiny.replace(constraints=Constraints(deadline_s=-1.0))


# ---- the worst files, under a 4 GiB cap -------------------------------------------------------------


def test_hostile_inputs_within_4_gib(tmp_path: Path) -> None:
    folder, csv = make_bench(tmp_path / "bench")
    (folder / "device-pi.dat").write_bytes(_record_pickle(model=_nested_refs(40)))
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000)
    code = (
        "import sys\nfrom scission_opt.cli import main\n"
        f"a = main(['scission', {str(folder)!r}, {str(csv)!r}, 'tiny'])\n"
        f"b = main(['validate', {str(deep)!r}])\n"
        "print(a, b)\n"
    )
    result = capped_child(code)
    assert result.returncode == 0, result.stderr[-500:]
    assert result.stdout.split() == ["2", "2"]
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(
    not hasattr(resource, "RLIMIT_AS") or not Path("/proc/self/status").exists(),
    reason="needs RLIMIT_AS and /proc (Linux)",
)
@pytest.mark.parametrize("command", ["validate", "solve"])
def test_real_out_of_memory_is_exit_3(tmp_path: Path, command: str) -> None:
    """A file that really does not fit: the CLI, run under an address-space cap, ends in one line and exit 3.

    The cap is what the same command needs for a tiny instance plus 160 MiB; the file is 12 MB of
    empty JSON arrays (3.9 million, under the reader's bound on containers), which parse to about
    300 MB of list objects, so the JSON parser's allocation fails for real.
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2", "OPENBLAS_NUM_THREADS": "1"}
    probe = (
        "import sys\nfrom scission_opt.cli import main\n"
        f"main([{command!r}, {str(TINY)!r}])\n"
        "peak = [l for l in open('/proc/self/status') if l.startswith('VmPeak:')][0].split()[1]\n"
        "print(int(peak) * 1024, file=sys.stderr)\n"
    )
    baseline = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120)
    cap = int(baseline.stderr.split()[-1]) + 160 * 1024**2
    big = tmp_path / "big.json"
    big.write_text('{"format": "scission-opt/instance@1", "pad": [' + "[]," * 3_900_000 + "[]]}")

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    result = subprocess.run(
        [sys.executable, "-m", "scission_opt", command, str(big)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        preexec_fn=limit,
    )
    assert result.returncode == 3, result.stderr[-500:]
    assert_one_line(result.stderr, "out of memory", command, str(big))
