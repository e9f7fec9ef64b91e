"""The harness: runs plugins under one protocol and turns the runs into judged tables.

Two packages, one direction: :mod:`srnas.harness.execution` executes units and keeps the record store;
:mod:`srnas.harness.reporting` reads records into pages and may import execution, never the reverse.
"""
