"""Schemathesis: the mock server conforms to the spec (its operations cut from openapi.yaml), as
published and as normalised.

Every check schemathesis has is enabled (none is excluded), with positive and negative data, both
in-process (ASGI) and live (uvicorn on 127.0.0.1), with the valid provisioning token (so the 200
body is validated against the schema) and without it (generated and missing tokens).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, assume, settings
from schemathesis.checks import CHECKS
from schemathesis.core.failures import FailureGroup

from openrouter_credits.testing import DEFAULT_INFERENCE_KEY, DEFAULT_PROVISIONING_KEY, MockOpenRouter, MockServer

ROOT = Path(__file__).resolve().parents[2]
from conformance import documents  # noqa: E402

# The status check below reads what the runs of this module saw: they run on one pytest-xdist worker.
pytestmark = pytest.mark.xdist_group("conformance")

EXAMPLES = 150
ASGI_BASE = "http://127.0.0.1/api/v1"
VALID = {"Authorization": f"Bearer {DEFAULT_PROVISIONING_KEY}"}
#: The operations the mock serves, cut from openapi.yaml as upstream wrote them and as normalised.
DOCUMENTS = documents()
APP = MockOpenRouter()
#: (document, transport, token) -> statuses seen, so the runs can be shown to reach the 200 body.
STATUSES: dict[tuple[str, str, bool], set[int]] = {}


def all_checks() -> list[Any]:
    checks = CHECKS.get_all()
    assert len(checks) >= 10, [c.__name__ for c in checks]
    return checks


@pytest.fixture(scope="module")
def live() -> Iterator[MockServer]:
    with MockServer(MockOpenRouter()) as server:
        yield server


def conformance_test(document: str, transport: str, token: bool) -> Callable[..., None]:
    schema = schemathesis.openapi.from_dict(DOCUMENTS[document])
    schema.app = APP if transport == "asgi" else None

    @schema.parametrize()
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    def test(case: Any, request: pytest.FixtureRequest) -> None:
        if transport == "asgi":
            # The in-process transport drops a query parameter with an empty name, so such a
            # negative case reaches the app as a valid request; the live runs send it as generated.
            assume(all(name for name in case.query or {}))
        base_url = ASGI_BASE if transport == "asgi" else request.getfixturevalue("live").base_url
        response = case.call_and_validate(base_url=base_url, headers=VALID if token else None, checks=all_checks())
        STATUSES.setdefault((document, transport, token), set()).add(response.status_code)

    test.__doc__ = f"The {document} document against the mock ({transport}), {'valid' if token else 'generated'} token."
    return test


for _document in DOCUMENTS:
    for _transport in ("asgi", "live"):
        for _token in (True, False):
            _name = f"test_{_document}_{_transport}_{'valid_token' if _token else 'generated_token'}"
            globals()[_name] = conformance_test(_document, _transport, _token)


@pytest.fixture(scope="module", autouse=True)
def runs_saw_the_documented_statuses() -> Iterator[None]:
    """Once the module's runs are done: with the valid token the 200 body was validated, generated
    tokens met the 401 (checked when all eight runs ran, as in ``make test``; -k may pick fewer)."""
    yield
    if len(STATUSES) == 8:
        for (document, transport, token), seen in STATUSES.items():
            assert (200 in seen) == token, (document, transport, seen)
            assert 401 in seen or token, (document, transport, seen)


@pytest.mark.parametrize("document", list(DOCUMENTS))
def test_missing_token_is_rejected(document: str) -> None:
    """No Authorization header at all: 401, and every check passes on it."""
    schema = schemathesis.openapi.from_dict(DOCUMENTS[document])
    schema.app = MockOpenRouter()
    case = schema["/credits"]["GET"].Case(headers={})
    response = case.call_and_validate(base_url=ASGI_BASE, checks=all_checks())
    assert response.status_code == 401


@pytest.mark.parametrize("fault", ["wrong-types", "truncated", "not-json"])
def test_checks_catch_a_broken_server(fault: str) -> None:
    """The harness is not vacuous: a server sending a body the schema forbids fails the checks."""
    app = MockOpenRouter()
    app.inject(fault, count=5)
    schema = schemathesis.openapi.from_dict(DOCUMENTS["normalised"])
    schema.app = app
    case = schema["/credits"]["GET"].Case(headers=dict(VALID))
    with pytest.raises(FailureGroup) as info:
        case.call_and_validate(base_url=ASGI_BASE, checks=all_checks())
    assert {type(e).__name__ for e in info.value.exceptions} & {
        "JsonSchemaError",
        "MalformedJson",
        "UndefinedContentType",
    }


@pytest.mark.parametrize("form", ["date", "datetime", "rfc3339"])
@pytest.mark.parametrize("document", list(DOCUMENTS))
def test_live_shapes_conform(document: str, form: str) -> None:
    """Each activity date form, and a management key's /key with usage 0, pass every check."""
    schema = schemathesis.openapi.from_dict(DOCUMENTS[document])
    schema.app = MockOpenRouter(activity_date_format=form)
    for path in ("/activity", "/key"):
        case = schema[path]["GET"].Case(headers=dict(VALID))
        response = case.call_and_validate(base_url=ASGI_BASE, checks=all_checks())
        assert response.status_code == 200
    assert response.json()["data"]["usage"] == 0.0


@pytest.mark.parametrize("document", list(DOCUMENTS))
def test_openrouter_error_bodies_conform(document: str) -> None:
    """401 "User not found." and the 403 of /activity for an ordinary key pass every check."""
    schema = schemathesis.openapi.from_dict(DOCUMENTS[document])
    schema.app = MockOpenRouter()
    for path, key, status in (
        ("/key", "sk-or-v1-conformance-nobody", 401),
        ("/activity", DEFAULT_INFERENCE_KEY, 403),
    ):
        case = schema[path]["GET"].Case(headers={"Authorization": f"Bearer {key}"})
        response = case.call_and_validate(base_url=ASGI_BASE, checks=all_checks())
        assert response.status_code == status
