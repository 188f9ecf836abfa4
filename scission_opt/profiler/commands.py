"""The profiler's subcommands: ``profile``, ``build-instance`` and ``estimate``.

:func:`register` adds them to the main parser (see ``scission_opt.cli``); the
handlers only parse arguments, call the library functions and print a summary.
TensorFlow is imported only when ``profile`` runs.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..argtypes import count, natural
from ..errors import InvalidInstanceError

EXIT_OK = 0


def _shape(text: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(x) for x in text.replace("x", ",").split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected H,W,C (e.g. 96,96,3), got {text!r}") from None
    if not shape or any(d < 1 for d in shape):
        raise argparse.ArgumentTypeError(f"expected positive sizes, got {text!r}")
    return shape


def summary_line(m: Any) -> str:
    """One line per profiled model: blocks, whole latency, sum of blocks, overhead."""
    timed = m.whole.median_s * m.whole.repeats
    return (
        f"{m.name}: {len(m.blocks)} blocks, whole {m.whole.median_s * 1e3:.2f} ms, sum of blocks "
        f"{m.sum_of_blocks_s * 1e3:.2f} ms ({m.ratio:.2f}x), fixed cost {m.fixed_call.median_s * 1e3:.3f} ms/call, "
        f"chained max |diff| {m.max_chain_diff:.3g}, profiled in {m.profile_s:.2f} s "
        f"(build {m.build_s:.2f} s; {m.profile_s / timed if timed > 0 else float('nan'):.1f}x whole x repeats)"
    )


def cmd_profile(args: argparse.Namespace) -> int:
    import sys

    from .measure import profile_models, remove_stale_temp_files

    for path in remove_stale_temp_files(args.output):
        print(f"removed {path}: a temporary file left by an interrupted write of {args.output}", file=sys.stderr)
    options = {"alpha": args.alpha} if args.alpha is not None else None
    before = set()
    if args.resume:
        from pathlib import Path

        from .profile import load_profile

        if Path(args.output).exists():
            before = {m.name for m in load_profile(args.output).models}
    profile = profile_models(
        args.models,
        args.output,
        system=args.system,
        tier=args.tier,
        threads=args.threads,
        inter_op_threads=args.inter_op_threads,
        repeats=args.repeats,
        warmup=args.warmup,
        input_shape=args.input_shape,
        options=options,
        resume=args.resume,
        progress=False if args.no_progress else None,
        note=args.note,
        backend=args.backend,
    )
    for m in profile.models:
        if m.name in before:
            print(f"{m.name}: kept from {args.output} (resume)")
        else:
            print(summary_line(m))
    print(
        f"wrote {args.output}: system {profile.system} ({profile.tier}), {len(profile.models)} models, "
        f"Keras on {profile.provenance.backend} ({profile.provenance.device})"
    )
    return EXIT_OK


def cmd_build_instance(args: argparse.Namespace) -> int:
    from .build import build_instance_files

    instance = build_instance_files(
        args.model,
        args.profile,
        args.network,
        args.output,
        systems_path=args.systems,
        name=args.name,
        fit_overhead=args.fit_overhead,
    )
    print(
        f"wrote {args.output}: {instance.model}, {instance.n_nodes} nodes, tiers {', '.join(instance.tiers)}, "
        f"{instance.n_systems} systems, {len(instance.links)} links"
    )
    return EXIT_OK


def cmd_estimate(args: argparse.Namespace) -> int:
    from .estimate import estimate_error, estimate_file, format_estimate_error
    from .profile import load_profile

    estimated = estimate_file(args.profile, args.spec, args.output, models=args.model)
    if not estimated.models:
        raise InvalidInstanceError("no model to estimate", args.profile, "models")
    print(
        f"wrote {args.output}: system {estimated.system} ({estimated.tier}), {len(estimated.models)} models, estimated"
    )
    if args.compare:
        print(format_estimate_error(estimate_error(load_profile(args.compare), estimated)))
    return EXIT_OK


def register(sub: Any) -> None:
    """Add ``profile``, ``build-instance`` and ``estimate`` to the main parser's subparsers."""
    from .backends import DEFAULT as DEFAULT_BACKEND
    from .backends import NAMES as BACKENDS
    from .models import model_names

    p = sub.add_parser(
        "profile",
        help="measure per-block latency and tensor sizes of Keras models on this host (TensorFlow, JAX or PyTorch)",
        description="MODEL is one of: " + ", ".join(model_names()) + "; or the path of a .keras / .h5 model file.",
    )
    p.add_argument("models", nargs="+", metavar="MODEL")
    p.add_argument("--system", required=True, help="name of the system being measured")
    p.add_argument("--tier", required=True, help="its tier, e.g. device, edge or cloud")
    p.add_argument("-o", "--output", required=True, metavar="PROFILE.json")
    p.add_argument(
        "--backend",
        choices=BACKENDS,
        default=DEFAULT_BACKEND,
        help="Keras backend that runs and times the blocks: tensorflow (default; a tf.function per block), "
        "jax (a jax.jit of stateless_call per block) or torch (torch.compile, else eager); same blocks on each",
    )
    p.add_argument(
        "--threads", type=count, default=None, metavar="N", help="intra-op (and inter-op) threads (tensorflow, torch)"
    )
    p.add_argument(
        "--inter-op-threads", type=count, default=None, metavar="N", help="inter-op threads (default: --threads)"
    )
    p.add_argument("--repeats", type=count, default=10, metavar="N", help="timed runs per block (default 10)")
    p.add_argument("--warmup", type=natural, default=1, metavar="N", help="untimed runs first (default 1)")
    p.add_argument("--input-shape", type=_shape, default=None, metavar="H,W,C", help="input shape of registry models")
    p.add_argument("--alpha", type=float, default=None, help="width multiplier (MobileNets)")
    p.add_argument("--resume", action="store_true", help="keep the models already in the output file")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--note", default="", help="free text for the provenance")
    p.set_defaults(func=cmd_profile)

    p = sub.add_parser("build-instance", help="merge one model's profiles and a network into an instance")
    p.add_argument("model", metavar="MODEL")
    p.add_argument("--profile", action="append", required=True, metavar="PROFILE.json", help="repeat per system")
    p.add_argument(
        "--network", required=True, metavar="NETWORK", help="CSV source,destination,ping_ms,bandwidth_mbps or JSON"
    )
    p.add_argument("--systems", default=None, metavar="SYSTEMS.json", help="memory, power, price, trust per system")
    p.add_argument("--name", default=None, help="instance name (default: the model's)")
    p.add_argument(
        "--fit-overhead", action="store_true",
        help="give each system a segment fixed cost (seconds per contiguous segment) fitted on its profile's "
        "whole-model times, and net its block latencies; a systems file's segment_overhead_s wins",
    )  # fmt: skip
    p.add_argument("-o", "--output", required=True, metavar="INSTANCE.json")
    p.set_defaults(func=cmd_build_instance)

    p = sub.add_parser(
        "estimate", help="roofline latencies for hardware you do not have, from a profile's FLOPs and bytes"
    )
    p.add_argument("profile", metavar="PROFILE")
    p.add_argument(
        "--spec", required=True, metavar="SPEC.json", help="name, tier, peak_flops, memory_bandwidth, fixed_s, source"
    )
    p.add_argument("-o", "--output", required=True, metavar="PROFILE.json")
    p.add_argument("--model", action="append", default=None, help="only this model (repeatable)")
    p.add_argument(
        "--compare", default=None, metavar="MEASURED.json", help="print the error against a measured profile"
    )
    p.set_defaults(func=cmd_estimate)
