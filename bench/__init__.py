"""Benchmark tooling: the scale-data generator's row makers and the `bench/run` harness."""
