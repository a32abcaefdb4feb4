"""The mock's GET and PATCH /keys/{hash}, with the API's semantics: a disabled key is listed as disabled
and its own calls get a 401, a new limit changes limit_remaining, an unknown hash is a 404, a body of a
wrong type a 400, and only the fields sent change."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest
from mocking import MANAGEMENT, ORDINARY

from openrouter_credits.testing import MockServer

ORDINARY_HASH = hashlib.sha256(ORDINARY.encode()).hexdigest()


def call(mock: MockServer, method: str, path: str, key: str = MANAGEMENT, **kwargs: Any) -> httpx.Response:
    return httpx.request(method, mock.base_url + path, headers={"Authorization": f"Bearer {key}"}, **kwargs)


def scripted(mock: MockServer) -> dict[str, Any]:
    mock.app.set_keys([{"name": "ci-nightly", "limit": 20.0, "limit_reset": "daily", "usage_daily": 5.0}])
    return mock.app.listed_keys()[0]


def test_get_by_hash_is_the_listed_key(mock: MockServer) -> None:
    """GET /keys/{hash} answers the key as GET /keys lists it."""
    key = scripted(mock)
    response = call(mock, "GET", f"/keys/{key['hash']}")
    assert response.status_code == 200, response.text
    assert response.json() == {"data": key}


def test_patch_changes_only_the_fields_sent(mock: MockServer) -> None:
    """A new limit changes limit_remaining (limit less the window's usage); the rest stays."""
    key = scripted(mock)
    response = call(mock, "PATCH", f"/keys/{key['hash']}", json={"limit": 8})
    assert response.status_code == 200, response.text
    changed = response.json()["data"]
    assert (changed["limit"], changed["limit_remaining"]) == (8.0, 3.0)
    assert changed["updated_at"] == "2026-11-25T09:30:00Z"
    assert {k: v for k, v in changed.items() if k not in ("limit", "limit_remaining", "updated_at")} == {
        k: v for k, v in key.items() if k not in ("limit", "limit_remaining", "updated_at")
    }
    assert mock.app.listed_keys()[0] == changed
    weekly = call(mock, "PATCH", f"/keys/{key['hash']}", json={"limit_reset": None, "limit": None}).json()["data"]
    assert (weekly["limit"], weekly["limit_remaining"], weekly["limit_reset"]) == (None, None, None)


def test_disabled_key_is_listed_disabled_and_refused(mock: MockServer) -> None:
    """An ordinary key of the mock disabled: listed as disabled (with include_disabled), its own calls
    401 until it is enabled again; its limit set by PATCH is what its /key says."""
    assert call(mock, "GET", "/key", ORDINARY).status_code == 200
    response = call(mock, "PATCH", f"/keys/{ORDINARY_HASH}", json={"disabled": True, "limit": 3})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["disabled"] is True
    assert call(mock, "GET", "/keys").json()["data"] == []
    listed = call(mock, "GET", "/keys", params={"include_disabled": "true"}).json()["data"]
    assert [(k["hash"], k["disabled"]) for k in listed] == [(ORDINARY_HASH, True)]
    refused = call(mock, "GET", "/key", ORDINARY)
    assert (refused.status_code, refused.json()["error"]["message"]) == (401, "User not found.")
    call(mock, "PATCH", f"/keys/{ORDINARY_HASH}", json={"disabled": False})
    own = call(mock, "GET", "/key", ORDINARY).json()["data"]
    assert (own["limit"], own["limit_remaining"]) == (3.0, round(3.0 - own["usage"], 6))  # its lifetime usage
    renamed = call(mock, "PATCH", f"/keys/{ORDINARY_HASH}", json={"name": "renamed"}).json()["data"]
    assert (renamed["name"], renamed["label"]) == ("renamed", listed[0]["label"])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"disabled": "yes"}, 'disabled must be true or false, not "yes"'),
        ({"limit": "10"}, 'limit must be a number of dollars, 0 or more, or null, not "10"'),
        ({"limit": -1}, "limit must be a number of dollars, 0 or more, or null, not -1"),
        ({"limit_reset": "hourly"}, 'limit_reset must be daily, weekly, monthly or null, not "hourly"'),
        ({"include_byok_in_limit": 1}, "include_byok_in_limit must be true or false, not 1"),
        ({"name": None}, "name must be a string, not null"),
        ([1, 2], "The request body must be a JSON object"),
    ],
)
def test_a_body_of_a_wrong_type_is_a_400(mock: MockServer, body: Any, message: str) -> None:
    """A field of a wrong type (or a body that is no object) is refused with a 400 saying which; nothing changes."""
    key = scripted(mock)
    response = call(mock, "PATCH", f"/keys/{key['hash']}", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == message
    assert mock.app.listed_keys()[0] == key


def test_unknown_hash_method_and_key(mock: MockServer) -> None:
    """A hash no key has: 404 for GET and PATCH; DELETE: 405 with Allow; an ordinary key: 401."""
    assert call(mock, "GET", "/keys/0123456789abcdef").status_code == 404
    assert call(mock, "PATCH", "/keys/0123456789abcdef", json={"disabled": True}).status_code == 404
    refused = call(mock, "DELETE", f"/keys/{ORDINARY_HASH}")
    assert (refused.status_code, refused.headers["allow"]) == (405, "GET, PATCH")
    assert call(mock, "PATCH", f"/keys/{ORDINARY_HASH}", ORDINARY, json={"disabled": True}).status_code == 401
    assert call(mock, "GET", "/key", ORDINARY).status_code == 200  # it did not disable itself


def test_faults_and_reset(mock: MockServer) -> None:
    """A fault aimed at the PATCH leaves the key as it was; reset() puts back every key changed."""
    key = scripted(mock)
    mock.app.fail_next(1, status=503, endpoint="PATCH keys/{hash}")
    assert call(mock, "PATCH", f"/keys/{key['hash']}", json={"disabled": True}).status_code == 503
    assert call(mock, "GET", f"/keys/{key['hash']}").json()["data"]["disabled"] is False
    call(mock, "PATCH", f"/keys/{ORDINARY_HASH}", json={"disabled": True})
    mock.app.reset()
    assert call(mock, "GET", "/key", ORDINARY).status_code == 200


def test_set_listed_key_moves_usage(mock: MockServer) -> None:
    """set_listed_key() changes one scripted key's usage (by name or hash); limit_remaining follows."""
    key = scripted(mock)
    mock.app.set_listed_key("ci-nightly", usage_daily=19.0)
    assert mock.app.key_by_hash(key["hash"])["limit_remaining"] == 1.0  # type: ignore[index]
    with pytest.raises(ValueError, match="no scripted listed key"):
        mock.app.set_listed_key("nobody", usage=1.0)
    with pytest.raises(ValueError, match="no field 'colour'"):
        mock.app.set_listed_key("ci-nightly", colour="red")
