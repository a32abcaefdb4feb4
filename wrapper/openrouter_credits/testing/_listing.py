"""The mock account's keys and workspaces: what ``GET /keys`` and ``GET /workspaces`` list, and how a
test scripts them (``Listings``, which the scenario extends).

OpenRouter lists the keys of one workspace at a time: without ``workspace_id``, the default one's. The
mock keeps every listed key with its ``workspace_id``; the default workspace is always there.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import math
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from ._history import spent
from ._records import (
    DEFAULT_WORKSPACE,
    LIMIT_RESETS,
    OTHER_WORKSPACE,
    USAGE_FIELDS,
    USERS,
    KeyView,
    amount,
    key_label,
    limit_left,
    shown_label,
)

__all__ = ["Listings", "generated_keys", "listed_key", "patch_fields", "workspace_keys", "workspace_record"]

#: The fields of an ordinary key's view that its listing shows besides its usage.
_VIEW_FIELDS = ("limit", "limit_reset", "disabled", "include_byok_in_limit")


class Listings:
    """The listed keys and the workspaces of the mock's account (the scenario sets the state up)."""

    _lock: threading.Lock
    _clock: Callable[[], dt.datetime]
    _keys: dict[str, KeyView]
    #: What GET /keys lists besides the added workspaces' keys; None: the ordinary keys, as the mock names them.
    _listing: list[dict[str, Any]] | None
    #: The workspaces GET /workspaces lists: the default one first.
    _workspaces: list[dict[str, Any]]
    #: The keys of the workspaces added (add_workspace, set_workspaces), listed after the others.
    _workspace_listing: list[dict[str, Any]]

    def _listing_now(self) -> list[dict[str, Any]]:
        """The account's listed keys, every workspace's (call with the lock held), the figures that
        follow the account's spend filled in (``with_spend``)."""
        return with_spend(self._base_listing() + self._workspace_listing, self._spend_lists(), self._clock())

    def _spend_lists(self) -> list[list[dict[str, Any]]]:
        """The account's rows, as lists each dealt to the listed keys on its own, that the keys'
        figures follow (call with the lock held; the scenario tells them)."""
        return []

    def _spent_now(self) -> dict[str, dict[str, float]]:
        """What the account's spend dealt to each listed key, by hash (call with the lock held)."""
        return spent(self._spend_lists(), self._base_listing() + self._workspace_listing, self._clock().date())

    def _base_listing(self) -> list[dict[str, Any]]:
        """The listed keys besides the added workspaces' (call with the lock held): as scripted, else
        the ordinary keys."""
        if self._listing is not None:
            return self._listing
        listing = []
        for key, view in self._keys.items():
            if not view.management:
                fields = attrs.asdict(view, filter=lambda a, _: a.name in USAGE_FIELDS or a.name in _VIEW_FIELDS)
                listing.append(
                    listed_key(
                        view.name or key_label(key),
                        hash=hashlib.sha256(key.encode()).hexdigest(),
                        label=shown_label(key),
                        updated_at=view.updated_at,
                        **fields,
                    )
                )
        return listing

    def _listed_by_hash(self, key_hash: str) -> dict[str, Any] | str | None:
        """The listed key of ``key_hash`` (call with the lock held): a scripted key's record, the key
        itself for an ordinary key of the mock (whose view the listing shows), None for none."""
        record: dict[str, Any]
        for record in (*(self._listing or ()), *self._workspace_listing):
            if record["hash"] == key_hash:
                return record
        if self._listing is None:
            for key, view in self._keys.items():
                if not view.management and hashlib.sha256(key.encode()).hexdigest() == key_hash:
                    return key
        return None

    def key_by_hash(self, key_hash: str) -> dict[str, Any] | None:
        """The key ``GET /keys/{hash}`` answers with (disabled or not), None for a hash no key has."""
        with self._lock:
            return self._by_hash_now(key_hash)

    def _by_hash_now(self, key_hash: str) -> dict[str, Any] | None:
        """The key of ``key_hash`` as ``GET /keys`` lists it now (call with the lock held)."""
        return next((copy.deepcopy(key) for key in self._listing_now() if key["hash"] == key_hash), None)

    def update_listed_key(self, key_hash: str, changes: Mapping[str, Any]) -> dict[str, Any] | None:
        """Apply ``PATCH /keys/{hash}``'s checked ``changes`` (``patch_fields``) to the key of
        ``key_hash``, as OpenRouter does: ``limit_remaining`` follows a new limit or window, a
        disabled key is listed as disabled and its own calls get a 401. The key as it is now, None
        for a hash no key has."""
        now = self._clock().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self._lock:
            found = self._listed_by_hash(key_hash)
            if found is None:
                return None
            if isinstance(found, str):
                view = self._keys[found]
                for name, value in changes.items():
                    setattr(view, name, value)
                view.updated_at = now
            else:
                found.update(changes)
                if found["limit"] is None:
                    found["limit_remaining"] = None
                elif not _follows_spend(found):  # else filled in with its figures (with_spend)
                    found["limit_remaining"] = limit_left(found)
                found["updated_at"] = now
            return self._by_hash_now(key_hash)

    def set_listed_key(self, key: str, **fields: Any) -> None:
        """Change one scripted listed key (``set_keys``, ``add_keys``, ``add_workspace``), by its hash or
        its name (the first key of that name): its usage as time passes (``usage_daily``, ...), or any
        other field of the document; ``limit_remaining`` follows unless given."""
        unknown = sorted(set(fields) - set(_LISTED_FIELDS) - {"last_used_at"})
        if unknown:
            raise ValueError(f"a listed key has no field {unknown[0]!r}; its fields are {', '.join(_LISTED_FIELDS)}")
        for name in ("usage", "usage_daily", "usage_weekly", "usage_monthly"):
            if name in fields:
                fields[name] = amount(name, fields[name])
        with self._lock:
            records = [*(self._listing or ()), *self._workspace_listing]
            found = next((r for r in records if r["hash"] == key), None) or next(
                (r for r in records if r["name"] == key), None
            )
            if found is None:
                raise ValueError(f"no scripted listed key has the hash or name {key[:64]!r}")
            found.update(fields)
            if "limit_remaining" not in fields:
                found["limit_remaining"] = (
                    None if found["limit"] is None or _follows_spend(found) else limit_left(found)
                )

    def listed_keys(self) -> list[dict[str, Any]]:
        """What ``GET /keys`` lists now (disabled keys included), in order."""
        with self._lock:
            return copy.deepcopy(self._listing_now())

    def set_keys(self, keys: Iterable[Mapping[str, Any]]) -> None:
        """Script ``GET /keys``: each key a mapping with at least ``name``; the other fields of the
        document default (see ``listed_key``; the default workspace). Replaces the listing. A key's
        ``workspace_id`` must be one of the mock's workspaces (``add_workspace``)."""
        listing = []
        for key in keys:
            if not isinstance(key, Mapping) or "name" not in key:
                raise ValueError("each listed key needs at least a 'name'")
            listing.append(listed_key(**key))
        with self._lock:
            self._check_workspaces(listing)
            self._listing = listing

    def _check_workspaces(self, listing: Iterable[Mapping[str, Any]]) -> None:
        known = {workspace["id"] for workspace in self._workspaces}
        for key in listing:
            if key["workspace_id"] not in known:
                raise ValueError(
                    f"the key {key['name']!r} is in the workspace {str(key['workspace_id'])[:64]!r}, which the mock "
                    "does not have: add it first (add_workspace)"
                )

    def add_keys(self, count: int) -> None:
        """Add ``count`` generated keys to the listing (deterministic: see ``generated_keys``; their
        expiry times are placed by the mock's clock). One in ten is in a second workspace, ``Other``,
        which the mock then has."""
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"count must be a whole number, 0 or more, not {count!r}")
        now = self._clock()
        with self._lock:
            listing = self._listing if self._listing is not None else []
            added = generated_keys(count, len(listing), now)
            if any(key["workspace_id"] == OTHER_WORKSPACE for key in added):
                self._add_workspace_record(OTHER_WORKSPACE, "Other", None)
            self._listing = [*listing, *added]

    def workspaces(self) -> list[dict[str, Any]]:
        """The workspaces ``GET /workspaces`` lists, the default one first."""
        with self._lock:
            return copy.deepcopy(self._workspaces)

    def add_workspace(
        self, name: str, *, keys: int = 0, workspace_id: str | None = None, slug: str | None = None
    ) -> str:
        """Add a workspace named ``name`` (its id a UUID made from the name unless given) with ``keys``
        keys of its own (named ``<slug>-000``..., without limits, their usage what the account's spend
        deals them, made by the account's members in turn); returns its id. ``GET /keys`` lists them only with its
        ``workspace_id``, as OpenRouter does."""
        if isinstance(keys, bool) or not isinstance(keys, int) or keys < 0:
            raise ValueError(f"keys must be a whole number, 0 or more, not {keys!r}")
        with self._lock:
            record = self._add_workspace_record(workspace_id, name, slug)
            self._workspace_listing = [*self._workspace_listing, *workspace_keys(record, keys)]
        return str(record["id"])

    def _add_workspace_record(self, workspace_id: str | None, name: str, slug: str | None) -> dict[str, Any]:
        """Add a workspace (call with the lock held); one with that id already there is kept as it is."""
        if workspace_id is None:
            workspace_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"mock-workspace:{name}"))
        try:
            workspace_id = str(uuid.UUID(str(workspace_id)))
        except ValueError:
            raise ValueError(f"a workspace's id is a UUID, not {str(workspace_id)[:64]!r}") from None
        for workspace in self._workspaces:
            if workspace["id"] == workspace_id:
                return workspace
        record = workspace_record(workspace_id, name, slug)
        if any(workspace["slug"] == record["slug"] for workspace in self._workspaces):
            raise ValueError(f"the mock already has a workspace with the slug {record['slug']!r}")
        self._workspaces.append(record)
        return record

    def set_workspaces(self, workspaces: Iterable[str | Mapping[str, Any]]) -> None:
        """The account's workspaces besides the default one, which is always there: each a name, or
        ``{"name": ..., "id": ..., "slug": ..., "keys": N}``. Replaces the others, and the keys of
        workspaces no longer there leave the listing."""
        specs = [{"name": spec} if isinstance(spec, str) else dict(spec) for spec in workspaces]
        for spec in specs:
            unknown = sorted(set(spec) - {"name", "id", "slug", "keys"})
            if unknown or "name" not in spec:
                raise ValueError(
                    f"a workspace has no field {unknown[0]!r}; its fields are id, keys, name, slug"
                    if unknown
                    else "each workspace needs a name"
                )
        for spec in specs:
            keys = spec.get("keys", 0)
            if isinstance(keys, bool) or not isinstance(keys, int) or keys < 0:
                raise ValueError(f"keys must be a whole number, 0 or more, not {keys!r}")
        with self._lock:
            before = self._workspaces
            self._workspaces = [before[0]]
            added: list[dict[str, Any]] = []
            try:
                for spec in specs:
                    record = self._add_workspace_record(spec.get("id"), spec["name"], spec.get("slug"))
                    added += workspace_keys(record, int(spec.get("keys", 0)))
            except ValueError:
                self._workspaces = before
                raise
            self._workspace_listing = added
            if self._listing is not None:
                known = {workspace["id"] for workspace in self._workspaces}
                self._listing = [key for key in self._listing if key["workspace_id"] in known]


_LISTED_FIELDS = (
    "byok_usage", "byok_usage_daily", "byok_usage_monthly", "byok_usage_weekly", "created_at", "creator_user_id",
    "disabled", "expires_at", "external_user", "hash", "include_byok_in_limit", "label", "last_used_at", "limit",
    "limit_remaining", "limit_reset", "name", "updated_at", "usage", "usage_daily", "usage_monthly", "usage_weekly",
    "workspace_id",
)  # fmt: skip


def listed_key(name: str, **fields: Any) -> dict[str, Any]:
    """One key as ``GET /keys`` lists it: every field the live API sends (the published document's,
    and ``last_used_at`` and ``external_user``, which newer documents require), from ``fields`` or a
    default (no limit, no usage, enabled, never expiring, no last use known, no external user);
    ``hash`` from the name unless given, and ``limit_remaining`` from the limit and the window's usage
    unless given. A usage figure given as None follows the account's spend (``with_spend`` fills it
    in, and the limit's remaining with it). Other fields are served as given."""
    digest = hashlib.sha256(f"mock-listed-key:{name}".encode("utf-8", "surrogatepass")).hexdigest()  # any name
    key: dict[str, Any] = {
        "byok_usage": 0.0,
        "byok_usage_daily": 0.0,
        "byok_usage_monthly": 0.0,
        "byok_usage_weekly": 0.0,
        "created_at": "2026-01-01T00:00:00Z",
        "creator_user_id": "user_mock",
        "disabled": False,
        "expires_at": None,
        "external_user": None,
        "hash": digest,
        "include_byok_in_limit": False,
        "label": f"sk-or-v1-{digest[:3]}...{digest[-4:]}",
        "last_used_at": None,
        "limit": None,
        "limit_remaining": None,
        "limit_reset": None,
        "name": name,
        "updated_at": None,
        "usage": 0.0,
        "usage_daily": 0.0,
        "usage_monthly": 0.0,
        "usage_weekly": 0.0,
        "workspace_id": DEFAULT_WORKSPACE,
    }
    key.update(fields)
    if not isinstance(key["name"], str) or not isinstance(key["hash"], str) or not isinstance(key["disabled"], bool):
        raise ValueError("a listed key's name and hash are strings, and disabled is true or false")
    for field in USAGE_FIELDS:
        if key[field] is not None:
            key[field] = amount(field, key[field])
    if key["limit"] is not None:
        key["limit"] = amount("limit", key["limit"])
        if "limit_remaining" not in fields and not _follows_spend(key):
            key["limit_remaining"] = limit_left(key)
    return key


def _follows_spend(key: Mapping[str, Any]) -> bool:
    """Whether some usage figure of a listed key follows the account's spend (is None until filled in)."""
    return any(key[field] is None for field in USAGE_FIELDS)


def with_spend(
    listing: Iterable[dict[str, Any]], lists: Sequence[Sequence[Mapping[str, Any]]], now: dt.datetime
) -> list[dict[str, Any]]:
    """The listed keys with each usage figure that follows the account's spend (None) filled in:
    what the rows of ``lists`` dealt to the key (``_history.spent``: today's, since Monday, since the
    1st, in all), and its ``limit_remaining`` from them. The other keys as they are."""
    listing = list(listing)
    if not any(_follows_spend(key) for key in listing):
        return listing
    figures = spent(lists, listing, now.astimezone(dt.UTC).date())
    filled = []
    for key in listing:
        if _follows_spend(key):
            own = figures.get(str(key["hash"]), {})
            key = {**key, **{name: own.get(name, 0.0) for name in USAGE_FIELDS if key[name] is None}}
            if key["limit"] is not None:
                key["limit_remaining"] = limit_left(key)
        filled.append(dict(key))
    return filled


def generated_keys(count: int, start: int, now: dt.datetime) -> list[dict[str, Any]]:
    """``count`` deterministic keys numbered from ``start`` (names ``key-0000``...): a quarter without
    a limit, the others $10-$50 a day, week, month or without a reset, usage varied by number (some
    exhausted, some near their limit), one in 17 disabled, one in 13 expiring within ten days (some
    already expired), one in 10 in another workspace (``OTHER_WORKSPACE``), made by the members in turn."""
    keys = []
    for i in range(start, start + count):
        daily = round((i % 7) * 0.37, 2)
        weekly = round(daily + (i % 5) * 1.13, 2)
        monthly = round(weekly + (i % 11) * 1.7, 2)
        usage = round(monthly + (i % 3) * 10.0, 2)
        kind = i % 4
        limit = None if kind == 0 else float(10 + (i % 5) * 10)
        reset = (None, "daily", "weekly", "monthly")[kind] if i % 8 != 5 else None
        expires = None
        if i % 13 == 7:
            expires = (now + dt.timedelta(days=i % 10 - 1)).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        keys.append(
            listed_key(
                f"key-{i:04d}",
                limit=limit,
                limit_reset=reset if limit is not None else None,
                usage=usage,
                usage_daily=daily,
                usage_weekly=weekly,
                usage_monthly=monthly,
                byok_usage=round(usage / 10, 2),
                disabled=i % 17 == 5,
                expires_at=expires,
                workspace_id=OTHER_WORKSPACE if i % 10 == 9 else DEFAULT_WORKSPACE,
                creator_user_id=_MEMBERS[i % len(_MEMBERS)],
            )
        )
    return keys


_MEMBERS = tuple(USERS)


def workspace_record(workspace_id: str, name: str, slug: str | None = None) -> dict[str, Any]:
    """One workspace as ``GET /workspaces`` lists it: every field the document requires; the slug from
    the name unless given."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"a workspace's name is a non-empty string, not {name!r}")
    if slug is None:
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "workspace"
    digest = hashlib.sha256(f"mock-guardrail:{workspace_id}".encode()).hexdigest()
    return {
        "id": workspace_id,
        "default_guardrail_id": f"{digest[:8]}-{digest[8:12]}-5{digest[13:16]}-a{digest[17:20]}-{digest[20:32]}",
        "name": name,
        "slug": slug,
        "description": None,
        "default_text_model": None,
        "default_image_model": None,
        "default_provider_sort": None,
        "is_observability_io_logging_enabled": False,
        "is_observability_broadcast_enabled": False,
        "is_data_discount_logging_enabled": True,
        "include_byok_in_budgets": False,
        "io_logging_sampling_rate": 1,
        "io_logging_api_key_ids": None,
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": None,
        "created_by": "user_mock",
    }


def workspace_keys(workspace: Mapping[str, Any], count: int) -> list[dict[str, Any]]:
    """``count`` keys of ``workspace`` (named ``<slug>-000``...): no limit, their usage what the
    account's spend deals them (see ``with_spend``), made by the account's members in turn."""
    return [
        listed_key(
            f"{workspace['slug']}-{i:03d}",
            **dict.fromkeys(USAGE_FIELDS),
            workspace_id=workspace["id"],
            creator_user_id=_MEMBERS[i % len(_MEMBERS)],
        )
        for i in range(count)
    ]


def _amount_or_null(value: object) -> bool:
    if value is None:
        return True
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


def _flag(value: object) -> bool:
    return isinstance(value, bool)


#: What ``PATCH /keys/{hash}`` takes: each field's check, and what a wrong value is said to be.
_PATCH_FIELDS: dict[str, tuple[Callable[[object], bool], str]] = {
    "name": (lambda value: isinstance(value, str), "a string"),
    "disabled": (_flag, "true or false"),
    "limit": (_amount_or_null, "a number of dollars, 0 or more, or null"),
    "limit_reset": (lambda value: value is None or value in LIMIT_RESETS, "daily, weekly, monthly or null"),
    "include_byok_in_limit": (_flag, "true or false"),
}


def patch_fields(body: object) -> dict[str, Any] | str:
    """The changes of a ``PATCH /keys/{hash}`` body (a JSON object; fields the document does not
    declare are ignored, as the schema allows them), or why it is refused (a 400)."""
    if not isinstance(body, dict):
        return "The request body must be a JSON object"
    changes: dict[str, Any] = {}
    for name, (valid, expected) in _PATCH_FIELDS.items():
        if name not in body:
            continue
        value = body[name]
        if not valid(value):
            return f"{name} must be {expected}, not {json.dumps(value)[:100]}"
        changes[name] = float(value) if name == "limit" and value is not None else value
    return changes
