"""Executing units: configs resolved and checked, runs (search -> build -> train -> evaluate), dry runs,
sweeps on a local pool or SLURM, leases, and the sealed record store with its weights and bundles.

Nothing here reads records into pages: :mod:`srnas.harness.reporting` sits above this package and may import
it, never the reverse (``tests/test_layers.py``).

- :mod:`~srnas.harness.execution.config`: base profile <- method profile <- variant <- ``--set``, validated.
- :mod:`~srnas.harness.execution.runner`: per seed search -> build -> train -> evaluate, resumable, one record each.
- :mod:`~srnas.harness.execution.dryrun`: every loop's steps timed at full shapes, projected to the schedule.
- :mod:`~srnas.harness.execution.sweep` / :mod:`~srnas.harness.execution.lease`: grids of units, each run once.
- :mod:`~srnas.harness.execution.records` / :mod:`~srnas.harness.execution.weights` /
  :mod:`~srnas.harness.execution.bundle`: immutable self-checking JSON records, their weights, portable bundles.
- :mod:`~srnas.harness.execution.env`: the code and machine a record came from.
"""
