"""Benchmarks of the regroup model: ``python -m benchmarks [--quick]`` (see docs/performance.md)."""
