"""DAG models: plans that assign every node to a tier with ``tier(u) <= tier(v)`` on every edge,
their cost model (:mod:`.evaluate`) and exact solvers: ``dag-exhaustive`` (:mod:`.exhaustive`),
``dag-mincut`` (:mod:`.mincut`) and ``dag-cpsat`` (:mod:`.cpsat`).

formulations/dag.md writes the model out. Nothing is imported here, so that the solver
registry can name these solvers without loading them.
"""

#: Solver name -> "module:class", merged into the solver registry.
DAG_SOLVERS = {
    "dag-mincut": "scission_opt.dag.mincut:DagMinCut",
    "dag-cpsat": "scission_opt.dag.cpsat:DagCPSAT",
    "dag-exhaustive": "scission_opt.dag.exhaustive:DagExhaustive",
}
