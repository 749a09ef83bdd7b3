"""Benchmark of the observatory (issue 15): `python -m bench.observatory`."""
