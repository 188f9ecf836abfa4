"""Compare a profile measured with ``profile --backend jax`` with the shared H200 measurement file.

Usage::

    python tools/compare_h200.py PROFILE.json SHARED.json [--markdown]

SHARED.json is the format of ``shared/measurements/nvidia-h200-keras-jax.json`` (per model ``whole_median_s``
and ``blocks`` with ``median_s``). Per model it prints: the blocks in each file (they must agree: the same
split points), the whole-model medians and their ratio, the sums of block medians and their ratio, the median
over blocks of the per-block ratio (ours / shared), and our empty-call (fixed) cost.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path


def rows(profile: dict, shared: dict) -> list[list[str]]:
    out = []
    for name, m in profile["models"].items():
        s = shared["models"].get(name)
        if s is None:
            out.append(
                [
                    name,
                    str(len(m["blocks"])),
                    "-",
                    f"{m['whole']['median_s'] * 1e3:.3f}",
                    "-",
                    "-",
                    "-",
                    "-",
                    "-",
                    f"{m['fixed_call']['median_s'] * 1e3:.3f}",
                ]
            )
            continue
        ours = [b["latency"]["median_s"] for b in m["blocks"]]
        theirs = [b["median_s"] for b in s.get("blocks", [])]
        same = len(ours) == len(theirs)
        per_block = statistics.median(a / b for a, b in zip(ours, theirs, strict=True)) if same and ours else None
        whole_o, whole_s = m["whole"]["median_s"], s["whole_median_s"]
        out.append(
            [
                name,
                str(len(ours)),
                str(len(theirs)) if theirs else "whole only",
                f"{whole_o * 1e3:.3f}",
                f"{whole_s * 1e3:.3f}",
                f"{whole_o / whole_s:.2f}",
                f"{sum(ours) * 1e3:.3f}",
                f"{sum(ours) / sum(theirs):.2f}" if same and theirs else "-",
                f"{per_block:.2f}" if per_block is not None else "-",
                f"{m['fixed_call']['median_s'] * 1e3:.3f}",
            ]
        )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python tools/compare_h200.py", description=__doc__.split("\n")[0])
    p.add_argument("profile", type=Path)
    p.add_argument("shared", type=Path)
    args = p.parse_args(argv)
    profile = json.loads(args.profile.read_text())
    shared = json.loads(args.shared.read_text())
    head = [
        "model",
        "blocks",
        "shared blocks",
        "whole ms",
        "shared whole ms",
        "whole ratio",
        "sum of blocks ms",
        "sum ratio",
        "median block ratio",
        "empty call ms",
    ]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    table = rows(profile, shared)
    for r in table:
        print("| " + " | ".join(r) + " |")
    ratios = [float(r[5]) for r in table if r[5] != "-"]
    if ratios:
        print(
            f"\nwhole-model ratio ours / shared: median {statistics.median(ratios):.2f}, "
            f"range {min(ratios):.2f} to {max(ratios):.2f} over {len(ratios)} models"
        )
    print(
        f"device: {profile['provenance'].get('device', '?')}, jax {profile['provenance'].get('backend_version', '?')}, "
        f"keras {profile['provenance'].get('keras', '?')}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
