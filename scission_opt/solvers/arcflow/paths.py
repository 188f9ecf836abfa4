"""Shortest paths on the layered state graph of the arc-flow model, and pruning with them.

A model's arcs are held densely while it is built and pruned (:class:`Dense`):
source arcs ``src[o, s']``, transitions ``trans[b, s, s']`` into node ``b``
(``b = 0`` unused) and sink arcs ``snk[s]``. Every function here works on one
value per arc and a mask of the arcs still alive; none knows what the values mean.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

INF = math.inf


@dataclass
class Dense:
    """One array per arc family: ``src (S, S)``, ``trans (n, S, S)``, ``snk (S,)``.

    Used both for masks (booleans: which arcs are alive) and for values per arc.
    """

    src: np.ndarray
    trans: np.ndarray
    snk: np.ndarray

    def where(self, v: Dense, fill: float = INF) -> Dense:
        """``v`` where this mask is true, ``fill`` elsewhere."""
        return Dense(
            np.where(self.src, v.src, fill), np.where(self.trans, v.trans, fill), np.where(self.snk, v.snk, fill)
        )

    def flat(self, mask: Dense) -> np.ndarray:
        """The values of the arcs alive in ``mask``, in the model's column order (src, trans, snk)."""
        return np.concatenate([self.src[mask.src], self.trans[mask.trans], self.snk[mask.snk]])

    def copy(self) -> Dense:
        return Dense(self.src.copy(), self.trans.copy(), self.snk.copy())

    def count(self) -> int:
        """Number of arcs alive (for a mask)."""
        return int(self.src.sum() + self.trans.sum() + self.snk.sum())

    def plus(self, other: Dense, scale: float = 1.0) -> Dense:
        """``self + scale * other``, family by family."""
        return Dense(self.src + scale * other.src, self.trans + scale * other.trans, self.snk + scale * other.snk)

    def scaled(self, factor: float) -> Dense:
        return Dense(self.src * factor, self.trans * factor, self.snk * factor)

    def kill(self) -> None:
        """Delete every arc (for a mask)."""
        self.src[:] = False
        self.trans[:] = False
        self.snk[:] = False


def forward(v: Dense) -> np.ndarray:
    """``f[b, s]``: cheapest value from the source up to and including the arc into state ``(b, s)``."""
    n, S = v.trans.shape[0], v.snk.shape[0]
    f = np.empty((n, S))
    f[0] = v.src.min(axis=0)
    for b in range(1, n):
        f[b] = (f[b - 1][:, None] + v.trans[b]).min(axis=0)
    return f


def backward(v: Dense) -> np.ndarray:
    """``g[b, s]``: cheapest value from state ``(b, s)`` to the sink."""
    n, S = v.trans.shape[0], v.snk.shape[0]
    g = np.empty((n, S))
    g[n - 1] = v.snk
    for b in range(n - 2, -1, -1):
        g[b] = (v.trans[b + 1] + g[b + 1][None, :]).min(axis=1)
    return g


def through(v: Dense, f: np.ndarray | None = None) -> Dense:
    """Cheapest value of a source-sink path through each arc (``f``: :func:`forward`, if known)."""
    f = forward(v) if f is None else f
    g = backward(v)
    lb_trans = np.empty_like(v.trans)
    lb_trans[0] = INF
    if v.trans.shape[0] > 1:
        np.add(v.trans[1:], f[:-1, :, None], out=lb_trans[1:])
        lb_trans[1:] += g[1:, None, :]
    return Dense(v.src + g[0][None, :], lb_trans, f[-1] + v.snk)


def best(alive: Dense, v: Dense) -> float:
    """Value of the cheapest source-sink path (inf when there is none)."""
    w = alive.where(v)
    return float((forward(w)[-1] + w.snk).min())


def prune(alive: Dense, v: Dense, limit: float, own: Dense | None = None) -> int:
    """Delete arcs whose cheapest path through them exceeds ``limit`` (or that lie on no path).

    ``own`` is added to each arc's own bound only (not to the paths around it).
    Returns the number of arcs deleted.
    """
    w = alive.where(v)
    f = forward(w)
    before = alive.count()
    if not float((f[-1] + w.snk).min()) <= limit:  # no path at all is cheap enough
        alive.kill()
        return before
    lb = through(w, f)
    if own is not None:
        lb = lb.plus(own)
    alive.src &= np.isfinite(lb.src) & (lb.src <= limit)
    alive.trans &= np.isfinite(lb.trans) & (lb.trans <= limit)
    alive.snk &= np.isfinite(lb.snk) & (lb.snk <= limit)
    return before - alive.count()


def shortest_path(alive: Dense, v: Dense) -> tuple[int, np.ndarray] | None:
    """The cheapest path as ``(origin, system of every node)``, or ``None`` when there is none."""
    w = alive.where(v)
    f = forward(w)
    end = f[-1] + w.snk
    s = int(np.argmin(end))
    if not np.isfinite(end[s]):
        return None
    node_sys = np.empty(w.trans.shape[0], dtype=np.int64)
    node_sys[-1] = s
    back_to_source(w, f, node_sys, len(node_sys) - 1)
    return int(np.argmin(w.src[:, node_sys[0]])), node_sys


def back_to_source(w: Dense, f: np.ndarray, node_sys: np.ndarray, last: int) -> None:
    """Fill ``node_sys[:last]`` along the cheapest path into ``(last, node_sys[last])``."""
    for j in range(last, 0, -1):
        node_sys[j - 1] = int(np.argmin(f[j - 1] + w.trans[j][:, node_sys[j]]))


def on_to_sink(w: Dense, g: np.ndarray, node_sys: np.ndarray, start: int) -> None:
    """Fill ``node_sys[start:]`` along the cheapest path out of ``(start - 1, node_sys[start - 1])``."""
    for j in range(start, len(node_sys)):
        node_sys[j] = int(np.argmin(w.trans[j][node_sys[j - 1], :] + g[j]))
