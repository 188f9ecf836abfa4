"""scission_opt: exact partitioning of DNN inference across device, edge and cloud tiers."""
