"""The mock's records: accounts, keys, 30 days of activity, and the faults to inject."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from .._activity import completed_days, utc_date
from .._windows import next_reset

__all__ = [
    "ACTIVITY_DATE_FORMATS",
    "DEFAULT_WORKSPACE",
    "DEFAULT_WORKSPACE_NAME",
    "ENDPOINTS",
    "FAULT_KINDS",
    "KEY_ENDPOINTS",
    "LIMIT_RESETS",
    "OTHER_WORKSPACE",
    "USAGE_FIELDS",
    "USERS",
    "AccountBalance",
    "Budget",
    "Fault",
    "KeyView",
    "activity_row",
    "amount",
    "default_activity",
    "effective_budget",
    "key_label",
    "limit_left",
    "provider_name",
    "row_day",
    "served_date",
    "shown_label",
]

#: The endpoints a fault can be aimed at, and the method each answers.
ENDPOINTS = {
    "credits": "GET",
    "key": "GET",
    "activity": "GET",
    "keys": "GET",
    "workspaces": "GET",
    "analytics/query": "POST",
    "analytics/meta": "GET",
    "keys/{hash}": "GET",
    "PATCH keys/{hash}": "PATCH",
}
#: The endpoints whose path holds a key's hash (``keys/<hash>``), by method.
KEY_ENDPOINTS = {"GET": "keys/{hash}", "PATCH": "PATCH keys/{hash}"}

#: What a fault does to one response.
FAULT_KINDS = {
    "status": "answer with the given status (default 500) in OpenRouter's error shape, with Retry-After if given",
    "truncated": "a 200 whose JSON body is cut off mid-object (the length header matches what is sent)",
    "not-json": "a 200 whose body is plain text",
    "html": "an HTML error page, as a proxy in front of the API sends (default status 502)",
    "wrong-types": "a 200 whose numbers are a string and null",
    "drop": "send the headers and part of the body, then drop the connection",
    "rate-limit": (
        "HTTP 429 as OpenRouter sends it: its error body, X-RateLimit-Limit, X-RateLimit-Remaining 0 and "
        "X-RateLimit-Reset (ms since the epoch: the mock's clock plus rate_limit_reset seconds, 60 by default), "
        "Retry-After only if retry_after is given"
    ),
}

#: How the mock writes the date of an activity row, chosen per mock (``activity_date_format``).
ACTIVITY_DATE_FORMATS = {
    "date": "YYYY-MM-DD, as the API document says (2026-06-12)",
    "datetime": "YYYY-MM-DD HH:MM:SS, as the live API sends it (2026-06-12 00:00:00)",
    "rfc3339": "RFC 3339 in UTC, as some clients see it (2026-06-12T00:00:00Z)",
}


@attrs.define
class AccountBalance:
    """A management (provisioning) key's account: dollars bought and used."""

    total_credits: float
    total_usage: float


#: The workspace of the mock's keys and activity rows unless said otherwise: the account's default
#: one, whose keys ``GET /keys`` lists without ``workspace_id``.
DEFAULT_WORKSPACE = "00000000-0000-4000-8000-000000000000"
DEFAULT_WORKSPACE_NAME = "Default"
#: The other workspace some generated keys belong to (``add_keys``).
OTHER_WORKSPACE = "00000000-0000-4000-8000-000000000001"
#: The account's members: their ids (a key's ``creator_user_id``, what analytics filters take) and the
#: labels analytics answers with.
USERS = {"user_mock": "mock@example.com", "user_ada": "ada@example.com", "user_lin": "lin@example.com"}
#: The intervals a budget may reset at (null: never).
RESET_INTERVALS = ("daily", "weekly", "monthly")
#: Free-model requests a day: an account on the free tier, and one that bought credits.
FREE_MODEL_DAILY_REQUESTS = {True: 50, False: 1000}


@attrs.frozen
class Budget:
    """A budget set on a key by a guardrail or on its workspace: a limit, what was spent of it in the
    current window, how often the window starts afresh (None: never)."""

    limit: float
    spend: float = 0.0
    reset_interval: str | None = None
    include_byok: bool = False

    def __attrs_post_init__(self) -> None:
        for name in ("limit", "spend"):
            amount(name, getattr(self, name))
        if self.reset_interval is not None and self.reset_interval not in RESET_INTERVALS:
            raise ValueError(
                f"reset_interval must be one of {', '.join(RESET_INTERVALS)} or null, not {self.reset_interval!r}"
            )
        if not isinstance(self.include_byok, bool):
            raise ValueError(f"include_byok must be true or false, not {self.include_byok!r}")

    @classmethod
    def of(cls, spec: Budget | float | Mapping[str, Any] | None) -> Budget | None:
        """A budget from a number (its limit, nothing spent), ``{"limit": ..., "spend": ...,
        "reset_interval": ..., "include_byok": ...}``, or None (no budget)."""
        if spec is None or isinstance(spec, Budget):
            return spec
        if isinstance(spec, Mapping):
            unknown = sorted(set(spec) - {"limit", "spend", "reset_interval", "include_byok"})
            if unknown:
                raise ValueError(
                    f"a budget has no field {unknown[0]!r}; its fields are include_byok, limit, reset_interval, spend"
                )
            if "limit" not in spec:
                raise ValueError("a budget needs its limit")
            return cls(
                amount("limit", spec["limit"]),
                amount("spend", spec.get("spend", 0.0)),
                spec.get("reset_interval"),
                spec.get("include_byok", False),
            )
        return cls(amount("limit", spec))

    def layer(self, scope: str, now: dt.datetime, **ids: str | None) -> dict[str, Any]:
        """The budget as a layer of ``budgets`` in ``GET /key``."""
        return _layer(scope, self.limit, self.spend, self.reset_interval, now, self.include_byok, **ids)


def _layer(
    scope: str,
    limit: float,
    spend: float,
    reset_interval: str | None,
    now: dt.datetime,
    include_byok: bool,
    *,
    budget_id: str | None = None,
    guardrail_id: str | None = None,
) -> dict[str, Any]:
    resets_at = next_reset(reset_interval, now)
    return {
        "scope": scope,
        "limit_usd": limit,
        "remaining_usd": max(limit - spend, 0.0),
        "spend_usd": spend,
        "reset_interval": reset_interval,
        "resets_at": None if resets_at is None else resets_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "include_byok": include_byok,
        "budget_id": budget_id,
        "guardrail_id": guardrail_id,
    }


def effective_budget(layers: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The layer that blocks first, as OpenRouter picks it: the spent one, else the one with the
    least remaining; None when nothing is budgeted."""
    spent = [layer for layer in layers if layer["remaining_usd"] <= 0]
    if spent:
        return spent[0]
    return min(layers, key=lambda layer: layer["remaining_usd"], default=None)


#: A key's usage figures, as ``GET /key`` and ``GET /keys`` name them.
USAGE_FIELDS = ("usage", "usage_daily", "usage_weekly", "usage_monthly")
#: The windows a key's limit resets in (null: never), as ``PATCH /keys/{hash}`` takes them.
LIMIT_RESETS = ("daily", "weekly", "monthly")
#: The usage a limit of each window counts (a limit that never resets counts the lifetime usage).
WINDOW_USAGE = {"daily": "usage_daily", "weekly": "usage_weekly", "monthly": "usage_monthly"}


def limit_left(key: Mapping[str, Any]) -> float:
    """What a key's ``limit`` leaves of its ``limit_reset`` window, from its window's usage (its
    lifetime ``usage`` for a limit that never resets)."""
    used = key[WINDOW_USAGE.get(key["limit_reset"] or "", "usage")]
    return round(max(float(key["limit"]) - float(used), 0.0), 6)


@attrs.define
class KeyView:
    """What ``GET /key`` says of a key: its limit (None: no limit), the window it resets in, and its
    usage, in dollars, and the budgets of a guardrail on it and of its workspace (None: none). A usage
    figure that is None follows the account's spend: what the account's activity dealt to the key
    (``_history.spent``). What ``PATCH /keys/{hash}`` changed of it: its name (None: the mock's),
    ``disabled`` (its own calls then get a 401), ``include_byok_in_limit``, ``updated_at``."""

    management: bool
    limit: float | None = None
    usage: float | None = 0.0
    usage_daily: float | None = 0.0
    usage_weekly: float | None = 0.0
    usage_monthly: float | None = 0.0
    is_free_tier: bool = False
    guardrail: Budget | None = None
    workspace: Budget | None = None
    limit_reset: str | None = None
    disabled: bool = False
    include_byok_in_limit: bool = False
    name: str | None = None
    updated_at: str | None = None

    def figures(self, spent: Mapping[str, float] | None = None) -> dict[str, float]:
        """The key's usage figures: as set, else (None) from ``spent`` (what the account's spend
        dealt to it; 0 when it was dealt nothing)."""
        found = {}
        for name in USAGE_FIELDS:
            value = getattr(self, name)
            found[name] = float(value) if value is not None else float((spent or {}).get(name, 0.0))
        return found

    def with_figures(self, figures: Mapping[str, float]) -> KeyView:
        """A copy whose usage figures are ``figures`` (``figures()``'s)."""
        return attrs.evolve(
            self,
            usage=figures["usage"],
            usage_daily=figures["usage_daily"],
            usage_weekly=figures["usage_weekly"],
            usage_monthly=figures["usage_monthly"],
        )

    def budgets(self, label: str, now: dt.datetime, usage: float | None = None) -> list[dict[str, Any]]:
        """``budgets`` of ``GET /key``: the guardrail's, the workspace's, the key's own limit, in that order."""
        layers = []
        if self.guardrail is not None:
            layers.append(self.guardrail.layer("api_key", now, guardrail_id=f"guardrail-{label}"))
        if self.workspace is not None:
            layers.append(self.workspace.layer("workspace", now, budget_id=f"budget-{DEFAULT_WORKSPACE[:8]}"))
        if self.limit is not None:
            used = self.figures()[WINDOW_USAGE.get(self.limit_reset or "", "usage")] if usage is None else usage
            layers.append(_layer("key_limit", self.limit, used, self.limit_reset, now, self.include_byok_in_limit))
        return layers

    def data(
        self, key: str, now: dt.datetime | None = None, spent: Mapping[str, float] | None = None
    ) -> dict[str, Any]:
        """The ``data`` object of ``GET /key`` for ``key``: every field the published document
        requires, and what the live API sends beyond it (``budgets``, ``effective_budget``,
        ``allowed_data_regions``, ``free_model_daily_requests``, ``organization_id``,
        ``workspace_id``); its ``label`` is the one ``GET /keys`` lists it with, and the figures that
        follow the account's spend are ``spent``'s."""
        figures = self.figures(spent)
        window = figures[WINDOW_USAGE.get(self.limit_reset or "", "usage")]
        remaining = (
            None
            if self.limit is None
            else limit_left({"limit": self.limit, "limit_reset": self.limit_reset, **figures})
        )
        layers = self.budgets(key_label(key), dt.datetime.now(dt.UTC) if now is None else now, window)
        free = FREE_MODEL_DAILY_REQUESTS[self.is_free_tier]
        return {
            "label": shown_label(key),
            "limit": self.limit,
            "limit_remaining": remaining,
            "limit_reset": self.limit_reset,
            **figures,
            "byok_usage": 0.0,
            "byok_usage_daily": 0.0,
            "byok_usage_weekly": 0.0,
            "byok_usage_monthly": 0.0,
            "include_byok_in_limit": self.include_byok_in_limit,
            "is_free_tier": self.is_free_tier,
            "is_management_key": self.management,
            "is_provisioning_key": self.management,
            "creator_user_id": "user_mock",
            "expires_at": None,
            "rate_limit": {"requests": -1, "interval": "10s", "note": "This field is deprecated and safe to ignore."},
            "budgets": layers,
            "effective_budget": effective_budget(layers),
            "allowed_data_regions": ["global"],
            "free_model_daily_requests": {"limit": free, "remaining": free, "used": 0},
            "organization_id": None,
            "workspace_id": DEFAULT_WORKSPACE,
        }


@attrs.frozen
class Fault:
    """One faulty response (see ``FAULT_KINDS``)."""

    kind: str
    status: int | None = None
    retry_after: float | None = None
    rate_limit_reset: float | None = None
    """For ``rate-limit``: seconds from the mock's now to the X-RateLimit-Reset it sends (None: 60)."""

    def __attrs_post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {', '.join(FAULT_KINDS)}")
        if self.status is not None and not 100 <= self.status <= 599:
            raise ValueError(f"status must be 100..599, not {self.status}")
        if self.kind == "rate-limit" and self.status not in (None, 429):
            raise ValueError(f"a rate-limit fault answers 429, not {self.status}")
        for name in ("retry_after", "rate_limit_reset"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be 0 or more seconds, not {value}")
        if self.rate_limit_reset is not None and self.kind != "rate-limit":
            raise ValueError(f"rate_limit_reset is for the rate-limit fault, not {self.kind!r}")


def key_label(key: str) -> str:
    """How the mock names a key in its state (and the name ``GET /keys`` lists an ordinary key by):
    stable, distinct per key, and no part of the key itself."""
    return "key-" + hashlib.sha256(key.encode()).hexdigest()[:12]


def shown_label(key: str) -> str:
    """A key's ``label`` in ``GET /key`` and ``GET /keys`` alike, in OpenRouter's form
    (``sk-or-v1-abc...wxyz``), made from the key's hash: no part of the key itself."""
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"sk-or-v1-{digest[:3]}...{digest[-4:]}"


#: How OpenRouter names the providers of the mock's models in ``provider_name`` (others: the slug's
#: first part, capitalised).
PROVIDER_NAMES = {
    "openai": "OpenAI",
    "anthropic": "Anthropic",
    "google": "Google",
    "mistralai": "Mistral",
    "x-ai": "xAI",
    "deepseek": "DeepSeek",
    "meta-llama": "Meta",
}


def provider_name(model: str) -> str:
    """The ``provider_name`` of an activity row for ``model`` (``openai/gpt-4.1``: ``OpenAI``)."""
    vendor = model.split("/")[0]
    return PROVIDER_NAMES.get(vendor, vendor.capitalize())


def activity_row(
    date: str | dt.date, usage: float, *, model: str = "openai/gpt-4.1", requests: int = 1
) -> dict[str, Any]:
    """One row of ``GET /activity``: ``usage`` dollars spent on ``model`` on ``date``."""
    day = date.isoformat() if isinstance(date, dt.date) else str(date)
    slug = model.replace("/", "-")
    return {
        "date": day,
        "model": model,
        "model_permaslug": f"{model}-2025-01-01",
        "endpoint_id": f"endpoint-{slug}",
        "provider_name": provider_name(model),
        "usage": usage,
        "byok_usage_inference": 0.0,
        "requests": requests,
        "prompt_tokens": 100 * requests,
        "completion_tokens": 200 * requests,
        "reasoning_tokens": 0,
        "cached_tokens": 0,
    }


def default_activity(today: dt.date) -> list[dict[str, Any]]:
    """A deterministic month for the days before ``today``: two models on most days, none every
    seventh day (by date), amounts in whole cents that vary by date. The figures tell one story with
    the default keys: about $2 over the 30 days, within the ordinary key's $2.50 of lifetime usage and
    the account's $7.50."""
    rows = []
    for day in completed_days(today):
        n = day.toordinal()
        if n % 7 == 3:
            continue
        rows.append(activity_row(day, round(0.03 + (n % 5) * 0.01, 2), model="openai/gpt-4.1", requests=4 + n % 3))
        rows.append(
            activity_row(day, round(0.02 + (n % 3) * 0.01, 2), model="anthropic/claude-sonnet-4", requests=2 + n % 2)
        )
    return rows


def rows_from(spec: Iterable[Mapping[str, Any]] | Mapping[str, float]) -> list[dict[str, Any]]:
    """Activity rows from rows, or from ``{"YYYY-MM-DD": usage}`` (one row a day). A row's date is a
    date or a string: one of another form than YYYY-MM-DD (``2026-06-12 00:00:00``, ``12/06/2026``) is
    served as given, to imitate what else a server may send."""
    if isinstance(spec, Mapping):
        rows = [activity_row(_date(day), amount("usage", usage)) for day, usage in spec.items()]
    else:
        rows = []
        for row in spec:
            if not isinstance(row, Mapping) or "date" not in row or "usage" not in row:
                raise ValueError("each activity row needs at least 'date' and 'usage'")
            date = row["date"]
            if not isinstance(date, str | dt.date):
                raise ValueError(f"an activity row's date must be a string, not {date!r}")
            base = activity_row(date, amount("usage", row["usage"]), model=str(row.get("model", "openai/gpt-4.1")))
            rows.append({**base, **{k: v for k, v in row.items() if k not in ("date", "usage")}})
    return rows


_PLAIN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _plain(date: str) -> bool:
    """Whether ``date`` is YYYY-MM-DD (what the mock keeps; other strings are served as given)."""
    return _PLAIN.fullmatch(date) is not None


def served_date(date: str, form: str) -> str:
    """A row's ``date`` as the mock sends it in the form ``form`` (see ACTIVITY_DATE_FORMATS); a
    date kept in another form than YYYY-MM-DD is sent as it is."""
    if form == "date" or not _plain(date):
        return date
    return f"{date} 00:00:00" if form == "datetime" else f"{date}T00:00:00Z"


def row_day(date: str) -> str | None:
    """The UTC day (YYYY-MM-DD) a row's ``date`` stands for, as the client reads it; None for a date
    of no known form."""
    if _plain(date):
        return date
    try:
        return utc_date(date).isoformat()
    except (TypeError, ValueError):
        return None


def _date(value: Any) -> str:
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def amount(name: str, value: Any) -> float:
    """``value`` as a float number of dollars; ValueError naming ``name`` for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a number of dollars, not {value!r}")
    return float(value)
