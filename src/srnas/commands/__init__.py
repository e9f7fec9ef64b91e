"""Subcommands of the ``srnas`` CLI (one module each; see srnas.cli.COMMANDS)."""
