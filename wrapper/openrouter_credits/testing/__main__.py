"""``python -m openrouter_credits.testing``: the ``openrouter-credits-mock`` command."""

import sys

from ._cli import main

sys.exit(main())
