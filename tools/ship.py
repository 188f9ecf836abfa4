"""Regenerate the instances shipped in ``instances/``: ``python -m tools.ship`` (from the repository root).

What it does, in order (every step is a library call anyone can run alone):

1. profile the 18 Keras application models on this host with all cores (the
   *edge* system) and with one thread (used only to calibrate the Pi 4), each
   model in its own process; both resume, so models already profiled are kept;
2. fit each measured system's segment fixed cost (``scission_opt.profiler.overhead``);
3. read the NVIDIA H200 measurements (``instances/measurements``): the *cloud* system;
4. estimate a Raspberry Pi 4 from its published spec, calibrated on published
   TensorFlow timings (``tools.pi4``): the *device* system;
5. write the network settings (``tools.networks``) and the system properties;
6. build ``instances/<model>.json`` and, with the first block pinned to the
   trusted device, ``instances/private/<model>.json``;
7. write every figure quoted in the README to ``instances/profiles/summary.md``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from scission_opt.io import read_json, write_json_atomic, write_text_atomic
from scission_opt.network import load_network
from scission_opt.profiler.build import SystemProperties, build_instance
from scission_opt.profiler.estimate import Spec, calibrate, estimate_profile, parse_spec
from scission_opt.profiler.models import model_names
from scission_opt.profiler.overhead import OverheadFit, fit_profile
from scission_opt.profiler.profile import Profile, load_profile

from . import networks
from .h200 import H200_SOURCE, h200_profile, scaled_model
from .hostinfo import (
    BUSY_FILE,
    host_memory_bytes,
    host_spec,
    measure_copy_bandwidth,
    read_busy,
    run_profile,
    wait_for_quiet_cpu,
)
from .pi4 import Pi4Calibration, pi4_spec
from .ship_summary import summary

#: The raw input the device sends when it runs nothing: Scission's default raw input size.
INPUT_BYTES = 150_000
INPUT_SOURCE = (
    "input_bytes = 150,000: the raw input size Scission's predictor assumes by default (0.15 MB, MB = 10^6 bytes; "
    "Lockhart et al., UCC 2020, github.com/qub-blesson/Scission), i.e. a compressed camera frame as the device would "
    "send it, not the 602,112-byte float32 tensor the first block consumes"
)
#: Blocks that must run on the trusted device in the privacy scenario (the first block: raw frames stay home).
PRIVACY_NODES = 1

PI4_OTHER_SOURCE = (
    "memory_bytes 4e9: Raspberry Pi 4 Model B 4 GB variant (product brief: 1, 2, 4 or 8 GB LPDDR4); power from "
    "published measurements, not measured here: J. Geerling, Raspberry Pi Dramble 'Power Consumption Benchmarks' "
    "(pidramble.com/wiki/benchmarks/power-consumption): idle 540 mA = 2.7 W, 'stress --cpu 4' 1280 mA = 6.4 W at "
    "5 V, used as idle_w and compute_w; trusted: the user's own device"
)
H200_PRICE_SOURCE = (
    "price_per_s = USD 5.408 per GPU-hour / 3600: Amazon EC2 Capacity Blocks for ML price page, p5e.48xlarge "
    "(8 x H200), US East (Ohio), effective accelerator hourly rate (prices valid until 2025-01-01; not re-checked)"
)


def system_names(cores: int) -> dict[str, str]:
    """Names of the three shipped systems by tier."""
    return {"device": "pi4-estimated", "edge": f"edge-vm-{cores}cores", "cloud": "nvidia-h200"}


def _profile_host(prof_dir: Path, models: Sequence[str], cores: int, args: argparse.Namespace) -> None:
    """Profile the models this host's profiles lack (or, with --remeasure-above, those measured on a busy CPU)."""
    busy_path = prof_dir / BUSY_FILE
    busy_log = read_busy(busy_path)
    note = (
        f"each model profiled in its own process after waiting a while (--quiet-timeout) for the CPU to be at "
        f"most {args.max_busy:.0%} busy; the share other processes used before each model is in {BUSY_FILE}"
    )
    runs = (
        ("edge", "edge-host-2threads.json", "host-2threads", cores),
        ("device", "host-1thread.json", "host-1thread", 1),
    )
    for key, file, system, threads in runs:
        path = prof_dir / file
        have = {m.name for m in load_profile(path).models} if path.exists() else set()
        for model in models:
            seen = busy_log.get(key, {}).get(model)
            if model in have and (args.remeasure_above is None or seen is None or seen <= args.remeasure_above):
                continue
            busy = wait_for_quiet_cpu(args.max_busy, args.quiet_timeout)
            print(f"CPU {busy:.0%} busy before {model} ({system})", flush=True)
            run_profile([model], path, system, key, threads, args.repeats, note)
            busy_log.setdefault(key, {})[model] = round(busy, 3)
            write_json_atomic(busy_path, busy_log)


def _host_spec(path: Path, threads: int, fit: OverheadFit) -> Spec:
    """The nominal spec of the host the profiles were measured on, with its fitted segment cost as per-call cost.

    Kept from ``path`` when it exists: it was written from /proc/cpuinfo and a copy benchmark on the machine that
    measured the profiles, and a virtual machine may since run on other hardware.
    """
    if path.exists():
        spec = parse_spec(read_json(path), str(path))
    else:
        spec = host_spec(threads, 0.0, measure_copy_bandwidth())
    source = spec.source.split("; fixed cost")[0] + "; fixed cost = the fitted segment cost of the measured profile"
    return replace(spec, fixed_s=fit.segment_overhead_s, source=source)


def _spec_dict(spec: Spec) -> dict[str, object]:
    return {k: getattr(spec, k) for k in Spec.__dataclass_fields__}


def _properties(
    names: dict[str, str], fits: dict[str, OverheadFit], pi: Pi4Calibration, cores: int
) -> dict[str, SystemProperties]:
    memory = host_memory_bytes()
    return {
        names["device"]: SystemProperties(
            memory_bytes=4e9,
            compute_w=6.4,
            idle_w=2.7,
            trusted=True,
            segment_overhead_s=pi.spec.fixed_s,
            provenance=f"segment_overhead_s = the estimate's fixed cost per call ({pi.spec.fixed_s * 1e3:.3f} ms, see "
            f"latency_s); {PI4_OTHER_SOURCE}",
        ),
        names["edge"]: SystemProperties(
            memory_bytes=float(memory) if memory else None,
            trusted=False,
            segment_overhead_s=fits["edge"].segment_overhead_s,
            provenance=f"this host, a KVM virtual machine with {cores} cores (a small edge server), profiled when it "
            "reported an Intel Xeon at 2.6 GHz with AVX-512 (instances/specs/host-spec-*.json); the same VM later "
            "reported an AMD EPYC at 2.0 GHz and, under heavy load, timed resnet50 at 10x its profiled time "
            "(instances/profiles/spot-check-2026-11-30.jsonl): re-profile before relying on these figures; "
            f"{fits['edge'].describe()}; memory_bytes: MemTotal from /proc/meminfo (measured); trusted: false, an "
            "assumption (an edge server the user does not own: raw frames must stay on the device); power not given",
        ),
        names["cloud"]: SystemProperties(
            memory_bytes=141e9,
            compute_w=700.0,
            price_per_s=5.408 / 3600,
            trusted=False,
            segment_overhead_s=fits["cloud"].segment_overhead_s,
            provenance=f"{fits['cloud'].describe()} (nasnet_large excluded: whole-model time only); memory_bytes and "
            f"compute_w (max TDP) from the {H200_SOURCE}; {H200_PRICE_SOURCE}; trusted: false (a public cloud)",
        ),
    }


def _write_systems(path: Path, props: dict[str, SystemProperties]) -> None:
    data = {
        "notes": ["System properties of the shipped instances; written by python -m tools.ship."],
        "systems": {name: {k: v for k, v in vars(p).items() if v is not None and v != ""} for name, p in props.items()},
    }
    write_json_atomic(path, data)


def _instance_provenance(model: str, names: dict[str, str], net: networks.Setting, private: bool) -> str:
    text = (
        f"Shipped scission_opt instance for {model}, regenerated by 'python -m tools.ship'. Model: keras.applications "
        f"with weights=None at its published input size, batch 1, float32; blocks between single-tensor split points. "
        f"device ({names['device']}): a Raspberry Pi 4 ESTIMATED from its published spec (roofline with per-layer "
        f"and per-call costs, efficiency calibrated on published Pi 4 TensorFlow timings). edge ({names['edge']}): "
        f"this host MEASURED with all cores, TensorFlow, one tf.function per block; it is a 2-core virtual machine. "
        f"cloud ({names['cloud']}): an NVIDIA H200 MEASURED elsewhere with Keras 3 on JAX/XLA (not TensorFlow "
        f"kernels). Each system's latency_s, segment_overhead_s and other figures say how they were obtained. "
        f"{INPUT_SOURCE}. Links: {networks.describe(net)}; {networks.TX_POWER_NOTE}."
    )
    if private:
        text += f" Privacy scenario: the first {PRIVACY_NODES} block(s) must run on a trusted system (the device)."
    return text


def _cloud_profile(path: Path, edge: Profile, name: str) -> tuple[Profile, OverheadFit, Spec]:
    """The H200 profile (nasnet_large scaled to its whole time), its fit and its calibrated spec."""
    measured, whole_only = h200_profile(path, edge, system=name)
    fit = fit_profile(measured)
    nominal = Spec(name, "cloud", 67e12, 4.8e12, fixed_s=fit.segment_overhead_s, source=H200_SOURCE)
    spec = calibrate(nominal, measured).spec
    records = read_json(path)["models"]
    scaled = [scaled_model(ref, records[n], spec, fit.segment_overhead_s) for n in whole_only if (ref := edge.model(n))]
    note = measured.provenance.note + (
        f" {', '.join(whole_only)}: whole-model time only; its blocks are the roofline estimate (H200 datasheet peaks, "
        f"per-layer cost calibrated on the other models) scaled so that the segment cost plus the net blocks equals "
        "the measured whole-model time."
        if whole_only
        else ""
    )
    prov = replace(measured.provenance, note=note)
    profile = replace(measured, models=measured.models + tuple(scaled), provenance=prov)
    return profile, fit, spec


def ship(out: Path, models: Sequence[str], args: argparse.Namespace) -> list[Path]:
    """Regenerate profiles, specs, networks, system properties, instances and summary under ``out``."""
    prof_dir, spec_dir = out / "profiles", out / "specs"
    cores = os.cpu_count() or 1
    names = system_names(cores)
    if not args.skip_profiling:
        _profile_host(prof_dir, models, cores, args)
    edge = replace(load_profile(prof_dir / "edge-host-2threads.json"), system=names["edge"])
    host1 = load_profile(prof_dir / "host-1thread.json")
    fits = {"edge": fit_profile(edge), "host-1thread": fit_profile(host1)}

    h200_file = out / "measurements" / "nvidia-h200-keras-jax.json"
    cloud, fits["cloud"], h200_spec = _cloud_profile(h200_file, edge, names["cloud"])
    host_specs = [
        _host_spec(spec_dir / "host-spec-1t.json", 1, fits["host-1thread"]),
        _host_spec(spec_dir / "host-spec-2t.json", cores, fits["edge"]),
    ]
    host1_spec = calibrate(host_specs[0], host1).spec
    pi = pi4_spec(host1_spec.fixed_s, host1_spec.layer_s, read_json(spec_dir / "pi4-calibration.json")["backbones"])
    device = replace(estimate_profile(edge, replace(pi.spec, name=names["device"])), tier="device")
    device.save(prof_dir / "device-pi4-estimated.json")
    cloud.save(prof_dir / "cloud-nvidia-h200.json")
    device = replace(device, source=str(prof_dir / "device-pi4-estimated.json"))
    cloud = replace(cloud, source=str(prof_dir / "cloud-nvidia-h200.json"))
    for spec in (pi.spec, h200_spec, *host_specs):
        write_json_atomic(spec_dir / f"{spec.name}.json", _spec_dict(spec))

    props = _properties(names, fits, pi, cores)
    _write_systems(out / "systems.json", props)
    net_paths = networks.write_all(out / "networks", names)
    default = networks.setting(networks.DEFAULT)
    links = load_network(net_paths[default.name])

    written = []
    for model in models:
        for private, folder in ((False, out), (True, out / "private")):
            path = folder / f"{model}.json"
            instance = build_instance(
                model,
                [device, edge, cloud],
                links,
                props,
                network_source=str(net_paths[default.name]),
                name=f"{model}-private" if private else model,
                provenance=_instance_provenance(model, names, default, private),
                source=str(path),
                input_bytes=INPUT_BYTES,
                privacy_nodes=PRIVACY_NODES if private else 0,
            )
            folder.mkdir(parents=True, exist_ok=True)
            instance.save(path)
            written.append(path)
    print(f"wrote {len(written)} instances under {out}")
    text = summary(fits, pi, device, edge, cloud, read_busy(prof_dir / BUSY_FILE))
    write_text_atomic(prof_dir / "summary.md", text)
    print(f"wrote {prof_dir / 'summary.md'}")
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.ship", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("-o", "--out", default="instances", help="folder to write (default: instances)")
    parser.add_argument("--models", nargs="+", default=None, help="only these models (default: all 18)")
    parser.add_argument("--repeats", type=int, default=10, help="timed runs per block (default 10)")
    parser.add_argument("--skip-profiling", action="store_true", help="reuse this host's profiles as they are")
    parser.add_argument("--max-busy", type=float, default=0.3, help="wait for the CPU to be at most this busy (0.3)")
    parser.add_argument("--quiet-timeout", type=float, default=120.0, help="but wait at most this many seconds (120)")
    parser.add_argument(
        "--remeasure-above", type=float, default=None, metavar="BUSY",
        help="profile again the models measured while the CPU was more than BUSY busy (e.g. 0.3)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    ship(Path(args.out), list(args.models or model_names()), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
