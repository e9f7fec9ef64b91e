"""Reading records into pages: rows of seeds, the papers' numbers and the claims ledger, verdicts, the
equal-budget comparison and its diagnostics, projections, plots and the static site.

Every module here reads what :mod:`srnas.harness.execution` wrote; it never runs a unit.

- :mod:`~srnas.harness.reporting.reported` / :mod:`~srnas.harness.reporting.claims`: the papers' numbers and claims, judged.
- :mod:`~srnas.harness.reporting.aggregate` / :mod:`~srnas.harness.reporting.tables` /
  :mod:`~srnas.harness.reporting.plots`: rows of seeds, markdown tables, PSNR-vs-cost plots.
- :mod:`~srnas.harness.reporting.compare` / :mod:`~srnas.harness.reporting.diagnostics` /
  :mod:`~srnas.harness.reporting.signal`: the equal-budget comparison, its budget ladder and search signal.
- :mod:`~srnas.harness.reporting.frame`: the records as one pandas table, for analysis outside the pages.
"""
