"""Pages of reports, one module per report: `aid` (aid reports, cash subsidies, budget annexes,
valuation certificates), `accounting` (the public-accounting export) and `journal` (the journal
of changes)."""
