"""What can go wrong with the ledger itself (not with OpenRouter): each a sentence that says what to
do, and, like every error of openrouter_credits, a ``kind`` that the command's exit status is read
from (``cli/_common.EXIT_FOR_KIND``: ``ledger`` 7, ``ledger_unavailable`` 8).

    OpenRouterCreditsError
    └── LedgerError             kind ``ledger``: the ledger cannot be used as named; the setting needs
        │                       changing (or openrouter-credits upgrading)
        ├── NotALedger          the file or database is something else
        ├── NewerLedger         written by a newer version of openrouter-credits
        ├── LedgerRefused       PostgreSQL refused the login (or the database does not exist)
        └── LedgerUnavailable   kind ``ledger_unavailable``: cannot be read or written now (read-only
                                or full disk, PostgreSQL down, busy past the timeout); nothing was
                                half-written, and trying again later can succeed

A message never holds a password: a PostgreSQL URL is shown without it (``_location.shown``). The
kinds are not among ``ERROR_KINDS``, which count failed calls to OpenRouter.
"""

from __future__ import annotations

from .._exceptions import OpenRouterCreditsError

__all__ = ["LEDGER_KINDS", "LedgerError", "LedgerRefused", "LedgerUnavailable", "NewerLedger", "NotALedger"]

#: The kinds of the ledger's errors.
LEDGER_KINDS = ("ledger", "ledger_unavailable")


class LedgerError(OpenRouterCreditsError):
    """The ledger cannot be used as given: the setting needs changing."""

    kind = "ledger"


class NotALedger(LedgerError):
    """The file (or database) named as the ledger holds something else."""


class NewerLedger(LedgerError):
    """The ledger was written by a newer version, whose schema this one does not know."""


class LedgerRefused(LedgerError):
    """PostgreSQL refused the connection's login, or has no such database."""


class LedgerUnavailable(LedgerError):
    """The ledger cannot be read or written now; the transaction was rolled back."""

    kind = "ledger_unavailable"
