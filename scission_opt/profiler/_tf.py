"""Importing TensorFlow quietly, on first use only.

TensorFlow 2.21 prints an oneDNN notice to stderr at import time, before its
log level (``TF_CPP_MIN_LOG_LEVEL``) takes effect. The import runs with file
descriptor 2 sent to a temporary file, which is replayed only if the import fails
for another reason than a missing package; a missing TensorFlow (or Keras) is one
:class:`~scission_opt.profiler.backends.MissingDependencyError` line that names the
extra to install.
"""

from __future__ import annotations

import os
import sys
import tempfile
from typing import Any


def tensorflow() -> Any:
    """The ``tensorflow`` module, imported without start-up chatter."""
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from .._native import preload_ortools

    preload_ortools()  # CP-SAT crashes if TensorFlow is loaded first (see scission_opt/_native.py)
    sys.stderr.flush()
    saved = os.dup(2)
    missing: ImportError | None = None
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            import keras  # noqa: F401  (keras's own import of tensorflow is the noisy one too)
            import tensorflow as tf
        except ImportError as exc:
            missing = exc
        except BaseException:
            os.dup2(saved, 2)
            sink.seek(0)
            sys.stderr.write(sink.read().decode("utf-8", "replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    if missing is not None:
        from .backends import INSTALL, MissingDependencyError

        reason = (str(missing).strip() or type(missing).__name__).splitlines()[0][:200]
        raise MissingDependencyError(
            f"profiling with TensorFlow (the default backend) needs tensorflow and keras, which cannot be imported "
            f"({reason}): {INSTALL['tensorflow']}, or choose --backend jax or torch"
        ) from None
    tf.get_logger().setLevel("ERROR")
    return tf
