"""Contains shared errors types that can be raised from API functions"""

import datetime
import importlib
import json
import math
import re
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


def _join(path: str, name: str) -> str:
    return name if path == "$" else f"{path}.{name}"


def _problem(value: Any, shape: tuple[Any, ...], path: str) -> tuple[str, str] | None:
    """``(path, problem)`` for the first place ``value`` does not fit ``shape``, or None."""
    kind = shape[0]
    if kind == "any":
        return None
    if kind == "number" or kind == "integer":
        if type(value) is float and kind == "number":
            return (
                None
                if math.isfinite(value)
                else (path, f"expected a finite number, got {value!r}")
            )
        if type(value) is int:
            if kind == "integer" or abs(value) < 2**1023:
                return None
            return path, "expected a number, got an integer too large for a float"
        return (
            path,
            f"expected {'an integer' if kind == 'integer' else 'number'}, got {_kind(value)}",
        )
    if kind == "string" or kind == "date-time" or kind == "date":
        if type(value) is not str:
            return path, f"expected string, got {_kind(value)}"
        if kind == "date-time":
            try:
                datetime.datetime.fromisoformat(value)
            except ValueError:
                return path, f"expected an ISO 8601 date-time, got {value[:40]!r}"
        if kind == "date" and not _DATE.fullmatch(value):
            return path, f"expected a date (YYYY-MM-DD), got {value[:40]!r}"
        return None
    if kind == "boolean":
        return (
            None
            if type(value) is bool
            else (path, f"expected boolean, got {_kind(value)}")
        )
    if kind == "null":
        return None if value is None else (path, f"expected null, got {_kind(value)}")
    if kind == "enum" or kind == "const":
        allowed = shape[1] if kind == "enum" else [shape[1]]
        if any(type(value) is type(a) and value == a for a in allowed):
            return None
        return path, f"expected one of {allowed!r}, got {value!r}"[:200]
    if kind == "array":
        if type(value) is not list:
            return path, f"expected array, got {_kind(value)}"
        for index, item in enumerate(value):
            found = _problem(item, shape[1], f"{path}[{index}]")
            if found:
                return found
        return None
    if kind == "object":
        if type(value) is not dict:
            return path, f"expected object, got {_kind(value)}"
        for name, (required, field_shape) in shape[1].items():
            if name in value:
                found = _problem(value[name], field_shape, _join(path, name))
                if found:
                    return found
            elif required:
                return _join(path, name), "required field missing"
        return None
    if kind == "model":
        return _problem(value, _model_shape(shape[1]), path)
    if kind == "union":
        problems = [_problem(value, option, path) for option in shape[1]]
        if not all(problems):
            return None
        # The option for this JSON type says best what is wrong (a string that is no date-time);
        # when none is for this type, the options are listed.
        for option, found in zip(shape[1], problems):
            if _same_type(option, value):
                return found
        expected = " or ".join(dict.fromkeys(_type_name(option) for option in shape[1]))
        return path, f"expected {expected}, got {_kind(value)}"
    raise ValueError(f"unknown shape {kind!r}")


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
        found = _problem(body, shape, "$")
    except RecursionError:
        found = ("$", "nested too deeply")
    if found:
        raise ResponseValidationError(
            found[0], found[1], response.status_code, response.content
        )
    return body


__all__ = ["ResponseValidationError", "UnexpectedStatus", "validate"]
