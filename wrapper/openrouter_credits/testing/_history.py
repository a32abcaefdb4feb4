"""The mock account's history: a deterministic year of spend, and who spent each row of it.

``GET /activity`` shows the last 30 completed UTC days; ``POST /analytics/query`` reaches a year. Both
read the same rows, so the same days give the same sums: the default month (``default_activity``) is
the last 30 days of the default year, and the 335 days before it spend less (about $5 in all, so the
year stays within the default account's $7.50 of lifetime usage).

Each row is attributed to a key: the row's own ``api_key_hash``, else the listed keys in turn (the
``n``-th row of a list to the ``n % len(keys)``-th key, as ``/activity?api_key_hash=`` deals them). The
default year's older rows belong to a key since deleted (``RETIRED_KEY``): the listed keys' lifetime
usage then covers what the month dealt them. A row's workspace, member and app are its own
``workspace_id``, ``user_id`` and ``app_id`` when it has them, else its key's (the key's workspace and
creator; the deleted key was an organization key: no member) and an app in turn.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from .._activity import ACTIVITY_DAYS, completed_days
from ._records import DEFAULT_WORKSPACE, activity_row, default_activity, row_day

__all__ = [
    "APPS",
    "END_USERS",
    "HISTORY_DAYS",
    "MODEL_NAMES",
    "RETIRED_KEY",
    "Fact",
    "attributed_hashes",
    "default_history",
    "default_older",
    "facts",
    "split_at_window",
]

#: How many completed UTC days the mock's history covers: what analytics reaches for daily spend.
HISTORY_DAYS = 365

#: The key the default year's older rows belong to, deleted since: not in ``GET /keys``.
RETIRED_KEY: Mapping[str, Any] = {
    "hash": hashlib.sha256(b"mock-retired-key").hexdigest(),
    "name": "retired",
    "workspace_id": DEFAULT_WORKSPACE,
    "creator_user_id": "",
}

#: The apps requests come from (analytics' ``app`` dimension: filters take the id, answers the title).
APPS: Mapping[int, str] = {101: "Mock Chat", 102: "Mock Batch"}

#: The end users requests name in their ``user`` field (analytics' ``external_user`` dimension), dealt to
#: the rows in turn; "" for requests that sent none.
END_USERS: tuple[str, ...] = ("user-1042", "user-2213", "", "user-3371", "user-1042")

#: How analytics labels the mock's models (the ``model`` dimension answers display names).
MODEL_NAMES: Mapping[str, str] = {
    "openai/gpt-4.1": "OpenAI: GPT-4.1",
    "anthropic/claude-sonnet-4": "Anthropic: Claude Sonnet 4",
}


def default_history(today: dt.date) -> list[dict[str, Any]]:
    """The default account's rows for the ``HISTORY_DAYS`` completed UTC days before ``today``, oldest
    first: ``default_older(today)``, then exactly ``default_activity(today)``."""
    return default_older(today) + default_activity(today)


def default_older(today: dt.date) -> list[dict[str, Any]]:
    """The default year's days before the 30 ``/activity`` shows, oldest first: whole cents, none every
    seventh day (as the month), less than the month spends."""
    rows = []
    for day in completed_days(today, HISTORY_DAYS)[: HISTORY_DAYS - ACTIVITY_DAYS]:
        n = day.toordinal()
        if n % 7 == 3:
            continue
        rows.append(
            {
                **activity_row(day, round(0.01 + (n % 2) * 0.01, 2), model="openai/gpt-4.1", requests=2 + n % 2),
                "api_key_hash": RETIRED_KEY["hash"],
            }
        )
        if n % 3 == 0:
            rows.append(
                {
                    **activity_row(day, 0.01, model="anthropic/claude-sonnet-4", requests=1),
                    "api_key_hash": RETIRED_KEY["hash"],
                }
            )
    return rows


def split_at_window(
    rows: Sequence[Mapping[str, Any]], today: dt.date
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A history's rows as (the others, those of the 30 completed UTC days ``GET /activity`` shows)."""
    window = {day.isoformat() for day in completed_days(today)}
    outside: list[dict[str, Any]] = []
    inside: list[dict[str, Any]] = []
    for row in rows:
        (inside if row_day(str(row.get("date"))) in window else outside).append(dict(row))
    return outside, inside


def attributed_hashes(rows: Sequence[Mapping[str, Any]], hashes: Sequence[str]) -> list[str | None]:
    """The hash of the key each row is attributed to: its own ``api_key_hash``, else the ``hashes`` in
    turn by the row's place in ``rows``; None when it has none and there are no keys."""
    return [row.get("api_key_hash", hashes[index % len(hashes)] if hashes else None) for index, row in enumerate(rows)]


class Fact(NamedTuple):
    """One history row as analytics reads it: its UTC day, what it was spent on, by whom, how much."""

    day: dt.date
    model: str
    permaslug: str
    provider: str
    key_hash: str | None
    workspace_id: str
    user_id: str
    app_id: int
    external_user: str
    usage: float
    byok_usage: float
    requests: int
    byok_requests: int
    prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int
    cached_tokens: int


def _number(row: Mapping[str, Any], name: str) -> Any:
    value = row.get(name, 0)
    return value if isinstance(value, int | float) and not isinstance(value, bool) else 0


def facts(lists: Sequence[Sequence[Mapping[str, Any]]], listing: Sequence[Mapping[str, Any]]) -> list[Fact]:
    """The facts of the rows of each of ``lists`` (each attributed in turn on its own, as
    ``/activity`` deals its answer), against the account's listed keys; rows whose date is of no
    known form count for no day and are left out."""
    hashes = [str(key["hash"]) for key in listing]
    keys = {str(key["hash"]): key for key in listing}
    keys.setdefault(str(RETIRED_KEY["hash"]), RETIRED_KEY)
    out = []
    for rows in lists:
        for index, (row, key_hash) in enumerate(zip(rows, attributed_hashes(rows, hashes), strict=True)):
            day = row_day(str(row.get("date")))
            if day is None:
                continue
            key = keys.get(key_hash or "", {})
            model = str(row.get("model", ""))
            out.append(
                Fact(
                    dt.date.fromisoformat(day),
                    model,
                    str(row.get("model_permaslug", model)),
                    str(row.get("provider_name", "")),
                    key_hash,
                    str(row.get("workspace_id") or key.get("workspace_id") or DEFAULT_WORKSPACE),
                    str(row.get("user_id", key.get("creator_user_id", "")) or ""),
                    int(row.get("app_id") or list(APPS)[index % len(APPS)]),
                    str(row.get("external_user", END_USERS[index % len(END_USERS)]) or ""),
                    float(_number(row, "usage")),
                    float(_number(row, "byok_usage_inference")),
                    int(_number(row, "requests")),
                    int(_number(row, "byok_requests")),
                    int(_number(row, "prompt_tokens")),
                    int(_number(row, "completion_tokens")),
                    int(_number(row, "reasoning_tokens")),
                    int(_number(row, "cached_tokens")),
                )
            )
    return out
