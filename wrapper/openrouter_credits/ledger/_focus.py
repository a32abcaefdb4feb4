"""The FinOps FOCUS export: one row per day and what the breakdown names (by default key and model),
with FOCUS's column names, as finance tools import it. Costs are exact decimals in USD.

OpenRouter is the provider and invoice issuer; the model is the service (``ServiceName``), the
inference provider its publisher (``PublisherName``) where the source tells, the key the resource
(``ResourceId`` its hash, ``ResourceName`` its name), the workspace the sub-account. Columns FOCUS
names that OpenRouter has no figure for are empty; ``x_Source`` says which source a row comes from.
With ``tags`` (teams configured), FOCUS's ``Tags`` column too: a JSON object of key/value pairs
(``{"team": "platform"}``), empty where a row's tags cannot be told."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Mapping, Sequence

from ._nano import dollars_text
from ._reports import NOT_BROKEN_DOWN, Line

__all__ = ["FOCUS_COLUMNS", "focus_csv"]

FOCUS_COLUMNS = (
    "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodStart", "BillingPeriodEnd",
    "ChargePeriodStart", "ChargePeriodEnd", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeFrequency",
    "BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "ConsumedQuantity", "ConsumedUnit",
    "InvoiceIssuerName", "ProviderName", "PublisherName", "ServiceCategory", "ServiceName", "ResourceId",
    "ResourceName", "ResourceType", "SubAccountId", "SubAccountName", "x_Source", "x_ByokCost",
)  # fmt: skip


def _stamp(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _month(day: dt.date) -> tuple[dt.date, dt.date]:
    start = day.replace(day=1)
    following = (start + dt.timedelta(days=32)).replace(day=1)
    return start, following


def focus_csv(
    lines: Sequence[Line],
    dimensions: Sequence[str],
    tags: Callable[[Line], Mapping[str, str] | None] | None = None,
) -> str:
    """The FOCUS CSV of per-day ``lines`` (``breakdown(..., by_day=True)``) broken down by ``dimensions``;
    with ``tags``, each line's ``Tags`` (None: an empty cell)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    tagged = FOCUS_COLUMNS.index("x_Source")
    writer.writerow(FOCUS_COLUMNS if tags is None else (*FOCUS_COLUMNS[:tagged], "Tags", *FOCUS_COLUMNS[tagged:]))
    for line in lines:
        assert line.day is not None
        value = dict(zip(dimensions, line.values, strict=True))
        name = dict(zip(dimensions, line.names, strict=True))

        def told(dim: str, source: dict[str, str] = value) -> str:
            found = source.get(dim, "")
            return "" if found == NOT_BROKEN_DOWN else found

        key_id = told("key")
        start, end = _month(line.day)
        cost = dollars_text(line.usage_nano)
        model = told("model")
        row = [
            "openrouter", "OpenRouter", "USD", _stamp(start), _stamp(end),
            _stamp(line.day), _stamp(line.day + dt.timedelta(days=1)), "Usage", "",
            f"OpenRouter usage{' of ' + model if model else ''}", "Usage-Based",
            cost, cost, "", "", "" if line.requests is None else line.requests,
            "" if line.requests is None else "Requests",
            "OpenRouter", "OpenRouter", told("provider"), "AI and Machine Learning", model,
            key_id if ":" not in key_id else "", told("key", name), "API key" if key_id else "",
            told("workspace"), told("workspace", name), "+".join(sorted(line.sources)),
            "" if line.byok_nano is None else dollars_text(line.byok_nano),
        ]  # fmt: skip
        if tags is not None:
            found = tags(line)
            row.insert(tagged, "" if found is None else json.dumps(dict(found)))
        writer.writerow(row)
    return out.getvalue()
