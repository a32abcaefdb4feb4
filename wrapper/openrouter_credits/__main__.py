"""``python -m openrouter_credits``: the ``openrouter-credits`` command."""

import sys

from .cli import main

sys.exit(main())
