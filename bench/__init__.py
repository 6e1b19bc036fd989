"""Benchmarks. Nothing in the product imports this package."""
