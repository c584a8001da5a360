"""Benchmarks: the platform next to baselines measured in the same run (see BENCHMARKS.md)."""
