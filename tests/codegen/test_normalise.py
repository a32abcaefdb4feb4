"""The normaliser: each repair on a document that needs it and on one that does not."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
import normalise  # noqa: E402
import selection  # noqa: E402


def canonical_doc() -> dict[str, Any]:
    """A small document every repair leaves alone."""
    return {
        "openapi": "3.1.1",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/credits": {
                "get": {
                    "operationId": "get-credits",
                    "tags": ["credits"],
                    "security": [{"bearerAuth": []}],
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/GetCreditsResponse200"}}
                            },
                        }
                    },
                }
            }
        },
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "GetCreditsResponse200": {
                    "type": "object",
                    "properties": {"data": {"$ref": "#/components/schemas/GetCreditsResponse200Data"}},
                    "required": ["data"],
                },
                "GetCreditsResponse200Data": {
                    "type": "object",
                    "properties": {"total_credits": {"type": "number"}, "total_usage": {"type": "number"}},
                    "required": ["total_credits", "total_usage"],
                },
            },
        },
    }


def run(doc: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    lines: list[str] = []
    return normalise.normalise(doc, report=lines.append), lines


def operation(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["paths"]["/credits"]["get"]  # type: ignore[no-any-return]


def test_canonical_document_is_left_alone() -> None:
    """A canonical document passes through unchanged and prints nothing."""
    doc = canonical_doc()
    out, lines = run(doc)
    assert lines == []
    assert out == canonical_doc()


def test_input_is_not_mutated() -> None:
    """normalise() returns a new document and leaves its argument as it was."""
    doc = canonical_doc()
    operation(doc)["tags"] = [["subpackage_credits"]]
    before = copy.deepcopy(doc)
    run(doc)
    assert doc == before


def test_nested_tags_are_flattened() -> None:
    """[[credits]] becomes [credits], with one line naming the place."""
    doc = canonical_doc()
    operation(doc)["tags"] = [["credits"]]
    out, lines = run(doc)
    assert operation(out)["tags"] == ["credits"]
    assert lines == ["$.paths['/credits'].get.tags: flattened [['credits']] to ['credits']"]


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["subpackage_credits"], ["credits"]),
        (["Credits"], ["credits"]),
        (["Credits", "Other"], ["credits", "Other"]),
        (["Beta.Credits"], ["credits"]),
        (["betaCredits"], ["credits"]),
        (["subpackage_beta_credits"], ["credits"]),
        ([], ["credits"]),
        (None, ["credits"]),
    ],
)
def test_first_tag_is_canonical(tags: list[str] | None, expected: list[str]) -> None:
    """Every upstream spelling of the tag gives the module path api/credits_/."""
    doc = canonical_doc()
    if tags is None:
        del operation(doc)["tags"]
    else:
        operation(doc)["tags"] = tags
    out, lines = run(doc)
    assert operation(out)["tags"] == expected
    assert len(lines) == 1
    assert lines[0].startswith("$.paths['/credits'].get.tags")


@pytest.mark.parametrize(
    ("operation_id", "expected"), [("list", "listCredits"), ("get", "getCredits"), ("get-credits", "get-credits")]
)
def test_bare_verb_operation_ids_get_their_tag(operation_id: str, expected: str) -> None:
    """An operationId that names no resource (upstream's GET /keys is ``list``) gets the tag's name."""
    doc = canonical_doc()
    operation(doc)["operationId"] = operation_id
    out, lines = run(doc)
    assert operation(out)["operationId"] == expected
    renamed = [line for line in lines if line.endswith(f"renamed {operation_id!r} to {expected!r}")]
    assert len(renamed) == (operation_id != expected)


def test_authorization_header_becomes_bearer_security() -> None:
    """The published copy's Authorization header parameter turns into a security requirement."""
    doc = canonical_doc()
    del doc["components"]["securitySchemes"]
    del operation(doc)["security"]
    operation(doc)["parameters"] = [
        {"name": "Authorization", "in": "header", "required": True, "schema": {"type": "string"}}
    ]
    out, lines = run(doc)
    assert "parameters" not in operation(out)
    assert operation(out)["security"] == [{"bearerAuth": []}]
    assert out["components"]["securitySchemes"] == {"bearerAuth": {"type": "http", "scheme": "bearer"}}
    assert lines == [
        "$.components.securitySchemes.bearerAuth: added an HTTP bearer scheme",
        "$.paths['/credits'].get: Authorization header parameter replaced by bearer security 'bearerAuth'",
    ]


def test_authorization_header_reuses_existing_bearer_scheme() -> None:
    """An existing bearer scheme, whatever its name, is used rather than a second one added."""
    doc = canonical_doc()
    doc["components"]["securitySchemes"] = {"apiKey": {"type": "http", "scheme": "Bearer"}}
    del operation(doc)["security"]
    operation(doc)["parameters"] = [
        {"name": "authorization", "in": "header", "schema": {"type": "string"}},
        {"name": "q", "in": "query", "schema": {"type": "string"}},
    ]
    out, lines = run(doc)
    assert operation(out)["parameters"] == [{"name": "q", "in": "query", "schema": {"type": "string"}}]
    assert operation(out)["security"] == [{"apiKey": []}]
    assert len(lines) == 1


def test_document_level_security_is_copied() -> None:
    """A document-level security requirement lands on each operation that has none."""
    doc = canonical_doc()
    del operation(doc)["security"]
    doc["security"] = [{"bearerAuth": []}]
    out, lines = run(doc)
    assert operation(out)["security"] == [{"bearerAuth": []}]
    assert lines == ["$.paths['/credits'].get.security: copied the document-level security"]


def test_exporter_schema_names_become_operation_names() -> None:
    """Credits_getCredits_Response_200 and its data schema are renamed after the operation."""
    doc = canonical_doc()
    schemas = doc["components"]["schemas"]
    schemas["Credits_getCredits_Response_200"] = schemas.pop("GetCreditsResponse200")
    schemas["Data"] = schemas.pop("GetCreditsResponse200Data")
    schemas["Credits_getCredits_Response_200"]["properties"]["data"]["$ref"] = "#/components/schemas/Data"
    media = operation(doc)["responses"]["200"]["content"]["application/json"]
    media["schema"]["$ref"] = "#/components/schemas/Credits_getCredits_Response_200"
    out, lines = run(doc)
    assert out == canonical_doc()
    assert lines == [
        "$.components.schemas.Credits_getCredits_Response_200: renamed to 'GetCreditsResponse200'",
        "$.components.schemas.Data: renamed to 'GetCreditsResponse200Data'",
    ]


def test_inline_schemas_are_moved_to_components() -> None:
    """Inline response schemas get the names the $ref variant has."""
    doc = canonical_doc()
    schemas = doc["components"].pop("schemas")
    top = schemas["GetCreditsResponse200"]
    top["properties"]["data"] = schemas["GetCreditsResponse200Data"]
    operation(doc)["responses"]["200"]["content"]["application/json"]["schema"] = top
    out, lines = run(doc)
    assert out["components"]["schemas"] == canonical_doc()["components"]["schemas"]
    assert operation(out) == operation(canonical_doc())
    assert len(lines) == 2


def test_shared_schema_keeps_its_name() -> None:
    """A component referenced from two responses is shared on purpose and is not renamed."""
    doc = canonical_doc()
    doc["components"]["schemas"]["Error"] = {"type": "object", "properties": {"message": {"type": "string"}}}
    ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    operation(doc)["responses"]["401"] = {"description": "a", **copy.deepcopy(ref)}
    operation(doc)["responses"]["403"] = {"description": "b", **copy.deepcopy(ref)}
    out, lines = run(doc)
    assert "Error" in out["components"]["schemas"]
    assert lines == []


UPSTREAM = ROOT / "tests" / "data" / "upstream"
SELECTED = selection.operations_from_config(selection.load_config(ROOT / "generator-config.yaml"))


#: The selected operations in the order normalise reports them, each with its tag in the upstream
#: documents and the tag it is renamed to.
TAGGED = [
    ("/credits", "get", "Credits", "credits"),
    ("/key", "get", "API Keys", "api_keys"),
    ("/activity", "get", "Analytics", "analytics"),
    ("/keys", "get", "API Keys", "api_keys"),
    ("/keys/{hash}", "get", "API Keys", "api_keys"),
    ("/keys/{hash}", "patch", "API Keys", "api_keys"),
    ("/workspaces", "get", "Workspaces", "workspaces"),
    ("/analytics/query", "post", "Analytics", "analytics"),
    ("/analytics/meta", "get", "Analytics", "analytics"),
]


def renamed_tags(count: int) -> list[str]:
    """The report's lines for the tags of the first ``count`` operations of TAGGED."""
    return [
        f"$.paths['{path}'].{method}.tags[0]: renamed tag '{old}' to '{new}'"
        for path, method, old, new in TAGGED[:count]
    ]


def copied_security(count: int) -> list[str]:
    """The report's lines for the security copied onto the first ``count`` operations of TAGGED."""
    return [
        f"$.paths['{path}'].{method}.security: copied the document-level security"
        for path, method, _, _ in TAGGED[:count]
    ]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            UPSTREAM / "get-credits-reference-page.yaml",
            [
                "$.paths['/key'].get: GET /key is not in the document; not generated",
                "$.paths['/activity'].get: GET /activity is not in the document; not generated",
                "$.paths['/keys'].get: GET /keys is not in the document; not generated",
                "$.paths['/keys/{hash}'].get: GET /keys/{hash} is not in the document; not generated",
                "$.paths['/keys/{hash}'].patch: PATCH /keys/{hash} is not in the document; not generated",
                "$.paths['/workspaces'].get: GET /workspaces is not in the document; not generated",
                "$.paths['/analytics/query'].post: POST /analytics/query is not in the document; not generated",
                "$.paths['/analytics/meta'].get: GET /analytics/meta is not in the document; not generated",
                "$.paths['/credits'].get.tags: flattened",
                "$.paths['/credits'].get.tags[0]: renamed tag 'subpackage_credits' to 'credits'",
                "$.components.securitySchemes.bearerAuth: added an HTTP bearer scheme",
                "$.paths['/credits'].get: Authorization header parameter replaced by bearer security",
                "$.components.schemas.Credits_getCredits_Response_200: renamed to 'GetCreditsResponse200'",
                "$.components.schemas.CreditsGetResponsesContentApplicationJsonSchemaData: renamed to",
            ],
        ),
        (
            UPSTREAM / "openrouter-api-2025-10-22.yaml",
            [
                "$.paths['/workspaces'].get: GET /workspaces is not in the document; not generated",
                "$.paths['/analytics/query'].post: POST /analytics/query is not in the document; not generated",
                "$.paths['/analytics/meta'].get: GET /analytics/meta is not in the document; not generated",
                "$.paths: kept the 6 selected operation(s) of 20",
                "$.components: pruned 134 component(s)",
                *renamed_tags(6),
                "$.paths['/keys'].get.operationId: renamed 'list' to 'listApiKeys'",
                *copied_security(6),
                "$.paths['/credits'].get.responses['200'].content['application/json'].schema: no properties declared;",
                "$.paths['/key'].get.responses['200'].content['application/json'].schema.properties.data.required: "
                "deprecated 'rate_limit' no longer required",
                "$.paths['/credits'].get.responses['200'].content['application/json'].schema: moved the inline",
                "$.components.schemas.GetCreditsResponse200.properties.data: moved the inline schema",
                "$.paths['/key'].get.responses['200'].content['application/json'].schema: moved the inline",
                "$.components.schemas.GetCurrentKeyResponse200.properties.data: moved the inline schema",
                "$.components.schemas.GetCurrentKeyResponse200Data.properties.rate_limit: moved the inline",
                "$.paths['/activity'].get.responses['200'].content['application/json'].schema: moved the inline",
                "$.paths['/keys'].get.responses['200'].content['application/json'].schema: moved the inline",
                "$.paths['/keys/{hash}'].get.responses['200'].content['application/json'].schema: moved the inline",
                "$.components.schemas.GetKeyResponse200.properties.data: moved the inline schema",
                "$.paths['/keys/{hash}'].patch.responses['200'].content['application/json'].schema: moved the",
                "$.components.schemas.UpdateKeysResponse200.properties.data: moved the inline schema",
            ],
        ),
        (
            ROOT / "openapi.yaml",
            [
                "$.paths: kept the 9 selected operation(s) of 97",
                "$.components: pruned 776 component(s)",
                *renamed_tags(9),
                "$.paths['/keys'].get.operationId: renamed 'list' to 'listApiKeys'",
                *copied_security(9),
                "$.paths['/key'].get.responses['200'].content['application/json'].schema.properties.data.required: "
                "deprecated 'is_provisioning_key', 'rate_limit' no longer required",
                "$.paths['/keys/{hash}'].patch.requestBody.content['application/json'].schema.properties.limit_reset: "
                "an enum listing null made one enum or null (anyOf)",
                "$.paths['/credits'].get.responses['200'].content['application/json'].schema: moved the inline",
                "$.components.schemas.GetCreditsResponse200.properties.data: moved the inline schema",
                "$.paths['/key'].get.responses['200'].content['application/json'].schema: moved the inline",
                "$.components.schemas.GetCurrentKeyResponse200.properties.data: moved the inline schema",
                "$.components.schemas.GetCurrentKeyResponse200Data.properties.rate_limit: moved the inline",
                "$.components.schemas.ActivityResponse: renamed to 'GetUserActivityResponse200'",
                "$.paths['/keys'].get.responses['200'].content['application/json'].schema: moved the inline",
                "$.paths['/keys/{hash}'].get.responses['200'].content['application/json'].schema: moved the inline",
                "$.components.schemas.GetKeyResponse200.properties.data: moved the inline schema",
                "$.paths['/keys/{hash}'].patch.responses['200'].content['application/json'].schema: moved the",
                "$.components.schemas.UpdateKeysResponse200.properties.data: moved the inline schema",
                "$.components.schemas.ListWorkspacesResponse: renamed to 'ListWorkspacesResponse200'",
                "$.paths['/analytics/query'].post.responses['200'].content['application/json'].schema: moved the",
                "$.components.schemas.QueryAnalyticsResponse200.properties.data: moved the inline schema",
                "$.components.schemas.QueryAnalyticsResponse200Data.properties.metadata: moved the inline schema",
                "$.paths['/analytics/meta'].get.responses['200'].content['application/json'].schema: moved the",
                "$.components.schemas.GetAnalyticsMetaResponse200.properties.data: moved the inline schema",
            ],
        ),
    ],
    ids=["reference-page", "2025-10-22", "published"],
)
def test_upstream_documents_need_these_repairs(source: Path, expected: list[str]) -> None:
    """Each upstream document needs exactly these repairs, one line each; the result needs none."""
    lines: list[str] = []
    out = normalise.normalise(normalise.load(source), SELECTED, report=lines.append)
    assert len(lines) == len(expected), "\n".join(lines)
    for line, start in zip(lines, expected, strict=True):
        assert line.startswith(start), (line, start)
    assert run(out) == (out, [])


def test_published_document_is_loaded_with_the_c_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    """PyYAML's C loader is used where it is built (five times faster on the published document): with
    the pure-Python loader taken away, a document still loads. (The published document's own loading
    is in test_main_writes_canonical_json and test_upstream_documents_need_these_repairs[published].)"""
    assert hasattr(yaml, "CSafeLoader")
    monkeypatch.setattr(yaml, "SafeLoader", None)
    reference_page = ROOT / "tests" / "data" / "upstream" / "get-credits-reference-page.yaml"
    assert normalise.load(reference_page)["openapi"].startswith("3.1")


def test_deprecated_property_stops_being_required() -> None:
    """A required property marked deprecated is required no more; others stay required."""
    doc = canonical_doc()
    data = doc["components"]["schemas"]["GetCreditsResponse200Data"]
    data["properties"]["old"] = {"type": "number", "deprecated": True}
    data["required"].append("old")
    out, lines = run(doc)
    assert out["components"]["schemas"]["GetCreditsResponse200Data"]["required"] == ["total_credits", "total_usage"]
    assert lines == ["$.components.schemas.GetCreditsResponse200Data.required: deprecated 'old' no longer required"]


def test_enum_listing_null_becomes_one_nullable_enum() -> None:
    """An enum that lists null in a schema whose type allows null becomes anyOf the enum and null (one
    generated enum, nullable); an enum without null, or whose type does not allow it, is left alone."""
    doc = canonical_doc()
    data = doc["components"]["schemas"]["GetCreditsResponse200Data"]
    data["properties"]["reset"] = {"type": ["string", "null"], "enum": ["daily", "weekly", None], "example": "daily"}
    data["properties"]["kind"] = {"type": ["string", "null"], "enum": ["a", "b"]}
    data["properties"]["odd"] = {"type": "string", "enum": ["a", None]}
    out, lines = run(doc)
    properties = out["components"]["schemas"]["GetCreditsResponse200Data"]["properties"]
    assert properties["reset"] == {
        "anyOf": [{"type": "string", "enum": ["daily", "weekly"]}, {"type": "null"}],
        "example": "daily",
    }
    assert properties["kind"] == {"type": ["string", "null"], "enum": ["a", "b"]}
    assert properties["odd"] == {"type": "string", "enum": ["a", None]}
    assert lines == [
        "$.components.schemas.GetCreditsResponse200Data.properties.reset: an enum listing null made one enum or "
        "null (anyOf)"
    ]
    assert run(out) == (out, [])


def test_example_only_schema_gets_the_example_shape() -> None:
    """A bare object 200 schema with an example gets the example's properties, numbers as number."""
    doc = canonical_doc()
    media = operation(doc)["responses"]["200"]["content"]["application/json"]
    media["schema"] = {"type": "object", "example": {"data": {"total_credits": 100, "total_usage": 25.75}}}
    doc["components"]["schemas"] = {}
    out, lines = run(doc)
    data = out["components"]["schemas"]["GetCreditsResponse200Data"]
    assert data["properties"] == {"total_credits": {"type": "number"}, "total_usage": {"type": "number"}}
    assert data["required"] == ["total_credits", "total_usage"]
    assert "no properties declared; took them from the example (data)" in lines[0]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.update(openapi="2.0"), "$.openapi: expected an OpenAPI 3.x version string, found '2.0'"),
        (lambda d: d.update(paths={}), "$.paths: no operations found"),
        (
            lambda d: d["paths"]["/credits"]["get"]["responses"]["200"]["content"]["application/json"].update(
                schema={"$ref": "#/components/schemas/Missing"}
            ),
            "$.components.schemas.Missing: referenced as '#/components/schemas/Missing' but not defined",
        ),
        (
            lambda d: d["paths"]["/credits"]["get"].update(tags=[3]),
            "$.paths['/credits'].get.tags[0]: Input should be a valid string",
        ),
        (
            lambda d: d["paths"]["/credits"]["get"].update(responses="none"),
            "$.paths['/credits'].get.responses: Input should be a valid dictionary",
        ),
    ],
)
def test_broken_beyond_repair(mutate: Any, expected: str) -> None:
    """A document no repair can fix raises DocumentError naming the JSON path and the problem."""
    doc = canonical_doc()
    mutate(doc)
    with pytest.raises(normalise.DocumentError) as info:
        run(doc)
    assert expected in info.value.problems


def test_main_reports_problems_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The command prints the problems on stderr, writes nothing, and exits 1 without a traceback."""
    source = tmp_path / "broken.yaml"
    source.write_text("openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n")
    target = tmp_path / "out.json"
    assert normalise.main([str(source), str(target)]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"normalise: {source} cannot be used to generate the client:\n"
        "  $.paths['/credits'].get: GET /credits is not in the document, and the client is built around it: "
        "is this OpenRouter's API document?\n"
    )
    assert not target.exists()


def test_main_reports_yaml_syntax_with_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Broken YAML is reported with file, line and column."""
    source = tmp_path / "broken.yaml"
    source.write_text("openapi: 3.1.0\npaths: [\n")
    assert normalise.main([str(source), str(tmp_path / "out.json")]) == 1
    assert re.search(r"broken\.yaml:\d+:\d+: not valid YAML", capsys.readouterr().err)


def test_main_rejects_a_non_mapping(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A document that is a list, not a mapping, is named as such."""
    source = tmp_path / "list.yaml"
    source.write_text("- a\n- b\n")
    assert normalise.main([str(source), str(tmp_path / "out.json")]) == 1
    assert "$: expected a mapping at the top of the document, found list" in capsys.readouterr().err


def test_main_writes_canonical_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The command writes the canonical document as JSON and prints one line per repair."""
    target = tmp_path / "out.json"
    assert normalise.main([str(ROOT / "openapi.yaml"), str(target)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 40
    assert all(line.startswith("normalise: $") for line in out)
    doc = json.loads(target.read_text())
    assert operation(doc)["tags"] == ["credits"]
    assert sorted(doc["paths"]) == [
        "/activity",
        "/analytics/meta",
        "/analytics/query",
        "/credits",
        "/key",
        "/keys",
        "/keys/{hash}",
        "/workspaces",
    ]
