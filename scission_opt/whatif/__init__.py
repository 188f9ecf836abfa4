"""What-if questions about an instance: network overrides, bandwidth breakpoints, Pareto fronts,
robust plans across network scenarios, and why a plan was chosen.

Every answer comes from exact solves (:func:`scission_opt.solve`) and the one evaluator.
"""

from __future__ import annotations

from .overrides import LinkSelector, apply_overrides, parse_link_value, select_links, with_links

__all__ = ["LinkSelector", "apply_overrides", "parse_link_value", "select_links", "with_links"]
