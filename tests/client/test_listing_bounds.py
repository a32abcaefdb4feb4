"""list_keys() is bounded whatever GET /keys answers: a listing that gives the same keys at every offset
ends at the page that adds none, one that goes on for ever fails past KEYS_MAX_PAGES (never read for
ever, never a part passed off as whole), and the client's deadline bounds the whole listing."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx
import pytest
from test_fleet import WORKSPACE, key_dict, workspace_dict

from helpers import KEY
from openrouter_credits import APITimeoutError, AsyncCreditsClient, CreditsClient, ResponseValidationError
from openrouter_credits._api_key import ApiKey
from openrouter_credits._listing import KEYS_MAX_PAGES, KEYS_PAGE_SIZE, more_pages
from openrouter_credits_client.models.list_api_keys_response_200_data_item import ListApiKeysResponse200DataItem

URL = "https://openrouter.ai/api/v1/keys"
#: One page of 100 keys, as the API writes it.
PAGE = json.dumps({"data": [key_dict(i) for i in range(KEYS_PAGE_SIZE)]}).encode()


def sync_list(handler: Any, **options: Any) -> list[Any]:
    with (
        httpx.Client(transport=httpx.MockTransport(handler)) as http,
        CreditsClient(KEY, http_client=http, max_retries=0, **options) as client,
    ):
        return client.list_keys()


def async_list(handler: Any, **options: Any) -> list[Any]:
    import asyncio

    async def main() -> list[Any]:
        async with (
            httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http,
            AsyncCreditsClient(KEY, http_client=http, max_retries=0, **options) as client,
        ):
            return await client.list_keys()

    return asyncio.run(main())


#: The clients' list_keys() against a handler, with client options.
LISTERS = {"sync": sync_list, "async": async_list}


class Pages:
    """A /keys handler: ``page(offset)`` answers each offset; the offsets asked are recorded."""

    def __init__(self, page: Any, delay: float = 0.0) -> None:
        self.page = page
        self.delay = delay
        self.offsets: list[int] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/workspaces"):  # the account's one workspace, the keys'
            return httpx.Response(200, json={"data": [workspace_dict(WORKSPACE, "Default")], "total_count": 1})
        offset = int(request.url.params.get("offset", "0"))
        with self.lock:
            self.offsets.append(offset)
        if self.delay:
            time.sleep(self.delay)
        return httpx.Response(200, content=self.page(offset), headers={"content-type": "application/json"})


@pytest.mark.parametrize("mode", LISTERS)
def test_the_same_keys_at_every_offset_end_the_listing(mode: str) -> None:
    """The first page's 100 keys again at every offset: the first batch's pages add none, so the
    listing ends there (11 pages), each key once."""
    handler = Pages(lambda offset: PAGE)
    keys = LISTERS[mode](handler)
    assert [key.name for key in keys] == [f"key-{i:04d}" for i in range(KEYS_PAGE_SIZE)]
    assert sorted(handler.offsets) == [0, *range(100, 1100, 100)]


#: One listed key's JSON with its hash and number left open (a thousand pages are made quickly).
ITEM = json.dumps(key_dict(0)).replace("0" * 64, "%(hash)s").replace("0000", "%(number)04d")


def endless(offset: int) -> bytes:
    """A full page of keys never listed before, at any offset."""
    items = ",".join(ITEM % {"hash": f"{n:064x}", "number": n} for n in range(offset, offset + KEYS_PAGE_SIZE))
    return f'{{"data": [{items}]}}'.encode()


def listed(index: int) -> ApiKey:
    return ApiKey.from_generated(ListApiKeysResponse200DataItem.from_dict(key_dict(index)))


def test_the_paging_rule() -> None:
    """more_pages(), which both clients' loops ask after each batch: on while every page is full and
    adds a key; a short page, or a full one of keys already seen, ends it; past KEYS_MAX_PAGES it
    raises, naming the listing's URL (reading the 100,000 keys of a real run would cost seconds)."""
    full = tuple(listed(i) for i in range(KEYS_PAGE_SIZE))
    seen: set[str] = set()
    assert more_pages([full], seen, 1, URL)
    assert len(seen) == KEYS_PAGE_SIZE
    assert not more_pages([full], seen, 2, URL)  # nothing new
    assert not more_pages([(listed(500),)], set(), 2, URL)  # short
    with pytest.raises(ResponseValidationError) as raised:
        more_pages([full], set(), KEYS_MAX_PAGES, URL)
    assert raised.value.url == URL


@pytest.mark.parametrize("mode", LISTERS)
def test_the_deadline_bounds_the_whole_listing(mode: str) -> None:
    """Pages of 0.05 s each, for ever, under a 0.3 s deadline: APITimeoutError after a few batches,
    not a deadline per page."""
    handler = Pages(endless, delay=0.05)
    with pytest.raises(APITimeoutError, match=r"Listing the keys ran out of its 0.3 s deadline after"):
        LISTERS[mode](handler, deadline=0.3)
    assert len(handler.offsets) < 60  # a deadline per page would read on to KEYS_MAX_PAGES, and fail so
