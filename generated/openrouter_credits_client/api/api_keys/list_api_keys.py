from typing import Any
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.bad_request_response import BadRequestResponse
from ...models.internal_server_response import InternalServerResponse
from ...models.list_api_keys_response_200 import ListApiKeysResponse200
from ...models.too_many_requests_response import TooManyRequestsResponse
from ...models.unauthorized_response import UnauthorizedResponse
from ...types import UNSET, Response, Unset, as_status


def _get_kwargs(
    *,
    include_disabled: str | Unset = UNSET,
    offset: int | None | Unset = UNSET,
    workspace_id: UUID | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["include_disabled"] = include_disabled

    json_offset: int | None | Unset
    if isinstance(offset, Unset):
        json_offset = UNSET
    else:
        json_offset = offset
    params["offset"] = json_offset

    json_workspace_id: str | Unset = UNSET
    if not isinstance(workspace_id, Unset):
        json_workspace_id = str(workspace_id)
    params["workspace_id"] = json_workspace_id

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/keys",
        "params": params,
    }

    return _kwargs


_RESPONSE_200_SHAPE = ("model", "list_api_keys_response_200")
_RESPONSE_400_SHAPE = ("model", "bad_request_response")
_RESPONSE_401_SHAPE = ("model", "unauthorized_response")
_RESPONSE_429_SHAPE = ("model", "too_many_requests_response")
_RESPONSE_500_SHAPE = ("model", "internal_server_response")


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> (
    BadRequestResponse
    | InternalServerResponse
    | ListApiKeysResponse200
    | TooManyRequestsResponse
    | UnauthorizedResponse
    | None
):
    if response.status_code == 200:
        body = errors.validate(response, _RESPONSE_200_SHAPE)
        response_200 = ListApiKeysResponse200.from_dict(body)

        return response_200

    if response.status_code == 400:
        try:
            body = errors.validate(response, _RESPONSE_400_SHAPE)
        except errors.ResponseValidationError:
            return None
        response_400 = BadRequestResponse.from_dict(body)

        return response_400

    if response.status_code == 401:
        try:
            body = errors.validate(response, _RESPONSE_401_SHAPE)
        except errors.ResponseValidationError:
            return None
        response_401 = UnauthorizedResponse.from_dict(body)

        return response_401

    if response.status_code == 429:
        try:
            body = errors.validate(response, _RESPONSE_429_SHAPE)
        except errors.ResponseValidationError:
            return None
        response_429 = TooManyRequestsResponse.from_dict(body)

        return response_429

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
    BadRequestResponse
    | InternalServerResponse
    | ListApiKeysResponse200
    | TooManyRequestsResponse
    | UnauthorizedResponse
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
    include_disabled: str | Unset = UNSET,
    offset: int | None | Unset = UNSET,
    workspace_id: UUID | Unset = UNSET,
) -> Response[
    BadRequestResponse
    | InternalServerResponse
    | ListApiKeysResponse200
    | TooManyRequestsResponse
    | UnauthorizedResponse
]:
    """List API keys

     List all API keys for the authenticated user. [Management
    key](/docs/guides/overview/auth/management-api-keys) required.

    Args:
        include_disabled (str | Unset): Whether to include disabled API keys in the response
            Example: false.
        offset (int | None | Unset): Number of API keys to skip for pagination Example: 0.
        workspace_id (UUID | Unset): Filter API keys by workspace ID. By default, keys in the
            default workspace are returned. Example: 0df9e665-d932-5740-b2c7-b52af166bc11.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BadRequestResponse | InternalServerResponse | ListApiKeysResponse200 | TooManyRequestsResponse | UnauthorizedResponse]
    """

    kwargs = _get_kwargs(
        include_disabled=include_disabled,
        offset=offset,
        workspace_id=workspace_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    include_disabled: str | Unset = UNSET,
    offset: int | None | Unset = UNSET,
    workspace_id: UUID | Unset = UNSET,
) -> (
    BadRequestResponse
    | InternalServerResponse
    | ListApiKeysResponse200
    | TooManyRequestsResponse
    | UnauthorizedResponse
    | None
):
    """List API keys

     List all API keys for the authenticated user. [Management
    key](/docs/guides/overview/auth/management-api-keys) required.

    Args:
        include_disabled (str | Unset): Whether to include disabled API keys in the response
            Example: false.
        offset (int | None | Unset): Number of API keys to skip for pagination Example: 0.
        workspace_id (UUID | Unset): Filter API keys by workspace ID. By default, keys in the
            default workspace are returned. Example: 0df9e665-d932-5740-b2c7-b52af166bc11.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BadRequestResponse | InternalServerResponse | ListApiKeysResponse200 | TooManyRequestsResponse | UnauthorizedResponse
    """

    return sync_detailed(
        client=client,
        include_disabled=include_disabled,
        offset=offset,
        workspace_id=workspace_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    include_disabled: str | Unset = UNSET,
    offset: int | None | Unset = UNSET,
    workspace_id: UUID | Unset = UNSET,
) -> Response[
    BadRequestResponse
    | InternalServerResponse
    | ListApiKeysResponse200
    | TooManyRequestsResponse
    | UnauthorizedResponse
]:
    """List API keys

     List all API keys for the authenticated user. [Management
    key](/docs/guides/overview/auth/management-api-keys) required.

    Args:
        include_disabled (str | Unset): Whether to include disabled API keys in the response
            Example: false.
        offset (int | None | Unset): Number of API keys to skip for pagination Example: 0.
        workspace_id (UUID | Unset): Filter API keys by workspace ID. By default, keys in the
            default workspace are returned. Example: 0df9e665-d932-5740-b2c7-b52af166bc11.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BadRequestResponse | InternalServerResponse | ListApiKeysResponse200 | TooManyRequestsResponse | UnauthorizedResponse]
    """

    kwargs = _get_kwargs(
        include_disabled=include_disabled,
        offset=offset,
        workspace_id=workspace_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    include_disabled: str | Unset = UNSET,
    offset: int | None | Unset = UNSET,
    workspace_id: UUID | Unset = UNSET,
) -> (
    BadRequestResponse
    | InternalServerResponse
    | ListApiKeysResponse200
    | TooManyRequestsResponse
    | UnauthorizedResponse
    | None
):
    """List API keys

     List all API keys for the authenticated user. [Management
    key](/docs/guides/overview/auth/management-api-keys) required.

    Args:
        include_disabled (str | Unset): Whether to include disabled API keys in the response
            Example: false.
        offset (int | None | Unset): Number of API keys to skip for pagination Example: 0.
        workspace_id (UUID | Unset): Filter API keys by workspace ID. By default, keys in the
            default workspace are returned. Example: 0df9e665-d932-5740-b2c7-b52af166bc11.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BadRequestResponse | InternalServerResponse | ListApiKeysResponse200 | TooManyRequestsResponse | UnauthorizedResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            include_disabled=include_disabled,
            offset=offset,
            workspace_id=workspace_id,
        )
    ).parsed
