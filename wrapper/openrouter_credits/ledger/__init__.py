"""The ledger: a local database that remembers the account's spend beyond the 30 days OpenRouter
keeps, filled from every source the API has, reconciled between them, and reported per month.

    from openrouter_credits import CreditsClient
    from openrouter_credits.ledger import open_ledger, resolve, sync

    with CreditsClient() as client, open_ledger(resolve(None)) as ledger:
        sync(client, ledger, now=datetime.now(UTC))

SQLite by default (``default_path()``), PostgreSQL by URL (the ``ledger-postgres`` extra). The
library's top level never imports this package; the command imports it for its ledger commands
(sync, report, history) and for the view's forecast, from its longer history, when a ledger exists.
"""

from ._errors import LedgerError, LedgerRefused, LedgerUnavailable, NewerLedger, NotALedger
from ._ledger import Ledger, open_ledger
from ._location import LEDGER_ENV, Location, default_path, resolve
from ._sync import SyncReport, sync

__all__ = [
    "LEDGER_ENV",
    "Ledger",
    "LedgerError",
    "LedgerRefused",
    "LedgerUnavailable",
    "Location",
    "NewerLedger",
    "NotALedger",
    "SyncReport",
    "default_path",
    "open_ledger",
    "resolve",
    "sync",
]
