"""Benchmarks: `python3 dev.py bench` runs them all; each prints ratios to a same-run baseline."""
