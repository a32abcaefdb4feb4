"""The view's calls start at once, the listing of a management key's keys among them: the mock holds
every request until all the view makes are in flight together, so a call that waits for another's
answer is seen (it arrives alone, after the others gave up waiting). In process through main()."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from openrouter_credits.cli import main
from openrouter_credits.testing import MockOpenRouter, MockServer

KEY = "sk-or-v1-together-SECRET-management-71c4"
ORDINARY = "sk-or-v1-together-SECRET-ordinary-2f9e"
#: How long a request waits for the others before it is answered all the same (only a view that
#: calls one after another ever waits this long).
WAIT = 2.0


class Gathering(MockOpenRouter):
    """A mock that answers no API request until ``expected`` are in flight at once (or ``WAIT``
    passed), and records the most it saw in flight together."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.gather(0)

    def gather(self, expected: int) -> None:
        self.expected = expected
        self.most = 0
        self._inside = 0
        self._all_in = asyncio.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/v1/") or not self.expected:
            await super().__call__(scope, receive, send)
            return
        self._inside += 1
        self.most = max(self.most, self._inside)
        if self._inside >= self.expected:
            self._all_in.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._all_in.wait(), WAIT)
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._inside -= 1


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(Gathering(provisioning_keys={KEY: (25.0, 7.5)}, inference_keys={ORDINARY: 10.0})) as running:
        yield running


@pytest.fixture
def gathering(mock: MockServer) -> Iterator[Gathering]:
    app = mock.app
    assert isinstance(app, Gathering)
    yield app
    app.gather(0)


def view(mock: MockServer, monkeypatch: pytest.MonkeyPatch, key: str, *args: str) -> int:
    monkeypatch.setenv("OPENROUTER_API_KEY", key)
    return main(["--base-url", mock.base_url, "--max-retries", "0", *args])


@pytest.mark.parametrize(
    ("args", "calls"),
    [
        ((), ["/activity", "/credits", "/key", "/keys", "/workspaces"]),  # the table's Keys line needs the listing
        (("--json",), ["/activity", "/credits", "/key"]),
        (("--json", "--spike", "3"), ["/activity", "/credits", "/key", "/keys", "/workspaces"]),  # the spike needs it
        (("--format", "prometheus"), ["/activity", "/credits", "/key"]),
    ],
)
def test_every_call_of_the_view_starts_at_once(
    mock: MockServer,
    gathering: Gathering,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    calls: list[str],
) -> None:
    """A management key: /credits, /key and /activity, and /keys and /workspaces when the view needs
    the listing, are all in flight together (one round trip), and the view shows what they answered."""
    gathering.gather(len(calls))
    assert view(mock, monkeypatch, KEY, *args) in (0, 1)
    assert gathering.most == len(calls)
    assert sorted(path.removeprefix("/api/v1") for _, path, _ in mock.app.requests) == calls
    out = capsys.readouterr().out
    assert ("Keys: 1 (0 near or past their limit" in out) == (args == ())


def test_an_ordinary_key_is_not_kept_waiting_by_the_listing(
    mock: MockServer, gathering: Gathering, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An ordinary key's table: the listing starts with the others (the key's kind is not known
    yet), and its refusal changes nothing: no Keys line, no error, exit 0."""
    gathering.gather(5)  # /credits, /key, /activity, and the listing's /keys and /workspaces
    assert view(mock, monkeypatch, ORDINARY) == 0
    assert gathering.most == 5
    out, err = capsys.readouterr()
    assert (err, "Keys:" in out) == ("", False)
