"""The mock's control API under ``/_mock/`` (loopback clients only): the scenario changed over HTTP,
for tests in another process and for people trying the command by hand."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs

from .._settings import is_loopback
from ._answers import JSON_TYPE, Answers, Receive, Scope, error_body
from ._records import key_label

__all__ = ["CONTROL_PREFIX", "Controlled"]

CONTROL_PREFIX = "/_mock/"


class Controlled(Answers):
    """The mock with its control endpoint."""

    async def _control(self, scope: Scope, receive: Receive) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        client = scope.get("client")
        if client is not None and not is_loopback(str(client[0])):
            return 403, JSON_TYPE, error_body(403, "The control endpoint answers loopback clients only")
        action = scope["path"][len(CONTROL_PREFIX) :].strip("/")
        method = scope["method"]
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > 8 << 20:  # room for a heavy month of activity rows
                return 413, JSON_TYPE, error_body(413, "Request body too large")
            if not message.get("more_body"):
                break
        actions = (
            "balance",
            "key",
            "keys",
            "workspaces",
            "budgets",
            "activity",
            "history",
            "faults",
            "latency",
            "options",
            "reset",
        )
        try:
            args = json.loads(body) if body else {}
            if not isinstance(args, dict):
                raise TypeError("the body must be a JSON object")
            if method == "GET" and action == "state":
                return 200, JSON_TYPE, json.dumps(self._snapshot()).encode()
            if method != "POST" or action not in actions:
                return 404, JSON_TYPE, error_body(404, f"No control action {method} {scope['path']}")
            self._act(action, args)
        except (TypeError, ValueError) as exc:
            return 400, JSON_TYPE, error_body(400, f"Bad control request: {exc}.")
        return 200, JSON_TYPE, json.dumps(self._snapshot()).encode()

    def _act(self, action: str, args: Mapping[str, Any]) -> None:
        key = _field(args, "key", str, None)
        if action == "balance":
            self.set_balance(key, total_credits=args.get("total_credits"), total_usage=args.get("total_usage"))
        elif action == "key":
            self.set_key(key, **{k: v for k, v in args.items() if k != "key"})
        elif action == "budgets":
            unknown = sorted(set(args) - {"key", "guardrail", "workspace"})
            if unknown:
                raise ValueError(f"there is no budget {unknown[0]!r}; the budgets are guardrail and workspace")
            for name in ("guardrail", "workspace"):
                value = args.get(name)
                if value is not None and (isinstance(value, bool) or not isinstance(value, int | float | dict)):
                    raise ValueError(f"{name} must be a number, an object or null, not {value!r}")
            self.set_budgets(key, guardrail=args.get("guardrail"), workspace=args.get("workspace"))
        elif action == "keys":
            if "keys" in args:
                if not isinstance(args["keys"], list):
                    raise ValueError("keys must be a list of keys, each with at least a name")
                self.set_keys(args["keys"])
            if "add" in args:
                self.add_keys(_field(args, "add", int))
            if "keys" not in args and "add" not in args:
                raise ValueError('give keys (a list) or add (a count), as {"add": 1000}')
        elif action == "workspaces":
            if "workspaces" in args:
                if not isinstance(args["workspaces"], list):
                    raise ValueError("workspaces must be a list of workspaces, each a name or an object with a name")
                self.set_workspaces(args["workspaces"])
            if "add" in args:
                added = args["add"]
                if not isinstance(added, dict) or not isinstance(added.get("name"), str):
                    raise ValueError('add must be a workspace such as {"name": "Research", "keys": 40}')
                unknown = sorted(set(added) - {"name", "keys", "id", "slug"})
                if unknown:
                    raise ValueError(f"a workspace has no field {unknown[0]!r}; its fields are id, keys, name, slug")
                self.add_workspace(
                    added["name"],
                    keys=_field(added, "keys", int, 0),
                    workspace_id=_field(added, "id", str, None),
                    slug=_field(added, "slug", str, None),
                )
            if "workspaces" not in args and "add" not in args:
                raise ValueError(
                    'give workspaces (a list) or add (a workspace), as {"add": {"name": "Research", "keys": 40}}'
                )
        elif action in ("activity", "history"):
            if "rows" in args and "daily" in args:
                raise ValueError("give rows or daily, not both")
            if "rows" in args:
                spec = args["rows"]
                if not isinstance(spec, list):
                    raise ValueError(f"rows must be a list of {action} rows")
            else:
                spec = args.get("daily")
                if spec is not None and not isinstance(spec, dict):
                    raise ValueError('daily must be an object such as {"2026-11-20": 1.5}')
            if action == "activity":
                self.set_activity(spec, key)
            else:
                self.set_history(spec, key)
        elif action == "faults":
            self.inject(
                _field(args, "kind", str),
                count=_field(args, "count", int, 1),
                status=_field(args, "status", int, None),
                retry_after=_field(args, "retry_after", float, None),
                rate_limit_reset=_field(args, "rate_limit_reset", float, None),
                endpoint=_field(args, "endpoint", str, "credits"),
            )
        elif action == "latency":
            self.latency = _field(args, "seconds", float)
        elif action == "options":
            self._options(args)
        else:
            self.reset()

    def _options(self, args: Mapping[str, Any]) -> None:
        options = (
            "zero_credits_for_ordinary_keys",
            "activity_date_format",
            "analytics_date_format",
            "analytics_rate_limit",
            "refuse_workspaces",
            "analytics_dimensions",
        )
        unknown = sorted(set(args) - set(options))
        if unknown or not args:
            named = f"there is no option {unknown[0]!r}" if unknown else "no option given"
            raise ValueError(f"{named}; the options are {', '.join(options)}")
        zero = args.get("zero_credits_for_ordinary_keys", self.zero_credits_for_ordinary_keys)
        if not isinstance(zero, bool):
            raise ValueError("zero_credits_for_ordinary_keys must be true or false")
        if "activity_date_format" in args:
            self.set_activity_date_format(args["activity_date_format"])
        if "analytics_date_format" in args:
            self.set_analytics_date_format(args["analytics_date_format"])
        if "analytics_rate_limit" in args:
            self.set_analytics_rate_limit(args["analytics_rate_limit"])
        if "refuse_workspaces" in args:
            self.set_refuse_workspaces(args["refuse_workspaces"])
        if "analytics_dimensions" in args:
            self.set_analytics_dimensions(args["analytics_dimensions"])
        self.zero_credits_for_ordinary_keys = zero

    def _snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "balances": {key_label(k): attrs.asdict(b) for k, b in self._accounts.items()},
                "keys": {
                    key_label(k): {
                        "management": v.management,
                        "limit": v.limit,
                        "usage": v.usage,
                        # a key's budgets, when it has any (POST /_mock/budgets)
                        **{
                            name: attrs.asdict(b)
                            for name, b in (("guardrail", v.guardrail), ("workspace", v.workspace))
                            if b
                        },
                    }
                    for k, v in self._keys.items()
                },
                "listed_keys": len(self._listing_now()),
                "workspaces": [{"id": w["id"], "name": w["name"], "slug": w["slug"]} for w in self._workspaces],
                "activity_rows": {
                    key_label(k): None if rows is None else len(rows) for k, rows in self._activity.items()
                },
                "history_rows": {
                    key_label(k): None if rows is None else len(rows) for k, rows in self._history.items()
                },
                "pending_faults": [
                    {"endpoint": endpoint, **attrs.asdict(fault)}
                    for endpoint, faults in self._faults.items()
                    for fault in faults
                ],
                "latency": self._latency,
                "zero_credits_for_ordinary_keys": self.zero_credits_for_ordinary_keys,
                "activity_date_format": self.activity_date_format,
                "analytics_date_format": self.analytics_date_format,
                "analytics_rate_limit": self.analytics_rate_limit,
                "refuse_workspaces": self.refuse_workspaces,
                "analytics_dimensions": None if self.analytics_dimensions is None else list(self.analytics_dimensions),
                "requests": len(self.requests),
            }


_MISSING: Any = object()


def _field(args: Mapping[str, Any], name: str, kind: type, default: Any = _MISSING) -> Any:
    """``args[name]`` as a ``kind`` (an int is a float too; a bool is neither), or ``default``."""
    if name not in args or args[name] is None:
        if default is _MISSING:
            raise ValueError(f"the field {name!r} is required")
        return default
    value = args[name]
    number = kind in (int, float) and isinstance(value, int | float) and not isinstance(value, bool)
    if not (number and (kind is float or isinstance(value, int))) and not (kind is str and isinstance(value, str)):
        raise ValueError(f"the field {name!r} must be {'a string' if kind is str else 'a number'}, not {value!r}")
    return kind(value)
