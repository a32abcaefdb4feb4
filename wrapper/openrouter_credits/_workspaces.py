"""The account's workspaces: what ``list_workspaces()`` returns (``Workspace``, the generated
``GET /workspaces`` item, frozen). The plan of the listing is ``_listing``'s, which can start
without the generated model: a document without ``GET /workspaces`` has none.

OpenRouter lists keys one workspace at a time (``GET /keys`` without ``workspace_id`` lists the
default workspace's), so listing every key of an account starts here: ``list_keys()`` reads the
workspaces, then each one's keys (see ``_listing``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

import attrs

from openrouter_credits_client.models.workspace import Workspace as GeneratedWorkspace

from ._api_key import parse_time
from ._frozen import Frozen

__all__ = [
    "Workspace",
    "WorkspacePage",
    "names",
]


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


def names(workspaces: Sequence[Workspace]) -> dict[str, str]:
    """``{id: name}``, the id in its canonical form (``str(uuid)``)."""
    return {str(workspace.id): workspace.name for workspace in workspaces}
