"""Turn the OpenAPI document upstream publishes into the canonical one we generate from.

Upstream's document varies from copy to copy in ways that would change the generated public API
(or stop the generator outright). Each repair below makes one such variation canonical and prints
one line saying what it changed; a document that already is canonical passes through untouched.

    python tools/normalise.py openapi.yaml build/openapi.normalised.json

A document broken in a way no repair covers is reported as ``<JSON path>: <problem>`` lines on
stderr with exit status 1.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openapi_doc import HTTP_METHODS, Doc, DocumentError, jpath, operations, refs, resolve
from selection import Operation, load_config, operations_from_config, select

ROOT = Path(__file__).resolve().parent.parent
BEARER_SCHEME = "bearerAuth"
EXPORTER_TAG_PREFIX = "subpackage_"
BETA_TAG_PREFIX = "beta_"

Report = Callable[[str], None]


# --- repairs --------------------------------------------------------------------------------


def flatten_tags(doc: Doc, report: Report) -> None:
    """Nested tag lists (``[[subpackage_credits]]``) become flat lists of strings."""

    def flat(items: list[Any]) -> list[Any]:
        out: list[Any] = []
        for item in items:
            out.extend(flat(item) if isinstance(item, list) else [item])
        return out

    for path, method, operation in operations(doc):
        tags = operation.get("tags")
        if isinstance(tags, list) and any(isinstance(t, list) for t in tags):
            operation["tags"] = flat(tags)
            report(f"{jpath('paths', path, method, 'tags')}: flattened {tags!r} to {operation['tags']!r}")


def canonical_tag(tag: str) -> str:
    """``subpackage_credits`` and ``Credits`` both become ``credits``; a group marked beta
    (``Beta.Analytics``, ``beta Analytics``, ``betaAnalytics``: OpenRouter's SDKs and newer reference
    pages file the analytics query there) keeps its plain name, so leaving beta moves no module."""
    if tag.startswith(EXPORTER_TAG_PREFIX):
        tag = tag[len(EXPORTER_TAG_PREFIX) :]
    tag = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", tag)
    tag = re.sub(r"[^A-Za-z0-9]+", "_", tag).strip("_").lower()
    return tag.removeprefix(BETA_TAG_PREFIX) or tag


def canonicalise_tags(doc: Doc, report: Report) -> None:
    """The first tag decides the module path (``api/<tag>/``): make it the same for every variant."""
    for path, method, operation in operations(doc):
        tags = operation.get("tags")
        where = jpath("paths", path, method, "tags")
        if tags is None or tags == []:
            segment = next((s for s in path.split("/") if s and "{" not in s), "default")
            operation["tags"] = [canonical_tag(segment)]
            report(f"{where}: no tag; added {operation['tags'][0]!r} from the path")
        elif isinstance(tags, list) and isinstance(tags[0], str):
            new = canonical_tag(tags[0])
            if new and new != tags[0]:
                operation["tags"] = [new, *tags[1:]]
                report(f"{where}[0]: renamed tag {tags[0]!r} to {new!r}")


#: operationIds that name no resource: the generated module and its models would be ``list_``,
#: ``ListResponse200`` and so on, whatever the path.
BARE_VERBS = frozenset({"list", "get", "create", "update", "delete", "retrieve", "patch"})


def descriptive_operation_ids(doc: Doc, report: Report) -> None:
    """A bare verb as an operationId (``list``) gets its tag's name: ``listApiKeys``."""
    for path, method, operation in operations(doc):
        operation_id = operation.get("operationId")
        tags = operation.get("tags")
        if operation_id in BARE_VERBS and isinstance(tags, list) and tags and isinstance(tags[0], str):
            new = f"{operation_id}{_pascal(tags[0])}"
            operation["operationId"] = new
            report(f"{jpath('paths', path, method, 'operationId')}: renamed {operation_id!r} to {new!r}")


def _ensure_bearer_scheme(doc: Doc, report: Report) -> str:
    """Name of an HTTP bearer security scheme, adding one to the components if there is none."""
    components = doc.setdefault("components", {})
    schemes = components.setdefault("securitySchemes", {})
    for name, scheme in schemes.items():
        scheme = resolve(doc, scheme)
        is_http = isinstance(scheme, dict) and scheme.get("type") == "http"
        if is_http and str(scheme.get("scheme", "")).lower() == "bearer":
            return str(name)
    schemes[BEARER_SCHEME] = {"type": "http", "scheme": "bearer"}
    report(f"{jpath('components', 'securitySchemes', BEARER_SCHEME)}: added an HTTP bearer scheme")
    return BEARER_SCHEME


def _is_authorization_header(doc: Doc, parameter: Any) -> bool:
    parameter = resolve(doc, parameter)
    return (
        isinstance(parameter, dict)
        and parameter.get("in") == "header"
        and str(parameter.get("name", "")).lower() == "authorization"
    )


def _drop_authorization_header(doc: Doc, holder: dict[str, Any]) -> bool:
    """Remove an Authorization header parameter from a path item or operation; say if there was one."""
    params = holder.get("parameters")
    if not (isinstance(params, list) and any(_is_authorization_header(doc, p) for p in params)):
        return False
    holder["parameters"] = [p for p in params if not _is_authorization_header(doc, p)]
    if not holder["parameters"]:
        del holder["parameters"]
    return True


def authorization_header_to_security(doc: Doc, report: Report) -> None:
    """A required ``Authorization`` header parameter becomes a bearer security requirement."""
    paths = doc.get("paths")
    if not isinstance(paths, dict):
        return
    for path, item in paths.items():
        if not isinstance(item, dict):
            continue
        shared_auth = _drop_authorization_header(doc, item)
        if shared_auth:
            report(f"{jpath('paths', path, 'parameters')}: removed the Authorization header parameter")
        for method in HTTP_METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            own_auth = _drop_authorization_header(doc, operation)
            if (own_auth or shared_auth) and not operation.get("security"):
                scheme = _ensure_bearer_scheme(doc, report)
                operation["security"] = [{scheme: []}]
                report(
                    f"{jpath('paths', path, method)}: Authorization header parameter "
                    f"replaced by bearer security {scheme!r}"
                )
            elif own_auth:
                report(f"{jpath('paths', path, method, 'parameters')}: removed the Authorization header parameter")


def copy_global_security(doc: Doc, report: Report) -> None:
    """The generator ignores document-level ``security``: copy it onto each operation without one."""
    security = doc.get("security")
    if not security:
        return
    for path, method, operation in operations(doc):
        if "security" not in operation:
            operation["security"] = copy.deepcopy(security)
            report(f"{jpath('paths', path, method, 'security')}: copied the document-level security")


def _pascal(text: str) -> str:
    words = re.split(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])", text)
    return "".join(w[:1].upper() + w[1:] for w in words if w)


def _is_object_schema(schema: Any) -> bool:
    return isinstance(schema, dict) and "$ref" not in schema and isinstance(schema.get("properties"), dict)


def _count_refs(node: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ref in refs(node):
        counts[ref] = counts.get(ref, 0) + 1
    return counts


def _rename_refs(node: Any, old: str, new: str) -> None:
    if isinstance(node, dict):
        if node.get("$ref") == old:
            node["$ref"] = new
        for value in node.values():
            _rename_refs(value, old, new)
    elif isinstance(node, list):
        for value in node:
            _rename_refs(value, old, new)


def canonical_schema_names(doc: Doc, report: Report) -> None:
    """Give every object schema of a response a name derived from the operation, not the exporter.

    Upstream names them ``Credits_getCredits_Response_200`` in one copy and inlines them in another,
    which would rename the generated model classes. Here each becomes a component named
    ``<OperationId>Response<status>`` (``GetCreditsResponse200``), and each object-valued property
    of it ``<Parent><Property>`` (``GetCreditsResponse200Data``). Components referenced from more than
    one place keep their names: they are shared on purpose.
    """
    schemas_path = ("components", "schemas")

    def place(schema_holder: Any, key: str | int, name: str, where: str) -> None:
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        schema = schema_holder[key]
        target_ref = f"#/components/schemas/{name}"
        if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
            ref = schema["$ref"]
            prefix = "#/components/schemas/"
            if ref == target_ref or not ref.startswith(prefix):
                body = resolve(doc, schema)
            else:
                old = ref[len(prefix) :]
                body = schemas.get(old)
                if not _is_object_schema(body) or name in schemas:
                    return
                if _count_refs(doc).get(ref, 0) != 1:
                    return
                schemas[name] = schemas.pop(old)
                _rename_refs(doc, ref, target_ref)
                report(f"{jpath(*schemas_path, old)}: renamed to {name!r}")
                body = schemas[name]
        elif _is_object_schema(schema):
            if name in schemas:
                return
            schemas[name] = schema
            schema_holder[key] = {"$ref": target_ref}
            report(f"{where}: moved the inline schema to {jpath(*schemas_path, name)}")
            body = schema
        else:
            return
        if not isinstance(body, dict) or not isinstance(body.get("properties"), dict):
            return
        for prop in list(body["properties"]):
            place(body["properties"], prop, name + _pascal(prop), jpath(*schemas_path, name, "properties", prop))

    for path, method, operation in operations(doc):
        op_name = _pascal(str(operation.get("operationId") or f"{method} {path}"))
        responses = operation.get("responses")
        if not isinstance(responses, dict):
            continue
        for status, response in responses.items():
            if not str(status).startswith("2"):
                continue  # error schemas are shared between operations: they keep upstream's names
            response = resolve(doc, response)
            content = response.get("content") if isinstance(response, dict) else None
            if not isinstance(content, dict):
                continue
            for media_type, media in content.items():
                if "json" in str(media_type) and isinstance(media, dict) and "schema" in media:
                    where = jpath("paths", path, method, "responses", str(status), "content", media_type, "schema")
                    place(media, "schema", f"{op_name}Response{_pascal(str(status))}", where)


def _schemas(node: Any, where: tuple[str | int, ...] = ()) -> Any:
    """Yield ``(json path parts, schema)`` for every mapping below ``node`` that has ``properties``."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [(where, node)]
    while stack:
        parts, item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("properties"), dict):
                yield parts, item
            stack.extend(((*parts, key), value) for key, value in reversed(item.items()) if key != "example")
        elif isinstance(item, list):
            stack.extend(((*parts, index), value) for index, value in reversed(list(enumerate(item))))


def deprecated_not_required(doc: Doc, report: Report) -> None:
    """A property marked ``deprecated`` stops being required: the server may stop sending it any day."""
    for parts, schema in _schemas(doc):
        required = schema.get("required")
        if not isinstance(required, list):
            continue
        dropped = [
            name
            for name in required
            if isinstance(resolve(doc, schema["properties"].get(name)), dict)
            and resolve(doc, schema["properties"][name]).get("deprecated") is True
        ]
        if dropped:
            schema["required"] = [name for name in required if name not in dropped]
            if not schema["required"]:
                del schema["required"]
            report(f"{jpath(*parts, 'required')}: deprecated {', '.join(map(repr, dropped))} no longer required")


def _infer(example: Any) -> dict[str, Any]:
    if isinstance(example, dict):
        return {
            "type": "object",
            "properties": {str(k): _infer(v) for k, v in example.items()},
            "required": [str(k) for k in example],
        }
    if isinstance(example, list):
        return {"type": "array", "items": _infer(example[0])} if example else {"type": "array"}
    if isinstance(example, bool):
        return {"type": "boolean"}
    if isinstance(example, int | float):
        return {"type": "number"}  # an amount written as 100 is still a number, not an integer
    if isinstance(example, str):
        return {"type": "string"}
    return {}


_SHAPE_KEYS = ("properties", "items", "allOf", "anyOf", "oneOf", "additionalProperties", "$ref")


def schema_from_example(doc: Doc, report: Report) -> None:
    """A success response declared as a bare ``type: object`` with an example gets the example's shape.

    An older copy of upstream's document declares ``GET /credits``'s 200 this way, which would
    generate a model without fields.
    """
    for path, method, operation in operations(doc):
        responses = operation.get("responses")
        for status, response in responses.items() if isinstance(responses, dict) else ():
            response = resolve(doc, response)
            content = response.get("content") if isinstance(response, dict) else None
            if not str(status).startswith("2") or not isinstance(content, dict):
                continue
            for media_type, media in content.items():
                schema = media.get("schema") if isinstance(media, dict) else None
                if not (isinstance(schema, dict) and schema.get("type") == "object"):
                    continue
                example = schema.get("example", media.get("example"))
                if any(key in schema for key in _SHAPE_KEYS) or not isinstance(example, dict) or not example:
                    continue
                schema.update({k: v for k, v in _infer(example).items() if k != "type"})
                where = jpath("paths", path, method, "responses", str(status), "content", media_type, "schema")
                report(f"{where}: no properties declared; took them from the example ({', '.join(example)})")


def _enums(node: Any, where: tuple[str | int, ...] = ()) -> Any:
    """Yield ``(json path parts, schema)`` for every mapping below ``node`` that has an ``enum`` list."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [(where, node)]
    while stack:
        parts, item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("enum"), list):
                yield parts, item
            stack.extend(((*parts, key), value) for key, value in reversed(item.items()) if key != "example")
        elif isinstance(item, list):
            stack.extend(((*parts, index), value) for index, value in reversed(list(enumerate(item))))


def nullable_enums(doc: Doc, report: Report) -> None:
    """An ``enum`` that lists ``null`` in a schema whose ``type`` allows null (``PATCH /keys/{hash}``'s
    ``limit_reset``: ``type: [string, null]``, ``enum: [daily, weekly, monthly, null]``) becomes ``anyOf``
    the enum without null, or null: the generator makes three identical enum classes of the first
    form (and drops the null if only null is taken out of the enum); of this one, one enum, nullable."""
    for parts, schema in _enums(doc):
        types = schema.get("type")
        if not (isinstance(types, list) and "null" in types and None in schema["enum"]):
            continue
        values = [value for value in schema.pop("enum") if value is not None]
        others = [kind for kind in types if kind != "null"]
        schema.pop("type")
        schema["anyOf"] = [{"type": others[0] if len(others) == 1 else others, "enum": values}, {"type": "null"}]
        report(f"{jpath(*parts)}: an enum listing null made one enum or null (anyOf)")


REPAIRS: tuple[Callable[[Doc, Report], None], ...] = (
    flatten_tags,
    canonicalise_tags,
    descriptive_operation_ids,
    authorization_header_to_security,
    copy_global_security,
    schema_from_example,
    deprecated_not_required,
    nullable_enums,
    canonical_schema_names,
)


# --- validation -----------------------------------------------------------------------------


def _dangling_refs(doc: Doc) -> list[str]:
    problems = []
    for ref in sorted(_count_refs(doc)):
        if not ref.startswith("#/"):
            problems.append(f"{ref}: only references inside the document are supported")
        elif resolve(doc, {"$ref": ref}) == {"$ref": ref}:
            problems.append(f"{jpath(*ref[2:].split('/'))}: referenced as {ref!r} but not defined")
    return problems


def validate(doc: Doc) -> list[str]:
    """Problems (``<JSON path>: <message>``) that would stop or mislead the generator."""
    from openapi_python_client.schema import OpenAPI
    from pydantic import ValidationError

    problems: list[str] = []
    version = doc.get("openapi")
    if not (isinstance(version, str) and version.startswith("3.")):
        problems.append(f"$.openapi: expected an OpenAPI 3.x version string, found {version!r}")
    if not isinstance(doc.get("paths"), dict) or not any(True for _ in operations(doc)):
        problems.append("$.paths: no operations found")
    try:
        OpenAPI.model_validate(doc)
    except ValidationError as exc:
        for error in exc.errors():
            loc = [part for part in error["loc"] if not (isinstance(part, str) and part[:1].isupper())]
            problems.append(f"{jpath(*loc)}: {error['msg']}")
    problems.extend(_dangling_refs(doc))
    return list(dict.fromkeys(problems))


def normalise(doc: Any, selected: list[Operation] | None = None, report: Report = print) -> Doc:
    """The canonical form of ``doc`` (a new object), with only the ``selected`` operations if given.

    Raises DocumentError when it cannot be made into a document the generator takes.
    """
    if not isinstance(doc, dict):
        raise DocumentError([f"$: expected a mapping at the top of the document, found {type(doc).__name__}"])
    if selected is not None:
        doc = select(doc, selected, report)
    result: Doc = copy.deepcopy(doc)
    for repair in REPAIRS:
        repair(result, report)
    problems = validate(result)
    if problems:
        raise DocumentError(problems)
    return result


def load(path: Path) -> Any:
    """The YAML (or JSON) document at ``path``, read with PyYAML's C loader where it is built."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise DocumentError([f"{path}: cannot read the document ({exc.strerror or exc})"]) from exc
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 (a safe loader, chosen above)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise DocumentError([f"{where}: not valid YAML: {problem}"]) from exc


def dump(doc: Doc) -> str:
    # default=str: YAML reads an unquoted 2025-08-24 in an example as a date.
    return json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n"


def run(source: Path, target: Path, config: Path, report: Report) -> int:
    """Normalise ``source`` with the operations ``config`` selects into ``target``; 0, or 1 on a problem."""
    try:
        selected = operations_from_config(load_config(config), config.name)
        doc = normalise(load(source), selected, report=report)
    except DocumentError as exc:
        print(f"normalise: {source} cannot be used to generate the client:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(dump(doc), encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("source", type=Path, help="the document as published (YAML or JSON)")
    parser.add_argument("target", type=Path, help="where to write the canonical JSON")
    parser.add_argument("--config", type=Path, default=ROOT / "generator-config.yaml", help="select_operations")
    args = parser.parse_args(argv)
    return run(args.source, args.target, args.config, lambda line: print(f"normalise: {line}"))


if __name__ == "__main__":
    sys.exit(main())
