"""Compatibility with the Scission tool: its benchmark files, network CSV, query syntax and output.

- :mod:`.pickles` reads Scission's ``.dat`` benchmark pickles safely;
- :mod:`scission_opt.network` reads its network CSV (the project's one network reader);
- :mod:`.convert` turns a benchmark folder, a network CSV and a model name into an
  :class:`~scission_opt.Instance`;
- :mod:`.criteria` turns its ``-d/-e/-c`` criteria and limits into
  :class:`~scission_opt.Constraints`;
- :mod:`.output` prints results in its ranked-line format;
- :mod:`.cli` adds the ``scission`` and ``import-scission`` commands.

Queries are answered by the project's own solvers and cost model, not by a port
of Scission's enumeration.
"""

from .convert import SCISSION_TIERS, load_benchmarks, scission_instance
from .criteria import TierCriteria, apply_criteria, parse_criteria
from .output import format_result_line, format_results
from .pickles import LayerBenchmark, load_benchmark_file

__all__ = [
    "SCISSION_TIERS",
    "LayerBenchmark",
    "TierCriteria",
    "apply_criteria",
    "format_result_line",
    "format_results",
    "load_benchmark_file",
    "load_benchmarks",
    "parse_criteria",
    "scission_instance",
]
