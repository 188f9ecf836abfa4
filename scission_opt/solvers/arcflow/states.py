"""Which states and arcs of the arc-flow model may exist, and what each arc costs in time.

Everything here is the same for every group of origins (:func:`static_data`) or
depends on one group only through its origins (:func:`group_states`). Every
constraint that concerns one segment or one hop deletes states and arcs here
instead of writing rows: privacy, pins, bans, system filters, forbidden and
required tiers, upload limits, single-node memory and compute limits, and the
first tier's memory, compute limit and energy (its segment is a prefix).

A segment's fixed cost (``segment_overhead_s``) is paid by the arc that starts
the segment: every source arc and every hop into a later tier's system.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ...evaluate import exceeds, limit_slack
from ..base import allowed_nodes
from .paths import Dense

if TYPE_CHECKING:
    from ...instance import Instance


@dataclass(frozen=True)
class Static:
    """Arrays every origin group shares (``S`` systems, ``n`` nodes)."""

    st: np.ndarray  # (n, S) states any group may use
    hop_ok: np.ndarray  # (S, S) a hop s -> s' may exist (tiers, links, required tiers)
    src_skip_ok: np.ndarray  # (S,) the raw input may hop straight to s
    snk_skip_ok: np.ndarray  # (S,) a plan may end on s
    upload: np.ndarray  # (S,) bytes a system may send in one hop
    send_ok: np.ndarray  # (n+1, S) system s may send boundary b
    trans_ok: np.ndarray  # (n, S, S) transitions that may exist
    is_hop: Dense  # arcs that cross a link
    transfer_t: np.ndarray  # (n-1, S, S) transfer seconds of boundary b = 1..n-1
    hop_s: Dense  # seconds on the link (fixed latency + transfer); snk filled per group
    comp: Dense  # compute seconds of the arc's head node, with the segment's fixed cost on segment starts
    overhead: np.ndarray  # (S,) segment_overhead_s
    fixed: np.ndarray  # (S, S) link latency in seconds
    bps: np.ndarray  # (S, S) bytes per second (inf without a link)
    first: np.ndarray  # (S,) first-tier systems
    eye: np.ndarray  # (S, S)

    def time_src(self) -> np.ndarray:
        return self.comp.src + self.hop_s.src

    def time_trans(self) -> np.ndarray:
        return self.comp.trans + self.hop_s.trans


def _static_states(instance: Instance, overhead: np.ndarray) -> np.ndarray:
    """``(n, S)``: states allowed by per-node rules, single-node memory and compute limits."""
    st = allowed_nodes(instance)
    tier = instance.system_tier
    need = instance.param_bytes + instance.activation_bytes
    limits = instance.constraints.compute_time_limit_s
    for s, system in enumerate(instance.systems):
        if system.memory_bytes is not None:
            st[exceeds(need, system.memory_bytes), s] = False
        lim = limits[tier[s]]
        if lim is not None:
            st[exceeds(instance.latency[s] + overhead[s], lim), s] = False
    return st


def _hops(instance: Instance) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which hops may exist: ``hop_ok (S, S)``, ``src_skip_ok (S,)``, ``snk_skip_ok (S,)``.

    A hop from tier ``t`` to ``t'`` skips tiers ``t+1 .. t'-1``; none of them may be required.
    """
    T = instance.n_tiers
    tier = instance.system_tier
    required = np.zeros(T + 1, dtype=bool)
    required[sorted(instance.constraints.tiers_required)] = True
    req_prefix = np.concatenate([[0], np.cumsum(required[:T])])  # number of required tiers < t
    skipped = req_prefix[tier][None, :] - req_prefix[tier + 1][:, None]
    hop_ok = (tier[:, None] < tier[None, :]) & instance.has_link & (skipped == 0)
    src_skip_ok = req_prefix[tier] == 0
    snk_skip_ok = (req_prefix[T] - req_prefix[tier + 1]) == 0
    return hop_ok, src_skip_ok, snk_skip_ok


def static_data(instance: Instance) -> Static:
    """Arrays every origin group shares: links, which hops may exist, times per arc."""
    inst = instance
    n, S = inst.n_nodes, inst.n_systems
    tier = inst.system_tier
    beta = inst.boundary_bytes
    fixed = np.nan_to_num(inst.link_latency_s, nan=0.0)
    bps = np.where(inst.has_link, np.nan_to_num(inst.link_bytes_per_s, nan=1.0), np.inf)
    first = tier == 0
    overhead = np.array([s.segment_overhead_s for s in inst.systems], dtype=float)
    st = _static_states(inst, overhead)
    hop_ok, src_skip_ok, snk_skip_ok = _hops(inst)
    upload = np.array([np.inf if v is None else limit_slack(v) for v in inst.constraints.upload_limit_bytes])
    send_ok = beta[:, None] <= upload[tier][None, :]
    eye = np.eye(S, dtype=bool)
    trans_ok = np.zeros((n, S, S), dtype=bool)
    if n > 1:
        trans_ok[1:] = eye[None] | (hop_ok[None] & send_ok[1:n, :, None])

    # read-only broadcast views where the values do not change along the chain
    is_hop = Dense(np.broadcast_to(~first[None, :], (S, S)), np.broadcast_to(~eye, (n, S, S)), np.zeros(S, dtype=bool))
    transfer_t = beta[1:n, None, None] / bps[None] if n > 1 else np.zeros((0, S, S))
    hop_trans = np.zeros((n, S, S))
    if n > 1:
        hop_trans[1:] = np.where(~eye[None], fixed[None] + transfer_t, 0.0)
    hop_src = np.where(is_hop.src, fixed + beta[0] / bps, 0.0)
    lat_t = inst.latency.T  # (n, S)
    comp_src = np.broadcast_to(lat_t[0][None, :] + overhead[None, :], (S, S))
    if overhead.any():
        comp_trans = lat_t[:, None, :] + np.where(eye, 0.0, overhead[None, :])[None]
    else:
        comp_trans = np.broadcast_to(lat_t[:, None, :], (n, S, S))
    return Static(
        st=st, hop_ok=hop_ok, src_skip_ok=src_skip_ok, snk_skip_ok=snk_skip_ok, upload=upload, send_ok=send_ok,
        trans_ok=trans_ok, is_hop=is_hop, transfer_t=transfer_t, hop_s=Dense(hop_src, hop_trans, np.zeros(S)),
        comp=Dense(comp_src, comp_trans, np.zeros(S)), overhead=overhead, fixed=fixed, bps=bps, first=first, eye=eye,
    )  # fmt: skip


def group_states(instance: Instance, sd: Static, origins: tuple[int, ...]) -> np.ndarray:
    """``(n, S)`` states of one group: the first tier runs the origin only, always a prefix ``0..b``."""
    inst = instance
    c = inst.constraints
    is_origin = np.zeros(inst.n_systems, dtype=bool)
    is_origin[list(origins)] = True
    st = sd.st.copy()
    st[:, sd.first & ~is_origin] = False
    for o in origins:
        system = inst.systems[o]
        prefix_s = sd.overhead[o] + np.cumsum(inst.latency[o])
        if system.memory_bytes is not None:
            need = np.cumsum(inst.param_bytes) + np.maximum.accumulate(inst.activation_bytes)
            st[exceeds(need, system.memory_bytes), o] = False
        if c.compute_time_limit_s[0] is not None:
            st[exceeds(prefix_s, c.compute_time_limit_s[0]), o] = False
        if c.energy_budget_j is not None:
            st[exceeds((system.compute_w or 0.0) * prefix_s, c.energy_budget_j), o] = False
        st[:, o] = np.logical_and.accumulate(st[:, o])
    return st
