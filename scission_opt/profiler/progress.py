"""A small progress bar on stderr, silent when stderr is not a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """A one-line progress bar over models and the blocks of the current model.

    Parameters
    ----------
    n_models
        Number of models in the run.
    stream
        Where to draw (default ``sys.stderr``).
    enabled
        ``None``: draw only when ``stream`` is a terminal.
    """

    WIDTH = 24

    def __init__(self, n_models: int, stream: TextIO | None = None, enabled: bool | None = None):
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.enabled = enabled
        self.n_models = n_models
        self.model_index = 0
        self.model = ""
        self.start = time.monotonic()
        self._width = 0

    def model_started(self, index: int, name: str) -> None:
        self.model_index, self.model = index, name
        self._draw(0, 0, "building")

    def step(self, done: int, total: int, what: str) -> None:
        """Report ``done`` of ``total`` steps of the current model."""
        self._draw(done, total, what)

    def _draw(self, done: int, total: int, what: str) -> None:
        if not self.enabled:
            return
        frac = (self.model_index + (done / total if total else 0.0)) / max(self.n_models, 1)
        filled = int(round(frac * self.WIDTH))
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        inner = f" {done}/{total}" if total else ""
        text = (
            f"[{bar}] model {self.model_index + 1}/{self.n_models} {self.model}: {what}{inner}"
            f"  {time.monotonic() - self.start:.0f}s"
        )
        pad = max(self._width - len(text), 0)
        self._width = len(text)
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
