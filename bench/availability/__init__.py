"""The availability benchmark (see `__main__`), run as `python -m bench.availability` from the
repository root: `environment` (settings, its own database), `data` (what it loads), `measures`,
`report` (the table and docs/benchmarks.md)."""
