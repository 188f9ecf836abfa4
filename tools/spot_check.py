"""Whole-model latency of a few models on this host now: ``python -m tools.spot_check MODEL ... [--threads N]``.

A quick check of whether the shipped edge profile still describes this host:
one ``tf.function`` over the whole model (as the profiler times it), one
warm-up call, then the median of ``--repeats`` calls, with the CPU share other
processes used during the run (from /proc/stat). Prints one JSON line per model.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.spot_check", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("models", nargs="+")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args(argv)
    from scission_opt.profiler.models import build_model
    from scission_opt.profiler.timing import compile_call, set_threads, time_call

    from .hostinfo import cpu_busy

    set_threads(args.threads, args.threads)
    import tensorflow as tf

    for name in args.models:
        model = build_model(name)
        shape = tuple(model.input_shape[1:])
        fn = compile_call(model, shape)
        busy_before = cpu_busy(1.0)
        timing = time_call(fn, tf.zeros((1, *shape)), repeats=args.repeats, warmup=1)
        row = {
            "model": name,
            "threads": args.threads,
            "whole_median_s": timing.median_s,
            "q1_s": timing.q1_s,
            "q3_s": timing.q3_s,
            "repeats": args.repeats,
            "cpu_busy_before": round(busy_before, 3),
        }
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
