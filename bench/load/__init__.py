"""The load benchmark of issue 18: `python -m bench.load` (see bench/load/__main__.py)."""
