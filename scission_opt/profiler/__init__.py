"""Measure real layer costs with Keras (on TensorFlow, JAX or PyTorch) and turn them into instances.

The modules, one idea each:

- :mod:`.models`: the registry of Keras application models and loading user model files;
- :mod:`.splits`: valid split points of a Keras model and the blocks between them;
- :mod:`.backends`: the Keras backend a profile runs on, one module per backend (compiled call,
  empty call, FLOP count);
- :mod:`.timing`: thread settings and timing a callable (median and spread);
- :mod:`.costs`: per-block bytes, FLOPs and peak activation memory;
- :mod:`.profile`: profiling models on this host, the profile file format, checkpoint and resume;
- :mod:`.progress`: a small progress bar on stderr;
- :mod:`.estimate`: a roofline estimate of latencies for hardware one does not have;
- :mod:`.build`: merging profiles, network and system properties into an instance;
- regenerating the instances shipped in ``instances/`` is repository tooling: ``python -m tools.ship``;
- :mod:`.overhead`: the per-system segment fixed cost, fitted on whole-model times.

TensorFlow (or JAX, or PyTorch) is imported only inside the functions that need
it, never when this package is imported.
"""

from __future__ import annotations

import os

# Quiet TensorFlow's C++ start-up chatter before anything imports it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
