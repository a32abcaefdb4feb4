"""An optional field an answer lacks is None in every result, never the generated package's ``Unset``:
in attributes, reprs and equality, whether the result came from a call or was made directly; and a
field the server sends beyond the document is read the same way (``ApiKey.last_used_at``)."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx
import pytest

from helpers import KEY, key_data
from openrouter_credits import Activity, ApiKey, AsyncCreditsClient, Balance, CreditsClient, KeyInfo
from openrouter_credits.testing import activity_row
from openrouter_credits.testing._listing import listed_key

NOW = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)


def listed(name: str, **fields: Any) -> dict[str, Any]:
    """A key of GET /keys with every field the published document requires and none of the optional
    ones (``expires_at``), nor those beyond it unless given (``last_used_at``, ``external_user``)."""
    item = listed_key(name, **fields)
    del item["expires_at"]
    for beyond in ("last_used_at", "external_user"):
        if beyond not in fields:
            del item[beyond]
    return item


def handler(request: httpx.Request) -> httpx.Response:
    """Answers with the required fields alone: /key without expires_at, is_provisioning_key and
    rate_limit; /keys items without expires_at; /activity rows without workspace_id."""
    path = request.url.path
    if path.endswith("/key"):
        return httpx.Response(200, json={"data": key_data(is_management_key=True)})
    if path.endswith("/keys"):
        return httpx.Response(200, json={"data": [listed("lean"), listed("used", last_used_at="2026-11-20T10:00:00Z")]})
    if path.endswith("/activity"):
        return httpx.Response(200, json={"data": [activity_row(NOW.date() - dt.timedelta(days=1), 1.0)]})
    if path.endswith("/workspaces"):  # an account without workspaces
        return httpx.Response(404, json={"error": {"code": 404, "message": "Not Found"}})
    return httpx.Response(200, json={"data": {"total_credits": 25.0, "total_usage": 7.5}})


def everything(mode: str) -> tuple[KeyInfo, list[ApiKey], Activity, Balance]:
    """get_key(), list_keys(), get_activity() and get_balance() through the sync or async client."""
    if mode == "sync":
        with (
            httpx.Client(transport=httpx.MockTransport(handler)) as http,
            CreditsClient(KEY, http_client=http, clock=lambda: NOW) as client,
        ):
            return client.get_key(), client.list_keys(), client.get_activity(), client.get_balance()

    async def main() -> tuple[KeyInfo, list[ApiKey], Activity, Balance]:
        async with (
            httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http,
            AsyncCreditsClient(KEY, http_client=http, clock=lambda: NOW) as client,
        ):
            return (
                await client.get_key(),
                await client.list_keys(),
                await client.get_activity(),
                await client.get_balance(),
            )

    return asyncio.run(main())


def test_an_optional_field_the_answer_lacks_is_none(mode: str) -> None:
    """Results of calls: the optional fields the answers leave out are None (attributes and reprs),
    and the figures that read them are as for an explicit null."""
    key, keys, activity, balance = everything(mode)
    assert (key.expires_at, key.is_provisioning_key, key.rate_limit) == (None, None, None)
    assert [k.expires_at for k in keys] == [None, None]
    assert [k.expires for k in keys] == [None, None]
    assert activity.rows[0].workspace_id is None
    assert balance.key == key
    shown = [repr(key), repr(keys), repr(activity.rows), repr(balance.key), repr(balance)]
    for text in shown:
        assert "Unset" not in text
        assert "openrouter_credits_client.types" not in text
    assert "expires_at=None" in repr(key)
    assert [k.status(NOW) for k in keys] == ["ok", "ok"]


def test_a_field_beyond_the_document_is_read_as_a_declared_one(mode: str) -> None:
    """``last_used_at``, sent beyond the document: an aware UTC time when sent, None when not, and it
    decides ``dormant``; it stays in ``extra`` as sent."""
    _, keys, _, _ = everything(mode)
    assert [k.last_used_at for k in keys] == [None, dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)]
    assert keys[1].extra == {"last_used_at": "2026-11-20T10:00:00Z"}
    assert [k.status(NOW) for k in keys] == ["ok", "ok"]
    assert keys[1].status(NOW + dt.timedelta(days=60)) == "dormant"


@pytest.mark.parametrize("make", [KeyInfo, lambda **fields: KeyInfo.from_generated(KeyInfo(**fields))])
def test_a_result_made_directly_has_none_for_what_it_leaves_out(make: Any) -> None:
    """``KeyInfo(...)`` without its optional fields, and a copy of it: None, equal, hashable."""
    key = make(**key_data())
    assert (key.expires_at, key.is_provisioning_key, key.rate_limit) == (None, None, None)
    assert "Unset" not in repr(key)
    assert key == KeyInfo(**key_data(expires_at=None, is_provisioning_key=None, rate_limit=None))
    assert hash(key) == hash(KeyInfo(**key_data()))
