"""Schemathesis: the mock server conforms to the spec (its operations cut from openapi.yaml), as
published and as normalised.

Every check schemathesis has is enabled (none is excluded), for each operation the mock serves, both
in-process (ASGI) and live (uvicorn on 127.0.0.1): with the valid provisioning token (positive data,
so the 200 body is validated against the schema) and without it (generated tokens, positive and
negative data; a missing token). One pytest test per document, transport, token and operation, each
with its own id, so that pytest-xdist runs every one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS
from schemathesis.core.failures import FailureGroup

from openrouter_credits.testing import DEFAULT_INFERENCE_KEY, DEFAULT_PROVISIONING_KEY, MockOpenRouter, MockServer

ROOT = Path(__file__).resolve().parents[2]
from conformance import MOCKED, documents  # noqa: E402

#: Per test (32 of them: 2 documents, 2 transports, 2 tokens, 4 operations): about 2,000 requests in all.
EXAMPLES = 60
ASGI_BASE = "http://127.0.0.1/api/v1"
VALID = {"Authorization": f"Bearer {DEFAULT_PROVISIONING_KEY}"}
#: The operations the mock serves, cut from openapi.yaml as upstream wrote them and as normalised.
DOCUMENTS = documents()
APP = MockOpenRouter()
#: The operations the mock serves (all GET), by path.
PATHS = [operation.split()[1] for operation in MOCKED]


def all_checks() -> list[Any]:
    checks = CHECKS.get_all()
    assert len(checks) >= 10, [c.__name__ for c in checks]
    return checks


@pytest.fixture(scope="module")
def live() -> Iterator[MockServer]:
    with MockServer(MockOpenRouter()) as server:
        yield server


def cases(document: str, path: str, app: Any, negative: bool) -> st.SearchStrategy[Any]:
    """Requests for ``GET path`` of ``document``, positive and (``negative``) negative ones, sent to
    ``app`` in-process, or over the network when None. The runs that send the valid token send
    positive data only: a negative case may be negative by its Authorization header alone, which the
    valid token then replaces, so the request sent would be valid and its 200 read as a fault."""
    schema = schemathesis.openapi.from_dict(DOCUMENTS[document])
    schema.app = app
    operation = schema[path]["GET"]
    modes = [GenerationMode.POSITIVE, *([GenerationMode.NEGATIVE] if negative else [])]
    return st.one_of([operation.as_strategy(mode) for mode in modes])


# One test per document, transport, token and operation, each with its own id (so that pytest-xdist
# runs every one), and each checking what its own run saw: a valid token reaches the 200 body, which
# is validated; generated tokens meet the 401.
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("token", [True, False], ids=["valid_token", "generated_token"])
@pytest.mark.parametrize("transport", ["asgi", "live"])
@pytest.mark.parametrize("document", list(DOCUMENTS))
def test_conformance(document: str, transport: str, token: bool, path: str, request: pytest.FixtureRequest) -> None:
    """The document's operation against the mock, every schemathesis check: positive data with the
    valid token, positive and negative data with generated tokens."""
    base_url = ASGI_BASE if transport == "asgi" else request.getfixturevalue("live").base_url
    app = APP if transport == "asgi" else None
    seen: set[int] = set()

    @given(case=cases(document, path, app, negative=not token))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    def run(case: Any) -> None:
        if transport == "asgi":
            # The in-process transport drops a query parameter with an empty name, so such a
            # negative case reaches the app as a valid request; the live runs send it as generated.
            assume(all(name for name in case.query or {}))
        response = case.call_and_validate(base_url=base_url, headers=VALID if token else None, checks=all_checks())
        seen.add(response.status_code)

    run()
    if token:
        assert 200 in seen, seen
    else:
        assert 401 in seen, seen
        assert 200 not in seen, seen


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
