"""The harness: runs plugins under one protocol and turns the runs into judged tables.

- :mod:`~srnas.harness.config`: base profile <- method profile <- variant <- ``--set``, validated.
- :mod:`~srnas.harness.runner`: per seed search -> build -> train -> evaluate, resumable, one record each.
- :mod:`~srnas.harness.records`: immutable self-checking JSON run records.
- :mod:`~srnas.harness.reported`: the papers' numbers (benchmarks/reported.csv) and their schema.
- :mod:`~srnas.harness.aggregate` / :mod:`~srnas.harness.tables` / :mod:`~srnas.harness.plots`: rows of
  seeds, verdicts for ``paper`` runs, markdown tables and PSNR-vs-cost plots.
- :mod:`~srnas.harness.env`: the code and machine a record came from.
"""
