"""The command line: ``main(argv)`` runs ``openrouter-credits`` (one module per command)."""

from ._main import main, parser

__all__ = ["main", "parser"]
