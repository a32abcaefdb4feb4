"""Contains shared errors types that can be raised from API functions"""

import datetime
import importlib
import json
import math
import re
from collections.abc import Callable
from typing import Any, Protocol


class UnexpectedStatus(Exception):
    """Raised by api functions when the response status an undocumented status and Client.raise_on_unexpected_status is True"""

    def __init__(self, status_code: int, content: bytes):
        self.status_code = status_code
        self.content = content

        super().__init__(
            f"Unexpected status code: {status_code}\n\nResponse content:\n{content.decode(errors='ignore')}"
        )


class ResponseValidationError(Exception):
    """A 2xx response whose body is not what the API document declares for it.

    ``path`` is where in the JSON body (``data.total_credits``, ``data[3].usage``, ``$`` for the
    whole body) and ``problem`` what is wrong there (``expected number, got string``).
    """

    def __init__(self, path: str, problem: str, status_code: int, content: bytes):
        self.path = path
        self.problem = problem
        self.status_code = status_code
        self.content = content
        super().__init__(f"{path}: {problem}")

    def __reduce__(self) -> Any:
        return (type(self), (self.path, self.problem, self.status_code, self.content))


class _Response(Protocol):
    @property
    def status_code(self) -> int: ...

    @property
    def content(self) -> bytes: ...

    def json(self) -> Any: ...


_MODEL_SHAPES: dict[str, tuple[Any, ...]] = {}


def _model_shape(module: str) -> tuple[Any, ...]:
    """The SHAPE of the model in ``models/<module>.py`` (imported when first needed, then kept)."""
    shape = _MODEL_SHAPES.get(module)
    if shape is None:
        shape = _MODEL_SHAPES[module] = importlib.import_module(
            f"{__package__}.models.{module}"
        ).SHAPE
    return shape


# A shape is ("number",), ("integer",), ("string",), ("boolean",), ("null",), ("any",),
# ("date-time",), ("date",), ("enum", [values]), ("const", value), ("array", item_shape),
# ("object", {name: (required, shape)}), ("union", (shape, ...)) or ("model", module), whose
# module's SHAPE is the model's object shape; the generator writes them from the document.
_KINDS = {
    bool: "boolean",
    str: "string",
    list: "array",
    dict: "object",
    type(None): "null",
}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _kind(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # nan, inf, -inf
    if type(value) is int:
        return "integer"
    return _KINDS.get(
        type(value), "number" if isinstance(value, float) else type(value).__name__
    )


_JSON_TYPES = {
    "number": (int, float),
    "integer": (int,),
    "string": (str,),
    "date-time": (str,),
    "date": (str,),
    "boolean": (bool,),
    "null": (type(None),),
    "array": (list,),
    "object": (dict,),
    "model": (dict,),
}


def _type_name(shape: tuple[Any, ...]) -> str:
    return "object" if shape[0] == "model" else str(shape[0])


def _same_type(shape: tuple[Any, ...], value: Any) -> bool:
    """Whether ``value`` is of the JSON type ``shape`` is about (what it holds aside)."""
    if shape[0] in ("enum", "const"):
        allowed = shape[1] if shape[0] == "enum" else [shape[1]]
        return any(type(value) is type(a) for a in allowed)
    types = _JSON_TYPES.get(shape[0], ())
    return type(value) in types and not (type(value) is bool and bool not in types)


# A checker returns None when the value fits, else (path parts, innermost first; the problem). Paths
# are put together only for a value that does not fit, so a valid body costs no string building.
_Found = tuple[list[str | int], str]
_Checker = Callable[[Any], _Found | None]
_CHECKERS: dict[int, tuple[tuple[Any, ...], _Checker]] = {}


#: Shapes whose values need no more than a type test: the type.
_PLAIN: dict[str, type] = {"string": str, "boolean": bool, "integer": int}


def _checker(shape: tuple[Any, ...]) -> _Checker:
    """The checker for ``shape``, built once per shape (the shapes are module-level constants)."""
    cached = _CHECKERS.get(id(shape))
    if cached is None or cached[0] is not shape:
        cached = _CHECKERS[id(shape)] = (shape, _build(shape))
    return cached[1]


def _build(shape: tuple[Any, ...]) -> _Checker:
    kind = shape[0]
    if kind == "any":
        return lambda value: None
    if kind == "number":

        def number(value: Any) -> _Found | None:
            if type(value) is float:
                return (
                    None
                    if value - value == 0
                    else ([], f"expected a finite number, got {value!r}")
                )
            if type(value) is int:
                return (
                    None
                    if abs(value) < 2**1023
                    else ([], "expected a number, got an integer too large for a float")
                )
            return [], f"expected number, got {_kind(value)}"

        return number
    if kind == "integer":
        return lambda value: (
            None
            if type(value) is int
            else ([], f"expected an integer, got {_kind(value)}")
        )
    if kind in ("string", "date-time", "date"):

        def string(value: Any) -> _Found | None:
            if type(value) is not str:
                return [], f"expected string, got {_kind(value)}"
            if kind == "date-time":
                try:
                    datetime.datetime.fromisoformat(value)
                except ValueError:
                    return [], f"expected an ISO 8601 date-time, got {value[:40]!r}"
            if kind == "date" and not _DATE.fullmatch(value):
                return [], f"expected a date (YYYY-MM-DD), got {value[:40]!r}"
            return None

        return string
    if kind == "boolean":
        return lambda value: (
            None
            if type(value) is bool
            else ([], f"expected boolean, got {_kind(value)}")
        )
    if kind == "null":
        return lambda value: (
            None if value is None else ([], f"expected null, got {_kind(value)}")
        )
    if kind in ("enum", "const"):
        allowed = list(shape[1]) if kind == "enum" else [shape[1]]

        def one_of(value: Any) -> _Found | None:
            if any(type(value) is type(a) and value == a for a in allowed):
                return None
            return [], f"expected one of {allowed!r}, got {value!r}"[:200]

        return one_of
    if kind == "array":
        check = _checker(shape[1])

        def array(value: Any) -> _Found | None:
            if type(value) is not list:
                return [], f"expected array, got {_kind(value)}"
            for index, item in enumerate(value):
                found = check(item)
                if found:
                    found[0].append(index)
                    return found
            return None

        return array
    if kind == "object":
        # A field of a plain type is checked inline (the common case, row after row); others call
        # their checker, which also words the problem when the inline check fails.
        fields = [
            (name, required, _PLAIN.get(field_shape[0]), _checker(field_shape))
            for name, (required, field_shape) in shape[1].items()
        ]
        missing = object()

        def obj(value: Any) -> _Found | None:
            if type(value) is not dict:
                return [], f"expected object, got {_kind(value)}"
            for name, required, plain, check in fields:
                item = value.get(name, missing)
                if item is missing:
                    if required:
                        return [name], "required field missing"
                    continue
                if plain is not None and type(item) is plain:
                    continue
                found = check(item)
                if found:
                    found[0].append(name)
                    return found
            return None

        return obj
    if kind == "model":
        module = shape[1]
        resolved: list[
            _Checker
        ] = []  # the model's checker, built at its first use (models may nest)

        def model(value: Any) -> _Found | None:
            if not resolved:
                resolved.append(_checker(_model_shape(module)))
            return resolved[0](value)

        return model
    if kind == "union":
        options = list(shape[1])
        checks = [_checker(option) for option in options]

        def union(value: Any) -> _Found | None:
            problems = [check(value) for check in checks]
            if not all(problems):
                return None
            # The option for this JSON type says best what is wrong (a string that is no date-time);
            # when none is for this type, the options are listed.
            for option, found in zip(options, problems):
                if _same_type(option, value):
                    return found
            expected = " or ".join(
                dict.fromkeys(_type_name(option) for option in options)
            )
            return [], f"expected {expected}, got {_kind(value)}"

        return union
    raise ValueError(f"unknown shape {kind!r}")


def _path(parts: list[str | int]) -> str:
    """``["total_credits", "data"]`` (innermost first) -> ``data.total_credits``; ``$`` for none."""
    text = ""
    for part in reversed(parts):
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "$"


def validate(response: _Response, shape: tuple[Any, ...]) -> Any:
    """The response's JSON body, checked against ``shape``; raises ResponseValidationError."""
    if not response.content:
        raise ResponseValidationError(
            "$", "not JSON (the body is empty)", response.status_code, response.content
        )
    try:
        body = response.json()
    except (ValueError, RecursionError) as exc:
        problem = (
            f"not JSON ({exc})" if isinstance(exc, json.JSONDecodeError) else "not JSON"
        )
        raise ResponseValidationError(
            "$", problem, response.status_code, response.content
        ) from None
    try:
        found = _checker(shape)(body)
    except RecursionError:
        found = ([], "nested too deeply")
    if found:
        raise ResponseValidationError(
            _path(found[0]), found[1], response.status_code, response.content
        )
    return body


__all__ = ["ResponseValidationError", "UnexpectedStatus", "validate"]
