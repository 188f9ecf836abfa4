"""The progress bar: drawn on a terminal (or when asked), silent otherwise."""

from __future__ import annotations

import io

from scission_opt.profiler.progress import Progress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_silent_when_not_a_terminal():
    out = io.StringIO()
    bar = Progress(2, stream=out)
    bar.model_started(0, "vgg16")
    bar.step(3, 10, "blocks")
    bar.close()
    assert out.getvalue() == ""


def test_draws_on_a_terminal():
    out = _Tty()
    bar = Progress(2, stream=out)
    bar.model_started(1, "resnet50")
    bar.step(5, 10, "blocks")
    text = out.getvalue()
    assert "model 2/2 resnet50: blocks 5/10" in text
    assert "[" + "#" * 18 + "-" * 6 + "]" in text  # 1.5 of 2 models
    bar.close()
    assert out.getvalue().endswith("\r")


def test_forced_off():
    out = _Tty()
    Progress(1, stream=out, enabled=False).step(1, 2, "blocks")
    assert out.getvalue() == ""
