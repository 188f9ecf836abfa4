"""The shipped network settings, each with its sources: ``instances/networks/<name>.csv``.

Every setting gives the three links of the shipped instances (device -> edge,
device -> cloud, edge -> cloud) in the CSV format of
:mod:`scission_opt.network`, with ``#`` lines saying where each figure comes
from. The edge -> cloud link is Scission's (a wired backbone, 20 ms / 50 Mbps)
in every setting: only the device's access network changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scission_opt.io import write_text_atomic

SCISSION = (
    "Lockhart, Harvey, Imai, Willis, Varghese, 'Scission: Performance-driven and Context-aware Cloud-Edge "
    "Distribution of Deep Neural Networks', IEEE/ACM UCC 2020 (arXiv 2008.03523); network files of its public "
    "tool, github.com/qub-blesson/Scission"
)
EDGE_CLOUD = (20.0, 50.0)
EDGE_CLOUD_SOURCE = f"edge -> cloud 20 ms / 50 Mbps: both Scission settings ({SCISSION}, benchmark_data/*.csv)"

#: Power of the device while it transmits: its idle power, a stated lower bound.
DEVICE_TX_POWER_W = 2.7
TX_POWER_NOTE = (
    "tx_power_w on the device's links = 2.7 W, the Pi 4's idle power: an ASSUMED lower bound, not a measured radio "
    "figure; the edge -> cloud link has none (only the first tier's energy is modelled)"
)


@dataclass(frozen=True)
class Setting:
    """One network setting: (latency ms, bandwidth Mbps) of each link, and the sources."""

    name: str
    title: str
    device_edge: tuple[float, float]
    device_cloud: tuple[float, float]
    sources: tuple[str, ...]


SETTINGS = (
    Setting(
        "scission-wireless",
        "Scission's wireless setting",
        (66.7, 1.6),
        (100.0, 1.6),
        (
            (
                f"device -> edge 66.7 ms / 1.6 Mbps, device -> cloud 100 ms / 1.6 Mbps: {SCISSION}, "
                "benchmark_data/network_stats.csv"
            ),
        ),
    ),
    Setting(
        "scission-wired",
        "Scission's wired setting",
        (20.0, 20.0),
        (45.0, 20.0),
        (
            (
                f"device -> edge 20 ms / 20 Mbps, device -> cloud 45 ms / 20 Mbps: {SCISSION}, "
                "benchmark_data/network_stats_wired.csv"
            ),
        ),
    ),
    Setting(
        "wifi",
        "Wi-Fi 5 (802.11ac) to an edge server on the same LAN, home broadband to the cloud",
        (5.0, 150.0),
        (45.0, 20.0),
        (
            (
                "device -> edge 150 Mbps: the low end of the 150-300 Mbit/s TCP throughput measured with iperf3 on a "
                "busy 5 GHz 802.11ac channel (50+ associated devices; uplink measured higher, 500+ Mbit/s), M. Sauter, "
                "'TCP tracing part 4: comparing LTE and Wi-Fi', blog.wirelessmoves.com, July 2022"
            ),
            "device -> edge 5 ms: an ASSUMED one-hop LAN round trip, no published figure at hand",
            (
                f"device -> cloud 45 ms / 20 Mbps: the internet path of Scission's wired setting ({SCISSION}, "
                "benchmark_data/network_stats_wired.csv)"
            ),
        ),
    ),
    Setting(
        "lte",
        "4G LTE (edge at the operator's site, cloud beyond)",
        (55.0, 6.3),
        (55.0, 6.3),
        (
            (
                "6.3 Mbps: average upload speed of US users on 4G in Q1 2019; 55 ms: the middle of the 44.1-66.4 ms "
                "latency range it reports across US states; Opensignal, 'State of Mobile: USA', May 2019 (press "
                "release 'Opensignal Benchmarks 5G Readiness with New USA Analysis'). The same radio figures are "
                "used for the edge and the cloud: the radio link dominates both"
            ),
        ),
    ),
    Setting(
        "5g",
        "5G (edge at the operator's site, cloud beyond)",
        (51.0, 21.08),
        (51.0, 21.08),
        (
            (
                "21.08 Mbps: global median 5G upload speed, Q3 2021, Ookla, 'Growing and Slowing: The State of 5G "
                "Worldwide in 2021' (Dec 2021)"
            ),
            (
                "51 ms: the lowest median 5G multi-server latency of the US operators (T-Mobile), Q2 2023, Ookla "
                "Speedtest "
                "Intelligence as reported by IEEE ComSoc Technology Blog, 'Ookla Q2-2023 Mobile Network Operator Speed "
                "Tests'. The same figures are used for the edge and the cloud"
            ),
        ),
    ),
)

#: The setting the shipped instances carry by default.
DEFAULT = "wifi"


def setting(name: str) -> Setting:
    for s in SETTINGS:
        if s.name == name:
            return s
    raise KeyError(f"unknown network setting {name!r}; known: {', '.join(s.name for s in SETTINGS)}")


def csv_text(s: Setting, names: dict[str, str]) -> str:
    """The setting as network CSV for systems named ``names`` (by tier)."""
    lines = [f"# {s.title}. Written by python -m tools.ship.", *(f"# {src}" for src in s.sources)]
    lines += [f"# {EDGE_CLOUD_SOURCE}", f"# {TX_POWER_NOTE}", "source,destination,ping_ms,bandwidth_mbps,tx_power_w"]
    rows = (("device", "edge", s.device_edge), ("device", "cloud", s.device_cloud), ("edge", "cloud", EDGE_CLOUD))
    for a, b, (ms, mbps) in rows:
        lines.append(f"{names[a]},{names[b]},{ms:g},{mbps:g},{DEVICE_TX_POWER_W if a == 'device' else 0:g}")
    return "\n".join(lines) + "\n"


def describe(s: Setting) -> str:
    """One sentence for an instance's provenance."""
    return (
        f"network '{s.name}' ({s.title}): device->edge {s.device_edge[0]:g} ms / {s.device_edge[1]:g} Mbps, "
        f"device->cloud {s.device_cloud[0]:g} ms / {s.device_cloud[1]:g} Mbps, edge->cloud {EDGE_CLOUD[0]:g} ms / "
        f"{EDGE_CLOUD[1]:g} Mbps; sources: {'; '.join(s.sources)}; {EDGE_CLOUD_SOURCE}"
    )


def write_all(folder: Path, names: dict[str, str]) -> dict[str, Path]:
    """Write every setting to ``folder/<name>.csv``; returns the paths by name."""
    out = {}
    for s in SETTINGS:
        path = folder / f"{s.name}.csv"
        write_text_atomic(path, csv_text(s, names))
        out[s.name] = path
    return out
