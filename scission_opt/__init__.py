"""scission_opt: exact partitioning of DNN inference across device, edge and cloud tiers.

Typical use::

    import scission_opt as so
    instance = so.load_instance("instances/vgg16.json")
    result = so.solve(instance)             # auto: the fastest exact solver that applies
    print(result.status, result.objective, result.plan.describe(instance))
"""

from .errors import InvalidInstanceError, ScissionError, UnknownNameError, UnsafePickleError, UnsupportedError
from .evaluate import Metrics, evaluate
from .instance import Constraints, Instance, Link, Node, ObjectiveSpec, System, load_instance, parse_instance
from .objectives import AdditiveObjective, Objective, Terms, get_objective
from .plan import Plan
from .result import RankedPlan, SolveResult, Status
from .solve import solve

__version__ = "0.1.0"

__all__ = [
    "AdditiveObjective",
    "Constraints",
    "Instance",
    "InvalidInstanceError",
    "Link",
    "Metrics",
    "Node",
    "Objective",
    "ObjectiveSpec",
    "Plan",
    "RankedPlan",
    "ScissionError",
    "SolveResult",
    "Status",
    "System",
    "Terms",
    "UnknownNameError",
    "UnsafePickleError",
    "UnsupportedError",
    "evaluate",
    "get_objective",
    "load_instance",
    "parse_instance",
    "solve",
]
