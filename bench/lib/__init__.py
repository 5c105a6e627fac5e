"""What the benchmark sections share: paths, building, the commands they
run with their proofs, running a tool against the workload, statistics."""
