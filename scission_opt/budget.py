"""One wall-clock budget for a whole :func:`scission_opt.solve` call.

``solve()`` starts a :class:`Budget` once; every solver, and the explanation of
an infeasible answer, asks it how much time is left instead of carrying a time
limit of its own. A time limit is a promise: model building counts against it.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Budget:
    """A wall-clock budget that started at ``started`` (``time.perf_counter()`` seconds).

    Parameters
    ----------
    limit_s
        Seconds allowed in all; ``None`` means no limit.
    started
        When the budget started; defaults to now.
    stop
        Set by :meth:`cancel`: the budget then counts as spent (work running in
        another thread checks it and ends).

    Examples
    --------
    >>> budget = Budget(2.0)
    >>> 0.0 < budget.remaining() <= 2.0
    True
    >>> Budget(None).remaining()
    inf
    """

    limit_s: float | None = None
    started: float = field(default_factory=time.perf_counter)
    stop: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.limit_s is not None and not (self.limit_s > 0 and math.isfinite(self.limit_s)):
            raise ValueError(f"time limit must be a finite number of seconds > 0, got {self.limit_s}")

    @property
    def limited(self) -> bool:
        """Whether there is a limit at all."""
        return self.limit_s is not None

    def elapsed(self) -> float:
        """Seconds since the budget started."""
        return time.perf_counter() - self.started

    def remaining(self) -> float:
        """Seconds left (``inf`` without a limit, never below 0; 0 once cancelled)."""
        if self.stop.is_set():
            return 0.0
        if self.limit_s is None:
            return math.inf
        return max(0.0, self.limit_s - self.elapsed())

    def expired(self) -> bool:
        """Whether no time is left."""
        return self.remaining() <= 0.0

    def remaining_or_none(self) -> float | None:
        """Seconds left as a solver option: ``None`` without a limit."""
        return None if self.limit_s is None else self.remaining()

    def cancel(self) -> None:
        """Spend the budget now: :meth:`expired` is true from here on, for every holder."""
        self.stop.set()

    def branch(self) -> Budget:
        """A budget with the same deadline that can be cancelled on its own (this one stays as it is).

        Examples
        --------
        >>> outer = Budget(5.0)
        >>> inner = outer.branch()
        >>> inner.cancel()
        >>> inner.expired(), outer.expired()
        (True, False)
        """
        branch = Budget(self.limit_s, self.started)
        if self.stop.is_set():
            branch.cancel()
        return branch
