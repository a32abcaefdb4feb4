"""Selecting operations by method and path, and pruning what they no longer reach, on small documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
import selection  # noqa: E402
from openapi_doc import DocumentError  # noqa: E402


def ref(name: str, section: str = "schemas") -> dict[str, str]:
    return {"$ref": f"#/components/{section}/{name}"}


def ok(schema: dict[str, Any]) -> dict[str, Any]:
    return {"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}}


def small_doc() -> dict[str, Any]:
    """GET /credits reaches Credits -> Amount (only through Credits); GET /models reaches Model."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "security": [{"apiKey": []}],
        "tags": [{"name": "Credits"}, {"name": "Models"}],
        "paths": {
            "/credits": {
                "summary": "kept with its operation",
                "get": {
                    "tags": ["Credits"],
                    "parameters": [ref("Verbose", "parameters")],
                    "responses": {**ok(ref("Credits")), "401": ref("Unauthorized", "responses")},
                },
                "post": {"responses": ok(ref("Model"))},
            },
            "/models": {"get": {"tags": ["Models"], "responses": ok(ref("Model"))}},
        },
        "webhooks": {"hook": {"post": {"responses": ok(ref("Model"))}}},
        "components": {
            "schemas": {
                "Credits": {"type": "object", "properties": {"total": ref("Amount")}},
                "Amount": {"type": "number"},
                "Model": {"type": "object", "properties": {"child": ref("Child")}},
                "Child": {"type": "string"},
                "Error": {"type": "object"},
            },
            "responses": {
                "Unauthorized": {"description": "no", "content": {"application/json": {"schema": ref("Error")}}},
                "Gone": {"description": "unused"},
            },
            "parameters": {"Verbose": {"name": "verbose", "in": "query", "schema": {"type": "boolean"}}},
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}, "other": {"type": "http"}},
        },
    }


def pick(*texts: str, required: bool = True) -> list[selection.Operation]:
    return [selection.Operation(text, required=required) for text in texts]


def test_keeps_what_the_operation_reaches_and_prunes_the_rest() -> None:
    """A schema reached only through a kept schema survives; unreachable components and tags go."""
    lines: list[str] = []
    out = selection.select(small_doc(), pick("GET /credits"), lines.append)
    assert out["paths"] == {
        "/credits": {"summary": "kept with its operation", "get": small_doc()["paths"]["/credits"]["get"]}
    }
    assert "webhooks" not in out
    components = out["components"]
    assert sorted(components["schemas"]) == ["Amount", "Credits", "Error"]
    assert sorted(components["responses"]) == ["Unauthorized"]
    assert sorted(components["parameters"]) == ["Verbose"]
    assert sorted(components["securitySchemes"]) == ["apiKey"]
    assert out["tags"] == [{"name": "Credits"}]
    assert lines == [
        "$.paths: kept the 1 selected operation(s) of 3",
        "$.components: pruned 5 component(s) and tag(s) the selected operations do not reach",
    ]


def test_selection_is_by_method_as_well_as_path() -> None:
    """POST /credits is another operation: selecting it keeps Model, not Credits."""
    out = selection.select(small_doc(), pick("POST /credits"), lambda line: None)
    assert list(out["paths"]["/credits"]) == ["summary", "post"]
    assert sorted(out["components"]["schemas"]) == ["Child", "Model"]


def test_input_document_is_not_changed() -> None:
    doc = small_doc()
    selection.select(doc, pick("GET /credits"), lambda line: None)
    assert doc == small_doc()


def test_missing_required_operation_is_an_error() -> None:
    """A required operation the document lacks stops selection, naming it."""
    with pytest.raises(DocumentError) as info:
        selection.select(small_doc(), pick("GET /key"), lambda line: None)
    assert info.value.problems == [
        "$.paths['/key'].get: GET /key is not in the document, and the client is built around it: "
        "is this OpenRouter's API document?"
    ]


def test_missing_optional_operation_is_one_line() -> None:
    lines: list[str] = []
    out = selection.select(small_doc(), [*pick("GET /credits"), *pick("GET /key", required=False)], lines.append)
    assert lines[0] == "$.paths['/key'].get: GET /key is not in the document; not generated"
    assert list(out["paths"]) == ["/credits"]


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ({}, "list the operations to generate"),
        ({"select_operations": ["GET /credits"]}, "list the operations to generate"),
        ({"select_operations": {"GET /credits": "maybe"}}, "'GET /credits' must be 'required' or 'optional'"),
        ({"select_operations": {"FETCH /credits": "required"}}, "'FETCH /credits' is not an operation"),
        ({"select_operations": {"/credits": "required"}}, "'/credits' is not an operation"),
    ],
)
def test_config_errors(config: dict[str, Any], problem: str) -> None:
    """select_operations is a mapping of 'METHOD /path' to required or optional."""
    with pytest.raises(DocumentError) as info:
        selection.operations_from_config(config)
    assert problem in info.value.problems[0]
    assert info.value.problems[0].startswith("generator-config.yaml: select_operations: ")


def test_project_config_selects_the_operations() -> None:
    ops = selection.operations_from_config(selection.load_config(ROOT / "generator-config.yaml"))
    assert [(str(op), op.required) for op in ops] == [
        ("GET /credits", True),
        ("GET /key", False),
        ("GET /activity", False),
        ("GET /keys", False),
        ("GET /keys/{hash}", False),
        ("PATCH /keys/{hash}", False),
        ("GET /workspaces", False),
        ("POST /analytics/query", False),
        ("GET /analytics/meta", False),
    ]
