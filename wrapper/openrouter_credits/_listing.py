"""Every key of the account: what ``list_keys()`` returns (``KeyListing``), and its plan (``_plan``),
decided here once for both clients.

OpenRouter lists keys one workspace at a time, by offset, in pages of 100: ``GET /keys`` without
``workspace_id`` lists the default workspace's. So the listing reads the workspaces
(``GET /workspaces``) beside the default workspace's first page; then every other workspace's first
page beside the default's next pages; each workspace's listing, after a full first page, goes on ten
pages at once, batch after batch, while they all come back full and add keys. The workspaces go
breadth first: one round trip serves them all. A refused ``GET /workspaces`` leaves the default
workspace's keys, and a listing that says so; a page that fails fails the listing; the client's
deadline bounds the whole of it.

Pure: the plan does no I/O (the clients' drivers do it).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from . import _defaults
from ._exceptions import (
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    OpenRouterCreditsError,
    OperationUnavailable,
    PermissionDeniedError,
    ResponseValidationError,
    UnexpectedStatusError,
    restated,
    term,
)
from ._plan import Plan, Request, together

if TYPE_CHECKING:
    from ._api_key import ApiKey
    from ._workspaces import Workspace, WorkspacePage

__all__ = [
    "KEYS_MAX_PAGES",
    "KEYS_PAGES_AT_ONCE",
    "KEYS_PAGE_SIZE",
    "WORKSPACES_MAX_PAGES",
    "WORKSPACES_PAGE_SIZE",
    "KeyListing",
    "assembled",
    "default_workspace",
    "key_listing",
    "merge_pages",
    "merge_workspaces",
    "more_pages",
    "named",
    "page_params",
    "refused_listing",
    "workspace_listing",
    "workspace_page_params",
    "workspace_refusal",
    "workspace_uuid",
    "workspaces_to_list",
]

#: ``GET /keys`` answers pages of this many keys (by ``offset``): a page this full may have a next one.
KEYS_PAGE_SIZE: Final = 100
#: Once the first page is full, ``list_keys()`` asks for this many pages at once, batch after batch
#: while they all come back full: 1,000 keys take two round trips.
KEYS_PAGES_AT_ONCE: Final = 10
#: ``list_keys()`` reads no more pages than this (100,000 keys): a listing still going on after them
#: fails (a ``ResponseValidationError``), never passed off as whole, never read for ever.
KEYS_MAX_PAGES: Final = 1000

Page = tuple["ApiKey", ...]


class KeyListing(list["ApiKey"]):
    """What ``list_keys()`` returns: a list of ``ApiKey``s that says how whole it is.

    ``complete`` is True when the listing is what was asked for (every workspace's keys, or the one
    workspace named); False when ``GET /workspaces`` was refused or is not in the API document in
    use, so that only the default workspace's keys could be listed (``GET /keys`` without
    ``workspace_id``): ``workspaces_note`` then says why, never a partial count passed off as the
    account's. ``workspaces`` is the account's workspaces when they could be read (else None), and
    ``default_workspace_id`` the default one's id, when the listing could tell it."""

    complete: bool
    workspaces_note: str | None
    workspaces: tuple[Workspace, ...] | None
    default_workspace_id: str | None

    def __init__(
        self,
        keys: Iterable[ApiKey] = (),
        *,
        complete: bool = True,
        workspaces_note: str | None = None,
        workspaces: Iterable[Workspace] | None = None,
        default_workspace_id: str | None = None,
    ) -> None:
        super().__init__(keys)
        self.complete = complete
        self.workspaces_note = workspaces_note
        self.workspaces = None if workspaces is None else tuple(workspaces)
        self.default_workspace_id = default_workspace_id

    def __repr__(self) -> str:
        extra = "" if self.complete else f", complete=False, workspaces_note={self.workspaces_note!r}"
        return f"KeyListing({super().__repr__()}{extra})"


def key_listing(
    workspace_id: object, *, include_disabled: bool, deadline: float, url: str, workspaces_url: str
) -> Plan[KeyListing]:
    """The plan of ``list_keys()`` (``url`` and ``workspaces_url``: the listings' of keys and of
    workspaces, for messages; ``deadline``: the one the driver bounds it by, for the message when it
    runs out). ``workspace_id`` is checked now, before any I/O (a ConfigurationError)."""
    return _KeyListing(include_disabled, url, workspaces_url).plan(workspace_uuid(workspace_id), deadline)


class _KeyListing:
    """One listing's plan: its options, and the pages read so far (the deadline's message says them)."""

    def __init__(self, include_disabled: bool, url: str, workspaces_url: str) -> None:
        self.include_disabled = include_disabled
        self.url = url
        self.workspaces_url = workspaces_url
        self.read = 0

    def plan(self, workspace: uuid.UUID | None, deadline: float) -> Plan[KeyListing]:
        include_disabled = self.include_disabled
        try:
            first, found = yield from together(
                [self.first_page(workspace), _workspaces_or_refusal(self.workspaces_url)]
            )
            workspaces, reason = (None, found) if isinstance(found, str) else (found, None)
            if workspace is not None or workspaces is None:
                pages = yield from self.pages(workspace, first)
                return assembled(
                    pages,
                    include_disabled=include_disabled,
                    workspaces=workspaces,
                    refusal=reason if workspace is None else None,
                    default_keys=first if workspace is None else (),
                )
            others = workspaces_to_list(workspaces, first)
            lists = yield from together([self.pages(None, first), *(self.pages(w, None) for w in others)])
        except TimeoutError:
            raise listing_timeout(deadline, self.read, self.url) from None
        pages = [page for listing in lists for page in listing]
        return assembled(pages, include_disabled=include_disabled, workspaces=workspaces, default_keys=first)

    def first_page(self, workspace: uuid.UUID | None) -> Plan[Page]:
        """The first page of a workspace's keys (the default one's for None)."""
        (outcome,) = yield [self.page(workspace, 0)]
        return self.keys(outcome)

    def pages(self, workspace: uuid.UUID | None, first: Page | None) -> Plan[list[Page]]:
        """The pages of one workspace's keys (the default one's for None), ``first`` when read already:
        after a full page, ``KEYS_PAGES_AT_ONCE`` at once, batch after batch while they come back full
        and add keys (``more_pages``)."""
        if first is None:
            first = yield from self.first_page(workspace)
        seen: set[str] = set()
        pages = [first]
        more = more_pages(pages, seen, len(pages), self.url)
        offset = KEYS_PAGE_SIZE
        while more:
            offsets = range(offset, offset + KEYS_PAGES_AT_ONCE * KEYS_PAGE_SIZE, KEYS_PAGE_SIZE)
            outcomes = yield [self.page(workspace, at) for at in offsets]
            batch = [self.keys(outcome) for outcome in outcomes]
            pages += batch
            more = more_pages(batch, seen, len(pages), self.url)
            offset = offsets[-1] + KEYS_PAGE_SIZE
        return pages

    def page(self, workspace: uuid.UUID | None, offset: int) -> Request:
        return Request("keys", page_params(offset, include_disabled=self.include_disabled, workspace_id=workspace))

    def keys(self, outcome: object) -> Page:
        """A page's keys, or what its call raised, raised (a 401 in the listing's words: ``refused_listing``)."""
        if isinstance(outcome, AuthenticationError):  # a key of the wrong kind, or not accepted at all
            raise refused_listing(outcome) from None
        if isinstance(outcome, BaseException):
            raise outcome
        self.read += 1
        return outcome  # type: ignore[return-value]


def _workspaces_or_refusal(url: str) -> Plan[list[Workspace] | str]:
    """The account's workspaces, or why only the default workspace's keys can be listed (a refusal,
    an operation the document lacks: ``workspace_refusal``); another failure raised."""
    try:
        return (yield from workspace_listing(url))
    except OpenRouterCreditsError as error:
        reason = workspace_refusal(error)
        if reason is None:
            raise
        return reason


def listing_timeout(deadline: float, pages: int, url: str) -> APITimeoutError:
    """``list_keys()`` ran out of the client's deadline, which bounds the whole listing."""
    return APITimeoutError(
        f"Listing the keys ran out of its {deadline:g} s deadline after {pages:,} page{'' if pages == 1 else 's'} "
        "of keys. "
        f"Check the network, or raise {term('deadline')}.",
        url=url,
    )


#: What ``GET /workspaces`` answers an account without workspaces (the document declares neither).
_REFUSED_STATUSES = frozenset({403, 404})


def workspace_refusal(error: BaseException) -> str | None:
    """Why only the default workspace's keys can be listed, when ``error`` (what ``GET /workspaces``
    raised) means the account or the API document has no workspaces to list; None for another
    failure, which fails the listing."""
    if isinstance(error, OperationUnavailable):
        return error.reason
    if isinstance(error, PermissionDeniedError | UnexpectedStatusError) and error.status_code in _REFUSED_STATUSES:
        said = f": {error.message}" if error.message else ""
        return f"GET /workspaces was refused (HTTP {error.status_code}{said})"
    return None


def workspaces_to_list(workspaces: Sequence[Workspace], default_keys: Sequence[ApiKey]) -> list[uuid.UUID]:
    """The ids of the workspaces whose keys ``GET /keys?workspace_id=`` must list: all but the one
    the default listing (``default_keys``, its first page) shows to be the default workspace. When
    that listing cannot tell (no keys, or keys without a workspace), every workspace is listed."""
    default = default_workspace(default_keys)
    return [workspace.id for workspace in workspaces if str(workspace.id) != default]


def default_workspace(default_keys: Sequence[ApiKey]) -> str | None:
    """The default workspace's id, as the default listing's keys show it (None when they do not)."""
    from ._api_key import workspace_of

    seen = {workspace_of(key) for key in default_keys}
    return next(iter(seen)) if len(seen) == 1 else None


def named(keys: Iterable[ApiKey], names: Mapping[str, str]) -> list[ApiKey]:
    """The keys, each with its workspace's name (None for a workspace not in ``names``)."""
    from ._api_key import workspace_of

    return [key.in_workspace(names.get(workspace_of(key) or "")) for key in keys]


def assembled(
    pages: Iterable[Sequence[ApiKey]],
    *,
    include_disabled: bool,
    workspaces: Sequence[Workspace] | None,
    refusal: str | None = None,
    default_keys: Sequence[ApiKey] = (),
) -> KeyListing:
    """The listing of the pages read: each key once, with its workspace's name when the workspaces
    were read; incomplete, saying why, when ``refusal`` (see ``workspace_refusal``) left only the
    default workspace's keys to list."""
    keys = merge_pages(pages, include_disabled=include_disabled)
    if workspaces is not None:
        names = {str(workspace.id): workspace.name for workspace in workspaces}
        keys = named(keys, names)
    return KeyListing(
        keys,
        complete=refusal is None,
        workspaces_note=refusal,
        workspaces=workspaces,
        default_workspace_id=default_workspace(default_keys),
    )


def merge_pages(pages: Iterable[Sequence[ApiKey]], *, include_disabled: bool) -> list[ApiKey]:
    """The keys of the pages in order, each ``hash_`` once (a key that moved between pages while they
    were read is kept where first seen); disabled keys only when ``include_disabled``."""
    seen: set[str] = set()
    keys: list[ApiKey] = []
    for page in pages:
        for key in page:
            if key.hash_ in seen or (key.disabled and not include_disabled):
                continue
            seen.add(key.hash_)
            keys.append(key)
    return keys


def more_pages(batch: Sequence[Sequence[ApiKey]], seen: set[str], read: int, url: str) -> bool:
    """Whether the listing goes on after ``batch`` (the pages just read; ``read`` pages in all): only
    while each of its pages came back full and listed a key not listed before (``seen``, the hashes
    so far, which this adds to): a listing that gives the same keys at every offset ends there.
    Raises ``ResponseValidationError`` (``url``: the listing's) past ``KEYS_MAX_PAGES``."""
    for page in batch:
        new = {key.hash_ for key in page} - seen
        seen |= new
        if len(page) < KEYS_PAGE_SIZE or not new:
            return False
    if read >= KEYS_MAX_PAGES:
        raise ResponseValidationError(
            f"OpenRouter listed keys on {read:,} full pages ({read * KEYS_PAGE_SIZE:,} keys) and more, past the "
            f"{KEYS_MAX_PAGES:,} pages list_keys() reads: the listing is not complete.",
            status_code=200,
            body="",
            request_id=None,
            url=url,
        )
    return True


def workspace_uuid(workspace_id: object) -> uuid.UUID | None:
    """``workspace_id`` as the UUID the endpoint takes; raises ConfigurationError, before any I/O,
    for something that is not one."""
    if workspace_id is None or isinstance(workspace_id, uuid.UUID):
        return workspace_id
    try:
        return uuid.UUID(str(workspace_id))
    except ValueError:
        raise ConfigurationError(
            f"{term('workspace_id')} must be a workspace's UUID, not {str(workspace_id)[:64]!r}."
        ) from None


def page_params(offset: int, *, include_disabled: bool, workspace_id: Any) -> dict[str, Any]:
    """The query parameters of the page at ``offset`` (the generated endpoint's keywords)."""
    params: dict[str, Any] = {}
    if offset:
        params["offset"] = offset
    if include_disabled:
        params["include_disabled"] = "true"
    if workspace_id is not None:
        params["workspace_id"] = workspace_id
    return params


def refused_listing(error: APIStatusError, doing: str = "list the account's keys") -> APIStatusError:
    """What a 401 to ``GET /keys`` (or ``GET`` and ``PATCH /keys/{hash}``: ``doing`` says which) means.
    OpenRouter refuses a key that is not a management key with a 401 there (the 403 of ``/credits``
    and ``/activity`` is not in those operations' document), saying the operation is for management
    keys: the key is fine, of the wrong kind, and that is a ``PermissionDeniedError`` saying which
    kind it needs and where to create one. Any other 401 (a key unknown, revoked, expired) is the
    ``AuthenticationError`` it was. A 403 (``PermissionDeniedError``) is said in the same words."""
    said = error.message.lower()
    if not isinstance(error, PermissionDeniedError) and "management" not in said and "provisioning" not in said:
        return error
    description = (
        f"This key may not {doing} (HTTP {error.status_code}: {error.message}). That needs "
        f"a management (provisioning) key; create one at {_defaults.MANAGEMENT_KEYS_URL}."
    )
    return restated(error, PermissionDeniedError, description)


#: ``GET /workspaces`` answers at most this many workspaces a page (``limit``, whose default is 50).
WORKSPACES_PAGE_SIZE: Final = 100


def workspace_page_params(offset: int) -> dict[str, Any]:
    """The query parameters of the page at ``offset`` (the generated endpoint's keywords)."""
    params: dict[str, Any] = {"limit": WORKSPACES_PAGE_SIZE}
    if offset:
        params["offset"] = offset
    return params


#: ``list_workspaces()`` reads no more pages than this (10,000 workspaces): a listing still going on
#: after them fails (a ``ResponseValidationError``), never read for ever.
WORKSPACES_MAX_PAGES: Final = 100


def workspace_listing(url: str) -> Plan[list[Workspace]]:
    """The plan of ``list_workspaces()`` (``url``: the listing's, for messages): the pages one after
    another (``limit`` 100) while they come back full and list a workspace not listed before (a
    server that gives the same page at every offset ends there), each workspace once; a page that
    fails fails the listing (its error raised); past ``WORKSPACES_MAX_PAGES`` full pages, a
    ``ResponseValidationError``."""
    pages: list[WorkspacePage] = []
    seen: set[uuid.UUID] = set()
    while True:
        (outcome,) = yield [Request("workspaces", workspace_page_params(len(pages) * WORKSPACES_PAGE_SIZE))]
        if isinstance(outcome, BaseException):
            raise outcome
        page: WorkspacePage = outcome  # type: ignore[assignment]
        pages.append(page)
        new = {workspace.id for workspace in page.workspaces} - seen
        seen |= new
        if len(page.workspaces) < WORKSPACES_PAGE_SIZE or not new:
            return merge_workspaces(pages)
        if len(pages) >= WORKSPACES_MAX_PAGES:
            raise ResponseValidationError(
                f"OpenRouter listed workspaces on {len(pages):,} full pages and more, past the "
                f"{WORKSPACES_MAX_PAGES:,} pages list_workspaces() reads: the listing is not complete.",
                status_code=200,
                body="",
                request_id=None,
                url=url,
            )


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
