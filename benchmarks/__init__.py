"""Benchmarks for scission_opt: solvers against exhaustive search and a Scission-style enumerator.

Run ``python benchmarks/run.py`` (or ``python -m scission_opt bench``) from a
clone of the repository; see benchmarks/README.md. Modules:

* :mod:`benchmarks.families` - the instance families (shipped, synthetic grid, quick subset);
* :mod:`benchmarks.scission_baseline` - the Scission-style enumerator, for comparison only;
* :mod:`benchmarks.measure` - timing and peak memory of one run, in a worker process with a hard cap;
* :mod:`benchmarks.report` - CSV -> Markdown tables, goals and the plot;
* :mod:`benchmarks.run` - the command line.
"""
