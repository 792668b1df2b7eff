"""How the benchmarks drive the engine and their baselines."""
