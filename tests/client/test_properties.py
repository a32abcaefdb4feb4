"""Hypothesis properties of the client: exact numbers for every allowed body, only typed errors otherwise."""

from __future__ import annotations

import gzip
import json
import math
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from helpers import KEY
from openrouter_credits import Credits, CreditsClient, OpenRouterCreditsError

ROOT = Path(__file__).resolve().parents[2]
SPEC = yaml.load((ROOT / "openapi.yaml").read_bytes(), Loader=yaml.CSafeLoader)
PROPERTY_SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Doubles as the JSON parser returns them: finite floats, and integers a double holds exactly.
NUMBERS = st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**53), 2**53)
JSON = st.recursive(
    st.none() | st.booleans() | NUMBERS | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values a JSON schema (the subset the spec uses) allows, extra properties included."""
    if "$ref" in schema:
        target: Any = SPEC
        for part in schema["$ref"][2:].split("/"):
            target = target[part]
        return from_schema(target)
    kind = schema.get("type")
    if kind == "number":
        return NUMBERS
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        fixed = {name: from_schema(sub) for name, sub in properties.items() if name in required}
        optional = {name: from_schema(sub) for name, sub in properties.items() if name not in required}
        extra = st.dictionaries(st.text(max_size=12).filter(lambda k: k not in properties), JSON, max_size=3)
        return st.builds(lambda a, b: {**b, **a}, st.fixed_dictionaries(fixed, optional=optional), extra)
    raise AssertionError(f"the spec uses a schema this strategy does not know: {schema}")


RESPONSE_200 = SPEC["paths"]["/credits"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]


def exact_difference(a: Any, b: Any) -> float:
    """The difference of the two JSON numbers as written, rounded once to a double (an independent oracle);
    infinite beyond the largest double (1.7e308 less -1.7e308)."""
    difference = Fraction(Decimal(json.dumps(a))) - Fraction(Decimal(json.dumps(b)))
    try:
        return float(difference)
    except OverflowError:
        return math.inf if difference > 0 else -math.inf


def fetch(status: int, content: bytes, headers: dict[str, str] | None = None) -> Credits:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=content, headers=headers)

    with (
        httpx.Client(transport=httpx.MockTransport(handler)) as http,
        CreditsClient(KEY, http_client=http, sleep=lambda seconds: None, max_retries=1) as client,
    ):
        return client.get_credits()


@PROPERTY_SETTINGS
@given(from_schema(RESPONSE_200))
@example({"data": {"total_credits": 1.7976931348623157e308, "total_usage": -1.7976931348623157e308}})
def test_allowed_bodies_give_their_numbers(body: dict[str, Any]) -> None:
    """Any body the schema allows: Credits with exactly those numbers; remaining is their exact difference."""
    credits = fetch(200, json.dumps(body).encode())
    data = body["data"]
    assert credits.total_credits == data["total_credits"]
    assert credits.total_usage == data["total_usage"]
    assert dict(credits.extra) == {k: v for k, v in data.items() if k not in ("total_credits", "total_usage")}
    expected = exact_difference(data["total_credits"], data["total_usage"])
    if math.isfinite(expected):
        assert credits.remaining == expected


HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30)
HEADERS = st.dictionaries(
    st.sampled_from(["retry-after", "retry-after-ms", "content-type", "x-request-id", "content-encoding", "x-junk"]),
    HEADER_TEXT | st.sampled_from(["gzip", "br", "deflate", "identity", "0", "1e400", "nan", "-1", "0.001"]),
    max_size=4,
)
SHAPED = st.fixed_dictionaries({"data": st.dictionaries(st.sampled_from(["total_credits", "total_usage", "x"]), JSON)})
BODIES = st.one_of(
    st.binary(max_size=200),
    JSON.map(lambda v: json.dumps(v).encode()),
    SHAPED.map(lambda v: json.dumps(v).encode()),
    SHAPED.map(lambda v: gzip.compress(json.dumps(v).encode())),
)


@PROPERTY_SETTINGS
@given(st.integers(100, 599), BODIES, HEADERS)
def test_anything_else_gives_credits_or_an_error(status: int, content: bytes, headers: dict[str, str]) -> None:
    """Any status, bytes and headers: Credits from a valid 2xx body, or an OpenRouterCreditsError; nothing else."""
    try:
        credits = fetch(status, content, headers)
    except OpenRouterCreditsError:
        return
    assert 200 <= status <= 299
    data = json.loads(gzip.decompress(content) if headers.get("content-encoding") == "gzip" else content)["data"]
    assert (credits.total_credits, credits.total_usage) == (data["total_credits"], data["total_usage"])
