"""``openrouter-credits keys disable|enable|set-limit|remove-limit KEY``: change one key of the account
(a management key), shown first, confirmed, and journaled.

- KEY is a key's name, its label, or a prefix of its hash of 8 hex digits or more; a name several keys
  share is refused, listing them (name, label, workspace, hash prefix).
- The key the command runs with is never changed by it.
- On a terminal, the change is shown (before → after) and asked for; without one, ``--yes`` applies
  it; ``--dry-run`` shows it and changes nothing (whatever else is given).
- Every change made (or that failed) is an entry of the journal: the ledger when one is named
  (``--ledger``, ``$OPENROUTER_CREDITS_LEDGER``), else the state directory (``--state-dir``). A journal
  that cannot be written refuses the change before it is made. A change sent whose answer never came
  (Ctrl-C, a timeout, a dropped connection, a 5xx) may have been made: it is journaled ``unknown``,
  saying how to see the key (Ctrl-C: then exit 130). Ctrl-C never cuts an entry short.
- Output: the key's row after the change (``--json``: the key as ``keys --json`` prints it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import _defaults
from .._exceptions import AuthenticationError, OpenRouterCreditsError, PermissionDeniedError
from ._common import (
    EXIT_AUTH,
    EXIT_BELOW,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    add_common,
    argument,
    client_options,
    exit_code,
    interrupts_held,
    report,
    terms,
    the_key,
)

if TYPE_CHECKING:
    from .._api_key import ApiKey
    from .._apps.journal import Journal, JournalEntry
    from .._client import CreditsClient
    from .._key_update import KeyUpdate
    from .._listing import KeyListing

__all__ = ["ACTIONS", "register", "run"]

NEEDS_MANAGEMENT = "changing keys needs a management key"
#: The actions, each with what its help says.
ACTIONS = {
    "disable": "disable a key: its requests are refused until it is enabled again",
    "enable": "enable a disabled key",
    "set-limit": "set a key's spending limit (and with --reset, the window it resets in)",
    "remove-limit": "remove a key's spending limit",
}
RESETS = ("daily", "weekly", "monthly", "never")
#: What each action's sentence says it does.
_VERBS = {
    "disable": "Disable",
    "enable": "Enable",
    "set-limit": "Set the limit of",
    "remove-limit": "Remove the limit of",
}

amount = argument(float, lambda v: v == v and 0 <= v < float("inf"), "an amount of dollars, 0 or more")


def register(keys: argparse.ArgumentParser) -> None:
    """The actions as commands of ``keys`` (``keys`` alone still lists the keys)."""
    actions = keys.add_subparsers(
        dest="keys_action", metavar="ACTION", title="changes to one key (none: list the keys)", prog=keys.prog
    )
    for name, summary in ACTIONS.items():
        action = actions.add_parser(
            name,
            help=summary,
            description=f"{summary[0].upper()}{summary[1:]} (a management key). KEY is the key's name, its label, "
            "or a prefix of its hash of 8 hex digits or more. The change is shown (before → after) and, on a "
            "terminal, asked for; without a terminal it needs --yes. It goes in the journal: the ledger when one is "
            "named, else the state directory (openrouter-credits guard log prints it).",
            allow_abbrev=False,
        )
        action.add_argument("key", metavar="KEY", help="the key's name, label, or hash prefix (8 hex digits or more)")
        if name == "set-limit":
            action.add_argument("amount", metavar="AMOUNT", type=amount, help="the new limit, in dollars")
            action.add_argument(
                "--reset",
                choices=RESETS,
                help="the window the limit resets in (never: it does not reset; default: the key's as it is)",
            )
        action.add_argument("--yes", action="store_true", help="apply the change without asking (no terminal)")
        action.add_argument("--dry-run", action="store_true", help="show the change, and change nothing")
        action.add_argument("--json", action="store_true", dest="change_json", help="print the key as JSON")
        journal_options(action)
        add_common(action, config=False)
        action.set_defaults(run=run, keys_action=name)


def journal_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--ledger",
        metavar="FILE|URL",
        help="journal the change in this ledger (default: $OPENROUTER_CREDITS_LEDGER when set, else the state "
        "directory)",
    )
    p.add_argument(
        "--state-dir",
        metavar="DIR",
        help="journal the change here when no ledger is named (default: $XDG_STATE_HOME/openrouter-credits, else "
        "~/.local/state/openrouter-credits, as serve's)",
    )


def open_journal(args: argparse.Namespace, config_ledger: str | None = None) -> tuple[Journal, Any]:
    """The journal the options name (the ledger, else the state directory) and what closes it."""
    from .._apps.journal import FileJournal, LedgerJournal
    from .._apps.state_folder import default_state_dir
    from ..ledger._location import configured

    if configured(args.ledger, config_ledger):
        from ..ledger import open_ledger, resolve

        ledger = open_ledger(resolve(args.ledger, config_ledger))
        return LedgerJournal(ledger), ledger.close
    folder = Path(args.state_dir) if args.state_dir else default_state_dir()
    return FileJournal(folder), lambda: None


def _update(args: argparse.Namespace) -> KeyUpdate:
    from .._key_update import KeyUpdate

    if args.keys_action == "disable":
        return KeyUpdate.of(disabled=True)
    if args.keys_action == "enable":
        return KeyUpdate.of(disabled=False)
    if args.keys_action == "remove-limit":
        return KeyUpdate.of(limit=None)
    if args.reset is None:
        return KeyUpdate.of(limit=args.amount)
    return KeyUpdate.of(limit=args.amount, limit_reset=None if args.reset == "never" else args.reset)


def _on_a_terminal() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


def _ask(question: str) -> bool:
    print(f"{question} [y/N] ", end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes")


def _secret() -> str | None:
    """The key the command runs with, to tell it among the listed keys (never shown)."""
    return os.environ.get(_defaults.API_KEY_ENV, "").strip() or None


def _refused(error: OpenRouterCreditsError, args: argparse.Namespace) -> int:
    if args.debug:
        report(error, args, sys.stderr)
    assert isinstance(error, AuthenticationError | PermissionDeniedError)
    refused = f"HTTP {error.status_code}: {error.message}" if error.message else f"HTTP {error.status_code}"
    print(
        f"error: {NEEDS_MANAGEMENT}; this key was refused ({refused}). Create one at {_defaults.MANAGEMENT_KEYS_URL}.",
        file=sys.stderr,
    )
    return EXIT_AUTH


def _read(client: CreditsClient) -> tuple[KeyListing, str | None]:
    """The account's keys (disabled ones too) and the label of the key the command runs with, at once."""
    from .._plan import worker_pool

    pool = worker_pool(1)
    try:
        own = pool.submit(client.get_key)
        listing = client.list_keys(include_disabled=True)
        try:
            label: str | None = own.result().label
        except OpenRouterCreditsError:
            label = None  # the hash tells the key too
    finally:  # Ctrl-C while waiting: return at once, not when the call ends
        pool.shutdown(wait=False, cancel_futures=True)
    return listing, label


def run(args: argparse.Namespace) -> int:
    from .._apps.journal import JournalError, changes_text, value_text
    from .._apps.key_choice import KeyChoiceError, choose, described, is_own, rows
    from .._client import CreditsClient
    from ..ledger import LedgerError
    from .keys import key_json, keys_table

    update = _update(args)
    terminal = _on_a_terminal()
    command = f"keys {args.keys_action}"
    if not (args.dry_run or args.yes or terminal):
        print(
            f"error: {command} changes a key of the account, and there is no terminal to confirm it on: add --yes to "
            "apply it, or --dry-run to see it only.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    secret = the_key(args)
    with CreditsClient(secret, **client_options(args)) as client:  # type: ignore[arg-type]
        try:
            listing, own_label = _read(client)
        except (AuthenticationError, PermissionDeniedError) as error:
            return _refused(error, args)
        except OpenRouterCreditsError as error:
            report(error, args, sys.stderr)
            return exit_code(error)
        try:
            key = choose(listing, args.key)
        except KeyChoiceError as error:
            print(f"error: {error}", file=sys.stderr)
            for line in rows(error.candidates):
                print(f"  {line}", file=sys.stderr)
            return EXIT_USAGE
        if is_own(key, secret or _secret(), own_label):
            print(
                f"error: KEY names the key this command runs with ({described(key)}): it is never changed by its own "
                "command. Run it with another management key.",
                file=sys.stderr,
            )
            return EXIT_USAGE
        now = client._now()
        changes = update.changes(key)
        before = {field: old for field, (old, _) in changes.items()}
        after = {field: new for field, (_, new) in changes.items()}
        stream = sys.stdout if args.dry_run and not args.change_json else sys.stderr
        if not changes:
            already = ", ".join(f"{field} is {value_text(field, value)}" for field, value in update.fields.items())
            print(f"Key {described(key)}: {already} already; nothing was changed.", file=sys.stderr)
            _print_key(key, now, args.change_json, keys_table, key_json)
            return EXIT_OK
        print(f"{_VERBS[args.keys_action]} key {described(key)}:", file=stream)
        print(f"  {changes_text(before, after)}", file=stream)
        if args.dry_run:
            if args.change_json:
                shown = {field: {"before": old, "after": new} for field, (old, new) in changes.items()}
                print(json.dumps({"dry_run": True, "key": key_json(key, now), "changes": shown}))
            print("dry run: nothing was changed.", file=sys.stderr if args.change_json else sys.stdout)
            return EXIT_OK
        if not args.yes:
            try:
                applied = _ask("Apply this change?")
            except KeyboardInterrupt:
                print("\nNothing was changed.", file=sys.stderr)
                return EXIT_INTERRUPTED
            if not applied:
                print("Nothing was changed.", file=sys.stderr)
                return EXIT_BELOW
        try:
            journal, close = open_journal(args)
        except (JournalError, LedgerError) as error:
            report(error, args, sys.stderr)
            print("Nothing was changed.", file=sys.stderr)
            return exit_code(error)
        try:
            return _apply(args, client, key, update, journal, before, after, now)
        finally:
            close()


def _apply(
    args: argparse.Namespace,
    client: CreditsClient,
    key: ApiKey,
    update: KeyUpdate,
    journal: Journal,
    before: dict[str, Any],
    after: dict[str, Any],
    now: Any,
) -> int:
    """Make the change and journal it (the journal checked first: a change is never made unjournaled)."""
    from .._apps.journal import CLI, SEE_THE_KEY, JournalEntry, JournalError, outcome_of, unknown_reason
    from ..ledger import LedgerError
    from .keys import key_json, keys_table

    try:
        journal.check()
    except (JournalError, LedgerError) as error:
        report(error, args, sys.stderr)
        print("Nothing was changed.", file=sys.stderr)
        return exit_code(error)

    def entry(outcome: str, reason: str) -> JournalEntry:
        return JournalEntry(
            at=now, actor=CLI, key_hash=key.hash_, key_name=key.name, action=args.keys_action.replace("-", "_"),
            outcome=outcome, before=before, after=after, reason=reason,
        )  # fmt: skip

    try:
        updated = client.update_key(key.hash_, **update.fields)
    except KeyboardInterrupt:  # sent, and no answer yet: it may have been made
        return _interrupted(args, journal, entry("unknown", unknown_reason("interrupted (Ctrl-C) while it was sent.")))
    except OpenRouterCreditsError as error:
        outcome = outcome_of(error)
        why = error.describe(terms(args))
        with interrupts_held():
            journal.append(entry(outcome, why if outcome == "failed" else unknown_reason(why)))
        if isinstance(error, AuthenticationError | PermissionDeniedError):
            return _refused(error, args)
        report(error, args, sys.stderr)
        if outcome == "unknown":
            print(f"The change may have been made: {SEE_THE_KEY}.", file=sys.stderr)
        return exit_code(error)
    with interrupts_held():  # a Ctrl-C now: the entry written first, then exit 130
        journal.append(entry("done", f"openrouter-credits keys {args.keys_action}"))
    _print_key(updated.in_workspace(key.workspace_name), now, args.change_json, keys_table, key_json)
    return EXIT_OK


def _interrupted(args: argparse.Namespace, journal: Journal, entry: JournalEntry) -> int:
    """Ctrl-C while the change was sent: journaled ``unknown`` (a second Ctrl-C waits for the entry),
    said so, exit 130."""
    from .._apps.journal import SEE_THE_KEY, JournalError
    from ..ledger import LedgerError

    with contextlib.suppress(KeyboardInterrupt), interrupts_held():
        print(file=sys.stderr)
        try:
            journal.append(entry)
        except (JournalError, LedgerError) as error:
            report(error, args, sys.stderr)
            print(f"Interrupted: the change may have been made, and is not journaled: {SEE_THE_KEY}.", file=sys.stderr)
        else:
            print(
                f"Interrupted: the change may have been made (journaled as unknown in {journal.where}): {SEE_THE_KEY}.",
                file=sys.stderr,
            )
    return EXIT_INTERRUPTED


def _print_key(key: ApiKey, now: Any, as_json: bool, table: Any, as_object: Any) -> None:
    if as_json:
        print(json.dumps(as_object(key, now)))
    else:
        print(table([key], now, workspaces=key.workspace_name is not None))
