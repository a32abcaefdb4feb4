from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.forbidden_response import ForbiddenResponse
from ...models.get_analytics_meta_response_200 import GetAnalyticsMetaResponse200
from ...models.internal_server_response import InternalServerResponse
from ...models.unauthorized_response import UnauthorizedResponse
from ...types import Response, as_status


def _get_kwargs() -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/analytics/meta",
    }

    return _kwargs


_RESPONSE_200_SHAPE = ("model", "get_analytics_meta_response_200")
_RESPONSE_401_SHAPE = ("model", "unauthorized_response")
_RESPONSE_403_SHAPE = ("model", "forbidden_response")
_RESPONSE_500_SHAPE = ("model", "internal_server_response")


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> (
    ForbiddenResponse
    | GetAnalyticsMetaResponse200
    | InternalServerResponse
    | UnauthorizedResponse
    | None
):
    if response.status_code == 200:
        body = errors.validate(response, _RESPONSE_200_SHAPE)
        response_200 = GetAnalyticsMetaResponse200.from_dict(body)

        return response_200

    if response.status_code == 401:
        try:
            body = errors.validate(response, _RESPONSE_401_SHAPE)
        except errors.ResponseValidationError:
            return None
        response_401 = UnauthorizedResponse.from_dict(body)

        return response_401

    if response.status_code == 403:
        try:
            body = errors.validate(response, _RESPONSE_403_SHAPE)
        except errors.ResponseValidationError:
            return None
        response_403 = ForbiddenResponse.from_dict(body)

        return response_403

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
    ForbiddenResponse
    | GetAnalyticsMetaResponse200
    | InternalServerResponse
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
) -> Response[
    ForbiddenResponse
    | GetAnalyticsMetaResponse200
    | InternalServerResponse
    | UnauthorizedResponse
]:
    """Get available analytics metrics and dimensions

     Returns the available metrics, dimensions, filter operators, and granularities for the analytics
    query endpoint. [Management key](/docs/guides/overview/auth/management-api-keys) required.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ForbiddenResponse | GetAnalyticsMetaResponse200 | InternalServerResponse | UnauthorizedResponse]
    """

    kwargs = _get_kwargs()

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
) -> (
    ForbiddenResponse
    | GetAnalyticsMetaResponse200
    | InternalServerResponse
    | UnauthorizedResponse
    | None
):
    """Get available analytics metrics and dimensions

     Returns the available metrics, dimensions, filter operators, and granularities for the analytics
    query endpoint. [Management key](/docs/guides/overview/auth/management-api-keys) required.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ForbiddenResponse | GetAnalyticsMetaResponse200 | InternalServerResponse | UnauthorizedResponse
    """

    return sync_detailed(
        client=client,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
) -> Response[
    ForbiddenResponse
    | GetAnalyticsMetaResponse200
    | InternalServerResponse
    | UnauthorizedResponse
]:
    """Get available analytics metrics and dimensions

     Returns the available metrics, dimensions, filter operators, and granularities for the analytics
    query endpoint. [Management key](/docs/guides/overview/auth/management-api-keys) required.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ForbiddenResponse | GetAnalyticsMetaResponse200 | InternalServerResponse | UnauthorizedResponse]
    """

    kwargs = _get_kwargs()

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
) -> (
    ForbiddenResponse
    | GetAnalyticsMetaResponse200
    | InternalServerResponse
    | UnauthorizedResponse
    | None
):
    """Get available analytics metrics and dimensions

     Returns the available metrics, dimensions, filter operators, and granularities for the analytics
    query endpoint. [Management key](/docs/guides/overview/auth/management-api-keys) required.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ForbiddenResponse | GetAnalyticsMetaResponse200 | InternalServerResponse | UnauthorizedResponse
    """

    return (
        await asyncio_detailed(
            client=client,
        )
    ).parsed
