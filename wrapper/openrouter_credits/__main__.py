"""``python -m openrouter_credits``: the ``openrouter-credits`` command."""

from .cli._main import console

console()
