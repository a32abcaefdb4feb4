from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.internal_server_response import InternalServerResponse
from ...models.list_workspaces_response_200 import ListWorkspacesResponse200
from ...models.unauthorized_response import UnauthorizedResponse
from ...types import UNSET, Response, Unset, as_status


def _get_kwargs(
    *,
    offset: int | None | Unset = 0,
    limit: int | Unset = 50,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_offset: int | None | Unset
    if isinstance(offset, Unset):
        json_offset = UNSET
    else:
        json_offset = offset
    params["offset"] = json_offset

    params["limit"] = limit

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/workspaces",
        "params": params,
    }

    return _kwargs


_RESPONSE_200_SHAPE = ("model", "list_workspaces_response_200")
_RESPONSE_401_SHAPE = ("model", "unauthorized_response")
_RESPONSE_500_SHAPE = ("model", "internal_server_response")


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> InternalServerResponse | ListWorkspacesResponse200 | UnauthorizedResponse | None:
    if response.status_code == 200:
        body = errors.validate(response, _RESPONSE_200_SHAPE)
        response_200 = ListWorkspacesResponse200.from_dict(body)

        return response_200

    if response.status_code == 401:
        try:
            body = errors.validate(response, _RESPONSE_401_SHAPE)
        except errors.ResponseValidationError:
            return None
        response_401 = UnauthorizedResponse.from_dict(body)

        return response_401

    if response.status_code == 500:
        try:
            body = errors.validate(response, _RESPONSE_500_SHAPE)
        except errors.ResponseValidationError:
            return None
        response_500 = InternalServerResponse.from_dict(body)

        return response_500

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[
    InternalServerResponse | ListWorkspacesResponse200 | UnauthorizedResponse
]:
    return Response(
        status_code=as_status(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    offset: int | None | Unset = 0,
    limit: int | Unset = 50,
) -> Response[
    InternalServerResponse | ListWorkspacesResponse200 | UnauthorizedResponse
]:
    """List workspaces

     List all workspaces for the authenticated user. [Management
    key](/docs/guides/overview/auth/management-api-keys) required.

    Args:
        offset (int | None | Unset): Number of records to skip for pagination Default: 0. Example:
            0.
        limit (int | Unset): Maximum number of records to return (max 100) Default: 50. Example:
            50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[InternalServerResponse | ListWorkspacesResponse200 | UnauthorizedResponse]
    """

    kwargs = _get_kwargs(
        offset=offset,
        limit=limit,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    offset: int | None | Unset = 0,
    limit: int | Unset = 50,
) -> InternalServerResponse | ListWorkspacesResponse200 | UnauthorizedResponse | None:
    """List workspaces

     List all workspaces for the authenticated user. [Management
    key](/docs/guides/overview/auth/management-api-keys) required.

    Args:
        offset (int | None | Unset): Number of records to skip for pagination Default: 0. Example:
            0.
        limit (int | Unset): Maximum number of records to return (max 100) Default: 50. Example:
            50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        InternalServerResponse | ListWorkspacesResponse200 | UnauthorizedResponse
    """

    return sync_detailed(
        client=client,
        offset=offset,
        limit=limit,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    offset: int | None | Unset = 0,
    limit: int | Unset = 50,
) -> Response[
    InternalServerResponse | ListWorkspacesResponse200 | UnauthorizedResponse
]:
    """List workspaces

     List all workspaces for the authenticated user. [Management
    key](/docs/guides/overview/auth/management-api-keys) required.

    Args:
        offset (int | None | Unset): Number of records to skip for pagination Default: 0. Example:
            0.
        limit (int | Unset): Maximum number of records to return (max 100) Default: 50. Example:
            50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[InternalServerResponse | ListWorkspacesResponse200 | UnauthorizedResponse]
    """

    kwargs = _get_kwargs(
        offset=offset,
        limit=limit,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    offset: int | None | Unset = 0,
    limit: int | Unset = 50,
) -> InternalServerResponse | ListWorkspacesResponse200 | UnauthorizedResponse | None:
    """List workspaces

     List all workspaces for the authenticated user. [Management
    key](/docs/guides/overview/auth/management-api-keys) required.

    Args:
        offset (int | None | Unset): Number of records to skip for pagination Default: 0. Example:
            0.
        limit (int | Unset): Maximum number of records to return (max 100) Default: 50. Example:
            50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        InternalServerResponse | ListWorkspacesResponse200 | UnauthorizedResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            offset=offset,
            limit=limit,
        )
    ).parsed
