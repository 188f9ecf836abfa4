"""Bounds on what is read from files, so that no input can exhaust the machine.

Each bound is a design choice (not a measurement); the README's "Security and
limits" section states them. A file past a bound is refused with one line
naming the file and the bound, before it is parsed.
"""

from __future__ import annotations

MIB = 1024 * 1024

#: Largest instance file read, bytes. A 100,000-node chain with 6 tiers of 8
#: systems written by ``Instance.save`` takes 92 MiB (measured here); the worst
#: file of this size (a list of two-letter strings) peaked at 3.0 GB RSS per
#: 190 MiB when parsed (measured here), so 128 MiB stays near 2 GB.
MAX_INSTANCE_BYTES = 128 * MIB
#: Largest network file (CSV or JSON), bytes.
MAX_NETWORK_BYTES = 16 * MIB
#: Largest Scission benchmark ``.dat`` file, and largest total over a folder, bytes.
MAX_PICKLE_BYTES = 64 * MIB
MAX_BENCHMARK_FOLDER_BYTES = 512 * MIB
#: Most ``.dat`` files read from one benchmark folder.
MAX_BENCHMARK_FILES = 1000
#: Most JSON arrays plus objects in one file (each costs about 60 bytes of memory
#: for 2 bytes of text); a 100,000-node instance has about 300,000.
MAX_JSON_CONTAINERS = 4_000_000
#: Largest magnitude of any number in an instance, a network file, a benchmark
#: record or an objective weight: far above any real byte count (1 PB), time or
#: power, and small enough that sums of products of them stay finite in float64.
MAX_NUMBER = 1e15
#: Smallest bandwidth accepted, Mbps (1 bit/s): a smaller one makes transfer times overflow.
MIN_BANDWIDTH_MBPS = 1e-6
#: Integer literals longer than this many digits are read as infinite (and then refused by field).
MAX_INT_DIGITS = 32
#: Most distinct plans one call may ask for (``top_k``): each costs memory in every solver.
MAX_TOP_K = 10_000
#: Most (system choice, split) scenarios ``exhaustive`` scores without a time limit (hours of work past it).
MAX_EXHAUSTIVE_SCENARIOS = 10**9
#: Longest name (tier, system, node, model) accepted, characters.
MAX_NAME_CHARS = 256
#: Longest error message printed, characters; longer ones are cut with an ellipsis.
MAX_MESSAGE_CHARS = 600
#: Longest rendering of one value inside an error message, characters.
MAX_VALUE_CHARS = 80
