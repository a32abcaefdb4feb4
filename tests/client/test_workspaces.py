"""Every workspace's keys (httpx.MockTransport): list_workspaces() paging, list_keys() across the
workspaces (each key once, with its workspace's name, the default workspace not asked twice), the
listing that says it is the default workspace's only when GET /workspaces is refused, and failures
that fail the listing; then against the live mock with several workspaces."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

from helpers import KEY, list_keys
from openrouter_credits import (
    AsyncCreditsClient,
    AuthenticationError,
    CreditsClient,
    ResponseValidationError,
    ServerError,
    Workspace,
)
from openrouter_credits.testing import MockOpenRouter, MockServer
from openrouter_credits.testing._listing import listed_key, workspace_record

DEFAULT = "00000000-0000-4000-8000-0000000000d0"
RESEARCH = "00000000-0000-4000-8000-0000000000e1"
EMPTY = "00000000-0000-4000-8000-0000000000e2"


class Account:
    """GET /workspaces and GET /keys of an account with several workspaces, as OpenRouter answers
    them: /keys without workspace_id lists the default workspace's keys. Records each request."""

    def __init__(
        self,
        workspaces: list[tuple[str, str]],
        keys: dict[str, int],
        *,
        refuse: int | None = None,
        fail: tuple[str, int] | None = None,
        barrier: threading.Barrier | None = None,
    ) -> None:
        self.workspaces = [workspace_record(wid, name) for wid, name in workspaces]
        self.keys = [
            listed_key(f"{wid[-2:]}-{i:03d}", workspace_id=wid) for wid, count in keys.items() for i in range(count)
        ]
        self.refuse = refuse
        self.fail = fail
        self.barrier = barrier
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        query = dict(request.url.params)
        path = request.url.path.rsplit("/", 1)[-1]
        with self.lock:
            self.requests.append((path, query))
        if path == "workspaces":
            if self.refuse is not None:
                return httpx.Response(self.refuse, json={"error": {"code": self.refuse, "message": "No workspaces"}})
            offset, limit = int(query.get("offset", 0)), int(query.get("limit", 50))
            page = self.workspaces[offset : offset + limit]
            return httpx.Response(200, json={"data": page, "total_count": len(self.workspaces)})
        workspace = query.get("workspace_id", DEFAULT)
        offset = int(query.get("offset", 0))
        if self.fail == (workspace, offset):
            return httpx.Response(500, json={"error": {"code": 500, "message": "Internal Server Error"}})
        if self.barrier is not None and "workspace_id" in query:
            self.barrier.wait()  # every workspace's listing is under way at once, or this times out
        listed = [key for key in self.keys if key["workspace_id"] == workspace]
        return httpx.Response(200, json={"data": listed[offset : offset + 100]})

    def keys_asked(self) -> list[tuple[str, int]]:
        """(workspace_id, or "" without it; offset) of each GET /keys, sorted."""
        return sorted(
            (query.get("workspace_id", ""), int(query.get("offset", 0)))
            for path, query in self.requests
            if path == "keys"
        )


THREE = [(DEFAULT, "Default"), (RESEARCH, "Research"), (EMPTY, "Empty")]


def test_every_workspace(mode: str) -> None:
    """245 keys in the default workspace and 40 in another: 285 listed, each once with its workspace's
    name; the default workspace's keys are read without workspace_id and not asked for again."""
    account = Account(THREE, {DEFAULT: 245, RESEARCH: 40})
    keys = list_keys(mode, account)
    assert len(keys) == 285
    assert len({key.hash_ for key in keys}) == 285
    assert [key.workspace_name for key in keys].count("Research") == 40
    assert {key.workspace_name for key in keys} == {"Default", "Research"}
    assert (keys.complete, keys.workspaces_note, keys.default_workspace_id) == (True, None, DEFAULT)
    assert keys.workspaces is not None
    assert [(str(w.id), w.name) for w in keys.workspaces] == [
        (DEFAULT, "Default"),
        (RESEARCH, "Research"),
        (EMPTY, "Empty"),
    ]
    defaults = [("", offset) for offset in range(0, 1100, 100)]
    assert account.keys_asked() == sorted([*defaults, (EMPTY, 0), (RESEARCH, 0)])
    assert sum(path == "workspaces" for path, _ in account.requests) == 1


@pytest.mark.parametrize("status", [403, 404])
def test_refused_workspaces_say_so(mode: str, status: int) -> None:
    """GET /workspaces refused: the default workspace's keys, and the listing says it is only that."""
    account = Account(THREE, {DEFAULT: 3, RESEARCH: 40}, refuse=status)
    keys = list_keys(mode, account)
    assert len(keys) == 3
    assert not keys.complete
    assert keys.workspaces_note == f"GET /workspaces was refused (HTTP {status}: No workspaces)"
    assert keys.workspaces is None
    assert {key.workspace_name for key in keys} == {None}
    assert "complete=False" in repr(keys)


def test_one_workspace_asked(mode: str) -> None:
    """workspace_id: that workspace's keys, with its name; complete even when /workspaces is refused."""
    account = Account(THREE, {DEFAULT: 3, RESEARCH: 40})
    keys = list_keys(mode, account, workspace_id=uuid.UUID(RESEARCH))
    assert (len(keys), keys.complete, {k.workspace_name for k in keys}) == (40, True, {"Research"})
    account = Account(THREE, {DEFAULT: 3, RESEARCH: 40}, refuse=403)
    keys = list_keys(mode, account, workspace_id=RESEARCH)
    assert (len(keys), keys.complete, {k.workspace_name for k in keys}) == (40, True, {None})


@pytest.mark.parametrize(
    ("fail", "error"),
    [((RESEARCH, 0), ServerError), ((DEFAULT, 100), ServerError)],
    ids=["another-workspace", "a-later-default-page"],
)
def test_a_failing_page_fails_the_listing(mode: str, fail: tuple[str, int], error: type[Exception]) -> None:
    """A page of any workspace that fails fails the listing: never a count short of a workspace."""
    account = Account(THREE, {DEFAULT: 150, RESEARCH: 40}, fail=fail)
    with pytest.raises(error):
        list_keys(mode, account)


def test_a_failing_workspaces_listing_fails_the_listing(mode: str) -> None:
    """GET /workspaces failing otherwise than refused (a 500, a 401) fails the listing too."""

    def broken(status: int) -> Callable[[httpx.Request], httpx.Response]:
        account = Account(THREE, {DEFAULT: 3})

        def handler(request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("/workspaces"):
                return httpx.Response(status, json={"error": {"code": status, "message": "no"}})
            return account(request)

        return handler

    with pytest.raises(ServerError):
        list_keys(mode, broken(500))
    with pytest.raises(AuthenticationError):
        list_keys(mode, broken(401))


def test_no_key_tells_the_default(mode: str) -> None:
    """A default workspace without keys: every workspace is asked for by its id (nothing twice)."""
    account = Account(THREE, {RESEARCH: 2})
    keys = list_keys(mode, account)
    assert [key.workspace_name for key in keys] == ["Research", "Research"]
    assert keys.default_workspace_id is None
    assert account.keys_asked() == sorted([("", 0), (DEFAULT, 0), (RESEARCH, 0), (EMPTY, 0)])


def test_workspaces_are_listed_at_once() -> None:
    """The sync client asks for the other workspaces' keys at once, in threads (a barrier of four
    that only opens when all four are waiting, bounded by a timeout so a failure cannot hang)."""
    ids = [f"00000000-0000-4000-8000-0000000001{i:02d}" for i in range(4)]
    account = Account(
        [(DEFAULT, "Default"), *((wid, f"w{i}") for i, wid in enumerate(ids))],
        {DEFAULT: 1, **dict.fromkeys(ids, 1)},
        barrier=threading.Barrier(4, timeout=10),
    )
    assert len(list_keys("sync", account)) == 5


def test_list_workspaces_pages(mode: str) -> None:
    """101 workspaces: two pages of at most 100 (limit=100), each workspace once, frozen."""
    ids = [str(uuid.UUID(int=i + 1)) for i in range(101)]
    account = Account([(wid, f"w{i:03d}") for i, wid in enumerate(ids)], {})
    transport = httpx.MockTransport(account)
    if mode == "sync":
        with httpx.Client(transport=transport) as http, CreditsClient(KEY, http_client=http) as client:
            workspaces = client.list_workspaces()
    else:

        async def main() -> list[Workspace]:
            async with (
                httpx.AsyncClient(transport=transport) as http,
                AsyncCreditsClient(KEY, http_client=http) as client,
            ):
                return await client.list_workspaces()

        workspaces = asyncio.run(main())
    assert [str(w.id) for w in workspaces] == ids
    assert [query for _, query in account.requests] == [
        {"offset": "0", "limit": "100"},
        {"offset": "100", "limit": "100"},
    ]
    first = workspaces[0]
    assert isinstance(first, Workspace)
    assert (first.name, first.slug, first.created.isoformat() if first.created else None) == (
        "w000",
        "w000",
        "2026-01-01T00:00:00+00:00",
    )
    with pytest.raises(AttributeError):
        first.name = "renamed"  # type: ignore[misc]


@pytest.mark.parametrize("endless", [False, True])
def test_a_workspaces_listing_that_never_ends_is_bounded(endless: bool) -> None:
    """A server that ignores offset (the same full page at every offset): the listing ends at the page
    that adds no workspace. One that gives new workspaces on every page for ever: a
    ResponseValidationError past the 100 pages list_workspaces() reads, never a loop for ever."""
    asked: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params.get("offset", 0))
        asked.append(offset)
        start = offset if endless else 0
        page = [workspace_record(str(uuid.UUID(int=start + i + 1)), f"w{start + i}") for i in range(100)]
        return httpx.Response(200, json={"data": page, "total_count": 100})

    with (
        httpx.Client(transport=httpx.MockTransport(answer)) as http,
        CreditsClient(KEY, http_client=http, max_retries=0) as client,
    ):
        if endless:
            with pytest.raises(ResponseValidationError, match=r"on 100 full pages and more, past the 100 pages"):
                client.list_workspaces()
        else:
            assert len(client.list_workspaces()) == 100
    assert asked == [100 * page for page in range(100 if endless else 2)]


# --- the live mock ---------------------------------------------------------------------------------

MANAGEMENT = "sk-or-v1-workspaces-SECRET-management-5a1b"


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    app = MockOpenRouter(provisioning_keys={MANAGEMENT: (25.0, 7.5)}, inference_keys=[])
    with MockServer(app) as running:
        yield running


def test_the_mock_account(mock: MockServer) -> None:
    """The issue's account: 245 enabled keys in the default workspace and 40 in a second one: every
    key listed; with workspaces refused, the 245 and a listing that says it is the default's only."""
    mock.app.set_keys([{"name": f"default-{i:03d}"} for i in range(245)])
    research = mock.app.add_workspace("Research", keys=40)
    with CreditsClient(MANAGEMENT, base_url=mock.base_url) as client:
        keys = client.list_keys()
        assert (len(keys), keys.complete) == (285, True)
        assert sum(key.workspace_id == research for key in keys) == 40
        mock.app.set_refuse_workspaces(404)
        keys = client.list_keys()
    assert (len(keys), keys.complete) == (245, False)
    assert keys.workspaces_note == "GET /workspaces was refused (HTTP 404: Not Found)"


def test_the_balance_of_a_key_in_another_workspace(mock: MockServer) -> None:
    """get_balance(key_hash=...) finds a key of any workspace; with the workspaces refused, a key
    outside the default one is unknown, saying that only the default workspace's keys were searched."""
    research = mock.app.add_workspace("Research", keys=1)
    (key,) = [k for k in mock.app.listed_keys() if k["workspace_id"] == research]
    with CreditsClient(MANAGEMENT, base_url=mock.base_url) as client:
        balance = client.get_balance(key_hash=key["hash"])
        assert balance.listed_key is not None
        assert balance.listed_key.workspace_name == "Research"
        mock.app.set_refuse_workspaces(403)
        balance = client.get_balance(key_hash=key["hash"])
    assert balance.listed_key is None
    assert balance.unknown["listed_key"].startswith(f"no key of the default workspace has the hash {key['hash'][:12]}")
    assert "GET /workspaces was refused (HTTP 403" in balance.unknown["listed_key"]
