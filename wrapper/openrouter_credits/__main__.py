"""``python -m openrouter_credits``: the ``openrouter-credits`` command."""

import sys

from ._cli import main

sys.exit(main())
