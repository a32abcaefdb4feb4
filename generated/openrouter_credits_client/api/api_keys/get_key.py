from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.get_key_response_200 import GetKeyResponse200
from ...models.internal_server_response import InternalServerResponse
from ...models.not_found_response import NotFoundResponse
from ...models.too_many_requests_response import TooManyRequestsResponse
from ...models.unauthorized_response import UnauthorizedResponse
from ...types import Response, as_status


def _get_kwargs(
    hash_: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/keys/{hash_}".format(
            hash_=quote(str(hash_), safe=""),
        ),
    }

    return _kwargs


_RESPONSE_200_SHAPE = ("model", "get_key_response_200")
_RESPONSE_401_SHAPE = ("model", "unauthorized_response")
_RESPONSE_404_SHAPE = ("model", "not_found_response")
_RESPONSE_429_SHAPE = ("model", "too_many_requests_response")
_RESPONSE_500_SHAPE = ("model", "internal_server_response")


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> (
    GetKeyResponse200
    | InternalServerResponse
    | NotFoundResponse
    | TooManyRequestsResponse
    | UnauthorizedResponse
    | None
):
    if response.status_code == 200:
        body = errors.validate(response, _RESPONSE_200_SHAPE)
        response_200 = GetKeyResponse200.from_dict(body)

        return response_200

    if response.status_code == 401:
        try:
            body = errors.validate(response, _RESPONSE_401_SHAPE)
        except errors.ResponseValidationError:
            return None
        response_401 = UnauthorizedResponse.from_dict(body)

        return response_401

    if response.status_code == 404:
        try:
            body = errors.validate(response, _RESPONSE_404_SHAPE)
        except errors.ResponseValidationError:
            return None
        response_404 = NotFoundResponse.from_dict(body)

        return response_404

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
    GetKeyResponse200
    | InternalServerResponse
    | NotFoundResponse
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
    hash_: str,
    *,
    client: AuthenticatedClient,
) -> Response[
    GetKeyResponse200
    | InternalServerResponse
    | NotFoundResponse
    | TooManyRequestsResponse
    | UnauthorizedResponse
]:
    """Get a single API key

     Get a single API key by hash. [Management key](/docs/guides/overview/auth/management-api-keys)
    required.

    Args:
        hash_ (str): The hash identifier of the API key to retrieve Example:
            f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[GetKeyResponse200 | InternalServerResponse | NotFoundResponse | TooManyRequestsResponse | UnauthorizedResponse]
    """

    kwargs = _get_kwargs(
        hash_=hash_,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    hash_: str,
    *,
    client: AuthenticatedClient,
) -> (
    GetKeyResponse200
    | InternalServerResponse
    | NotFoundResponse
    | TooManyRequestsResponse
    | UnauthorizedResponse
    | None
):
    """Get a single API key

     Get a single API key by hash. [Management key](/docs/guides/overview/auth/management-api-keys)
    required.

    Args:
        hash_ (str): The hash identifier of the API key to retrieve Example:
            f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        GetKeyResponse200 | InternalServerResponse | NotFoundResponse | TooManyRequestsResponse | UnauthorizedResponse
    """

    return sync_detailed(
        hash_=hash_,
        client=client,
    ).parsed


async def asyncio_detailed(
    hash_: str,
    *,
    client: AuthenticatedClient,
) -> Response[
    GetKeyResponse200
    | InternalServerResponse
    | NotFoundResponse
    | TooManyRequestsResponse
    | UnauthorizedResponse
]:
    """Get a single API key

     Get a single API key by hash. [Management key](/docs/guides/overview/auth/management-api-keys)
    required.

    Args:
        hash_ (str): The hash identifier of the API key to retrieve Example:
            f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[GetKeyResponse200 | InternalServerResponse | NotFoundResponse | TooManyRequestsResponse | UnauthorizedResponse]
    """

    kwargs = _get_kwargs(
        hash_=hash_,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    hash_: str,
    *,
    client: AuthenticatedClient,
) -> (
    GetKeyResponse200
    | InternalServerResponse
    | NotFoundResponse
    | TooManyRequestsResponse
    | UnauthorizedResponse
    | None
):
    """Get a single API key

     Get a single API key by hash. [Management key](/docs/guides/overview/auth/management-api-keys)
    required.

    Args:
        hash_ (str): The hash identifier of the API key to retrieve Example:
            f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        GetKeyResponse200 | InternalServerResponse | NotFoundResponse | TooManyRequestsResponse | UnauthorizedResponse
    """

    return (
        await asyncio_detailed(
            hash_=hash_,
            client=client,
        )
    ).parsed
