from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.bad_request_response import BadRequestResponse
from ...models.internal_server_response import InternalServerResponse
from ...models.not_found_response import NotFoundResponse
from ...models.too_many_requests_response import TooManyRequestsResponse
from ...models.unauthorized_response import UnauthorizedResponse
from ...models.update_keys_body import UpdateKeysBody
from ...models.update_keys_response_200 import UpdateKeysResponse200
from ...types import Response, as_status


def _get_kwargs(
    hash_: str,
    *,
    body: UpdateKeysBody,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "patch",
        "url": "/keys/{hash_}".format(
            hash_=quote(str(hash_), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


_RESPONSE_200_SHAPE = ("model", "update_keys_response_200")
_RESPONSE_400_SHAPE = ("model", "bad_request_response")
_RESPONSE_401_SHAPE = ("model", "unauthorized_response")
_RESPONSE_404_SHAPE = ("model", "not_found_response")
_RESPONSE_429_SHAPE = ("model", "too_many_requests_response")
_RESPONSE_500_SHAPE = ("model", "internal_server_response")


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> (
    BadRequestResponse
    | InternalServerResponse
    | NotFoundResponse
    | TooManyRequestsResponse
    | UnauthorizedResponse
    | UpdateKeysResponse200
    | None
):
    if response.status_code == 200:
        body = errors.validate(response, _RESPONSE_200_SHAPE)
        response_200 = UpdateKeysResponse200.from_dict(body)

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
    BadRequestResponse
    | InternalServerResponse
    | NotFoundResponse
    | TooManyRequestsResponse
    | UnauthorizedResponse
    | UpdateKeysResponse200
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
    body: UpdateKeysBody,
) -> Response[
    BadRequestResponse
    | InternalServerResponse
    | NotFoundResponse
    | TooManyRequestsResponse
    | UnauthorizedResponse
    | UpdateKeysResponse200
]:
    """Update an API key

     Update an existing API key. [Management key](/docs/guides/overview/auth/management-api-keys)
    required.

    Args:
        hash_ (str): The hash identifier of the API key to update Example:
            f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943.
        body (UpdateKeysBody):  Example: {'disabled': False, 'include_byok_in_limit': True,
            'limit': 75, 'limit_reset': 'daily', 'name': 'Updated API Key Name'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BadRequestResponse | InternalServerResponse | NotFoundResponse | TooManyRequestsResponse | UnauthorizedResponse | UpdateKeysResponse200]
    """

    kwargs = _get_kwargs(
        hash_=hash_,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    hash_: str,
    *,
    client: AuthenticatedClient,
    body: UpdateKeysBody,
) -> (
    BadRequestResponse
    | InternalServerResponse
    | NotFoundResponse
    | TooManyRequestsResponse
    | UnauthorizedResponse
    | UpdateKeysResponse200
    | None
):
    """Update an API key

     Update an existing API key. [Management key](/docs/guides/overview/auth/management-api-keys)
    required.

    Args:
        hash_ (str): The hash identifier of the API key to update Example:
            f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943.
        body (UpdateKeysBody):  Example: {'disabled': False, 'include_byok_in_limit': True,
            'limit': 75, 'limit_reset': 'daily', 'name': 'Updated API Key Name'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BadRequestResponse | InternalServerResponse | NotFoundResponse | TooManyRequestsResponse | UnauthorizedResponse | UpdateKeysResponse200
    """

    return sync_detailed(
        hash_=hash_,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    hash_: str,
    *,
    client: AuthenticatedClient,
    body: UpdateKeysBody,
) -> Response[
    BadRequestResponse
    | InternalServerResponse
    | NotFoundResponse
    | TooManyRequestsResponse
    | UnauthorizedResponse
    | UpdateKeysResponse200
]:
    """Update an API key

     Update an existing API key. [Management key](/docs/guides/overview/auth/management-api-keys)
    required.

    Args:
        hash_ (str): The hash identifier of the API key to update Example:
            f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943.
        body (UpdateKeysBody):  Example: {'disabled': False, 'include_byok_in_limit': True,
            'limit': 75, 'limit_reset': 'daily', 'name': 'Updated API Key Name'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BadRequestResponse | InternalServerResponse | NotFoundResponse | TooManyRequestsResponse | UnauthorizedResponse | UpdateKeysResponse200]
    """

    kwargs = _get_kwargs(
        hash_=hash_,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    hash_: str,
    *,
    client: AuthenticatedClient,
    body: UpdateKeysBody,
) -> (
    BadRequestResponse
    | InternalServerResponse
    | NotFoundResponse
    | TooManyRequestsResponse
    | UnauthorizedResponse
    | UpdateKeysResponse200
    | None
):
    """Update an API key

     Update an existing API key. [Management key](/docs/guides/overview/auth/management-api-keys)
    required.

    Args:
        hash_ (str): The hash identifier of the API key to update Example:
            f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943.
        body (UpdateKeysBody):  Example: {'disabled': False, 'include_byok_in_limit': True,
            'limit': 75, 'limit_reset': 'daily', 'name': 'Updated API Key Name'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BadRequestResponse | InternalServerResponse | NotFoundResponse | TooManyRequestsResponse | UnauthorizedResponse | UpdateKeysResponse200
    """

    return (
        await asyncio_detailed(
            hash_=hash_,
            client=client,
            body=body,
        )
    ).parsed
