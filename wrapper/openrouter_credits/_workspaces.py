"""The account's workspaces: what ``list_workspaces()`` returns (``Workspace``, the generated
``GET /workspaces`` item, frozen) and the plan of the listing (``_plan``): page after page.

OpenRouter lists keys one workspace at a time (``GET /keys`` without ``workspace_id`` lists the
default workspace's), so listing every key of an account starts here: ``list_keys()`` reads the
workspaces, then each one's keys (see ``_listing``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import Any, Final, NamedTuple

import attrs

from openrouter_credits_client.models.workspace import Workspace as GeneratedWorkspace

from ._api_key import parse_time
from ._frozen import Frozen
from ._plan import Plan, Request

__all__ = [
    "WORKSPACES_PAGE_SIZE",
    "Workspace",
    "WorkspacePage",
    "merge_workspaces",
    "names",
    "workspace_listing",
    "workspace_page_params",
]

#: ``GET /workspaces`` answers at most this many workspaces a page (``limit``, whose default is 50).
WORKSPACES_PAGE_SIZE: Final = 100


@attrs.frozen(repr=False, eq=True, hash=False)
class Workspace(Frozen, GeneratedWorkspace):
    """One workspace of the account as ``GET /workspaces`` lists it: ``id`` (a UUID, what
    ``list_keys(workspace_id=...)`` and analytics filters take), ``name``, ``slug``, ``description``,
    ``created_at`` (the document's string; ``created`` parses it), ... Every field of the API
    document's workspace is an attribute; immutable. The document does not say which workspace is
    the default one: ``list_keys()`` tells it (``KeyListing.default_workspace_id``) when it can."""

    __hash__ = Frozen.__hash__  # type: ignore[assignment]  # the generated base is unhashable

    @property
    def created(self) -> dt.datetime | None:
        """When the workspace was created (aware UTC), None when the answer did not say it readably."""
        return parse_time(self.created_at)


class WorkspacePage(NamedTuple):
    """One page of ``GET /workspaces``: its workspaces, and how many the account has in all."""

    workspaces: tuple[Workspace, ...]
    total_count: int


def workspace_page_params(offset: int) -> dict[str, Any]:
    """The query parameters of the page at ``offset`` (the generated endpoint's keywords)."""
    params: dict[str, Any] = {"limit": WORKSPACES_PAGE_SIZE}
    if offset:
        params["offset"] = offset
    return params


def workspace_listing() -> Plan[list[Workspace]]:
    """The plan of ``list_workspaces()``: the pages one after another (``limit`` 100) while they come
    back full, each workspace once; a page that fails fails the listing (its error raised)."""
    pages: list[WorkspacePage] = []
    while not pages or len(pages[-1].workspaces) >= WORKSPACES_PAGE_SIZE:
        (outcome,) = yield [Request("workspaces", workspace_page_params(len(pages) * WORKSPACES_PAGE_SIZE))]
        if isinstance(outcome, BaseException):
            raise outcome
        pages.append(outcome)  # type: ignore[arg-type]
    return merge_workspaces(pages)


def merge_workspaces(pages: Iterable[WorkspacePage]) -> list[Workspace]:
    """The workspaces of the pages in order, each ``id`` once."""
    seen: set[uuid.UUID] = set()
    out: list[Workspace] = []
    for page in pages:
        for workspace in page.workspaces:
            if workspace.id not in seen:
                seen.add(workspace.id)
                out.append(workspace)
    return out


def names(workspaces: Sequence[Workspace]) -> dict[str, str]:
    """``{id: name}``, the id in its canonical form (``str(uuid)``)."""
    return {str(workspace.id): workspace.name for workspace in workspaces}
