"""What can go wrong with the ledger itself (not with OpenRouter): each a sentence that says what to
do, and the exit status the command gives for it.

    LedgerError                 base; ``exit_status`` 7
    ├── NotALedger              the file or database is something else
    ├── NewerLedger             written by a newer version of openrouter-credits
    ├── LedgerRefused           PostgreSQL refused the login (or the database does not exist)
    └── LedgerUnavailable       ``exit_status`` 8: cannot be read or written now (read-only or full
                                disk, PostgreSQL down, busy past the timeout); nothing was half-written

A message never holds a password: a PostgreSQL URL is shown without it (``_location.shown``).
"""

from __future__ import annotations

__all__ = ["LedgerError", "LedgerRefused", "LedgerUnavailable", "NewerLedger", "NotALedger"]

#: The exit statuses of the command for the ledger's errors (the command's table lists them).
EXIT_LEDGER = 7
EXIT_LEDGER_UNAVAILABLE = 8


class LedgerError(Exception):
    """The ledger cannot be used as given: the setting needs changing (``exit_status`` 7)."""

    exit_status = EXIT_LEDGER


class NotALedger(LedgerError):
    """The file (or database) named as the ledger holds something else."""


class NewerLedger(LedgerError):
    """The ledger was written by a newer version, whose schema this one does not know."""


class LedgerRefused(LedgerError):
    """PostgreSQL refused the connection's login, or has no such database."""


class LedgerUnavailable(LedgerError):
    """The ledger cannot be read or written now; the transaction was rolled back (``exit_status`` 8)."""

    exit_status = EXIT_LEDGER_UNAVAILABLE
