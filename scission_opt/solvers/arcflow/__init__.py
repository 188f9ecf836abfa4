"""The pruned arc-flow MIP shared by the ``cbc`` and ``cpsat`` solvers.

Modules import only downward: ``paths`` (shortest paths and pruning on the
layered state graph) <- ``model`` (the backend-neutral model and decoding) <-
``states`` (which states and hops may exist) <- ``group`` (one origin group's
arcs, costs and limits) <- ``build`` (one function per row family) <-
``heuristics`` (a :class:`~.heuristics.Scorer` and cheap feasible plans) <-
``driver`` (the solve loop and :class:`~.driver.ArcSolver`) <- ``cbc``,
``cpsat`` (the backends). formulations/chain-mip.md writes the model out.
"""
