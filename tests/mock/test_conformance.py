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
from openrouter_credits.testing._analytics import META

ROOT = Path(__file__).resolve().parents[2]
from conformance import ACCEPTED, MOCKED, REFUSES_SOME_VALID_DATA, documents, mock_app  # noqa: E402

#: Examples per test (72 of them: 2 documents, 2 transports, 2 tokens, 9 operations), each set where
#: more examples stopped running new lines of the mock (traced per example, both documents and
#: transports, at 60 and at 200 examples a test). With generated tokens every answer is the 401, and
#: the mock's lines stop growing by the 6th example of every operation. With the valid token: GET
#: /credits, /key and /analytics/meta have nothing to vary (one example runs all their lines), /workspaces
#: stops by the 4th, /keys by the 13th, /activity by the 23rd (with rows grouped by workspace sent
#: besides: see given_cases); an analytics query still finds new lines up to the 192nd example of 200,
#: so its 25 are a sample, not a bound; GET and PATCH /keys/{hash} have a hash and a small body to
#: vary. About 1,700 requests in all.
VALID_TOKEN_EXAMPLES = {
    "/credits": 5,
    "/key": 5,
    "/analytics/meta": 5,
    "/workspaces": 15,
    "/keys": 30,
    "/activity": 40,
    "/analytics/query": 25,
    "/keys/{hash}": 15,
}
GENERATED_TOKEN_EXAMPLES = 15
ASGI_BASE = "http://127.0.0.1/api/v1"
VALID = {"Authorization": f"Bearer {DEFAULT_PROVISIONING_KEY}"}
#: The operations the mock serves, cut from openapi.yaml as upstream wrote them and as normalised.
DOCUMENTS = documents()
APP = mock_app()
#: The operations the mock serves: (method, path).
OPERATIONS = [tuple(operation.split()) for operation in MOCKED]


def schema_of(document: str, path: str) -> Any:
    """The document as schemathesis reads it; for an analytics query, with the documented 400 among
    the answers positive_data_acceptance takes (the valid metric names come from /analytics/meta)."""
    config = None
    if path in REFUSES_SOME_VALID_DATA:
        from schemathesis.config import SchemathesisConfig

        expected = [*ACCEPTED, "400"]
        config = SchemathesisConfig.from_dict({"checks": {"positive_data_acceptance": {"expected-statuses": expected}}})
    return schemathesis.openapi.from_dict(DOCUMENTS[document], config=config)


def valid_queries() -> st.SearchStrategy[dict[str, Any]]:
    """Analytics queries the mock runs (names from its meta answer, a range it reaches): mixed into the
    generated ones, so that the 200's body is checked too."""
    metrics = [m["name"] for m in META["metrics"] if m["name"] not in ("openrouter_usage", "byok_fees")]
    dimensions = [d["name"] for d in META["dimensions"] if d["name"] != "provider"]
    ranges = [("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"), ("2025-12-05T00:00:00Z", "2026-12-04T00:00:00Z")]
    return st.fixed_dictionaries(
        {"metrics": st.lists(st.sampled_from(metrics), min_size=1, max_size=3, unique=True)},
        optional={
            "dimensions": st.lists(st.sampled_from(dimensions), max_size=2, unique=True),
            "granularity": st.sampled_from([g["name"] for g in META["granularities"]]),
            "limit": st.integers(1, 10_000),
            "time_range": st.sampled_from(ranges).map(lambda r: {"start": r[0], "end": r[1]}),
        },
    )


def with_body(case: Any, body: dict[str, Any]) -> Any:
    case.body = body
    return case


def with_hash(case: Any, key_hash: str) -> Any:
    case.path_parameters = {**(case.path_parameters or {}), "hash": key_hash}
    return case


#: The hashes of the keys the mock lists: mixed into the generated ones (which name no key: a 404),
#: so that the 200's body of GET and PATCH /keys/{hash} is checked too.
HASHES = [key["hash"] for key in mock_app().listed_keys()]


def all_checks() -> list[Any]:
    checks = CHECKS.get_all()
    assert len(checks) >= 10, [c.__name__ for c in checks]
    return checks


@pytest.fixture(scope="module")
def live() -> Iterator[MockServer]:
    with MockServer(mock_app()) as server:
        yield server


def operation_of(document: str, method: str, path: str, app: Any) -> Any:
    """``method path`` of ``document``, sending to ``app`` in-process, or over the network when None."""
    schema = schema_of(document, path)
    schema.app = app
    return schema[path][method]


def cases(operation: Any, path: str, negative: bool) -> st.SearchStrategy[Any]:
    """Requests for ``operation``, positive and (``negative``) negative ones. The runs that send the
    valid token send positive data only: a negative case may be negative by its Authorization header
    alone, which the valid token then replaces, so the request sent would be valid and its 200 read as
    a fault."""
    modes = [GenerationMode.POSITIVE, *([GenerationMode.NEGATIVE] if negative else [])]
    strategies = [operation.as_strategy(mode) for mode in modes]
    if path == "/analytics/query" and not negative:
        positive = strategies[0]
        strategies.append(st.tuples(positive, valid_queries()).map(lambda pair: with_body(*pair)))
    if path == "/keys/{hash}" and not negative:
        positive = strategies[0]
        strategies.append(st.tuples(positive, st.sampled_from(HASHES)).map(lambda pair: with_hash(*pair)))
    return st.one_of(strategies)


def given_cases(operation: Any, path: str, token: bool) -> list[Any]:
    """The cases each run sends besides the generated ones. Rows of GET /activity grouped by workspace
    carry workspace_id, which a generated query gets only when none of its filters empties the answer
    (one example in 20 to 35 did): with the valid token, every run sends that query."""
    if token and path == "/activity":
        return [operation.Case(query={"group_by": "workspace"})]
    return []


# One test per document, transport, token and operation, each with its own id (so that pytest-xdist
# runs every one), and each checking what its own run saw: a valid token reaches the 200 body, which
# is validated; generated tokens meet the 401.
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[path for _, path in OPERATIONS])
@pytest.mark.parametrize("token", [True, False], ids=["valid_token", "generated_token"])
@pytest.mark.parametrize("transport", ["asgi", "live"])
@pytest.mark.parametrize("document", list(DOCUMENTS))
def test_conformance(
    document: str, transport: str, token: bool, method: str, path: str, request: pytest.FixtureRequest
) -> None:
    """The document's operation against the mock, every schemathesis check: positive data with the
    valid token, positive and negative data with generated tokens."""
    server = None if transport == "asgi" else request.getfixturevalue("live")
    base_url = ASGI_BASE if server is None else server.base_url
    app = APP if transport == "asgi" else None
    seen: set[int] = set()
    operation = operation_of(document, method, path, app)
    if method == "PATCH":  # it changes the mock's keys: the other tests get the mock as it was made
        request.addfinalizer((APP if server is None else server.app).reset)

    @given(case=cases(operation, path, negative=not token))
    @settings(
        max_examples=VALID_TOKEN_EXAMPLES[path] if token else GENERATED_TOKEN_EXAMPLES,
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
        send(case)

    def send(case: Any) -> None:
        response = case.call_and_validate(base_url=base_url, headers=VALID if token else None, checks=all_checks())
        seen.add(response.status_code)

    run()
    for case in given_cases(operation, path, token):
        send(case)
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
