from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.bad_request_response import BadRequestResponse
from ...models.forbidden_response import ForbiddenResponse
from ...models.internal_server_response import InternalServerResponse
from ...models.query_analytics_body import QueryAnalyticsBody
from ...models.query_analytics_response_200 import QueryAnalyticsResponse200
from ...models.request_timeout_response import RequestTimeoutResponse
from ...models.unauthorized_response import UnauthorizedResponse
from ...types import Response, as_status


def _get_kwargs(
    *,
    body: QueryAnalyticsBody,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/analytics/query",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


_RESPONSE_200_SHAPE = ("model", "query_analytics_response_200")
_RESPONSE_400_SHAPE = ("model", "bad_request_response")
_RESPONSE_401_SHAPE = ("model", "unauthorized_response")
_RESPONSE_403_SHAPE = ("model", "forbidden_response")
_RESPONSE_408_SHAPE = ("model", "request_timeout_response")
_RESPONSE_500_SHAPE = ("model", "internal_server_response")


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> (
    BadRequestResponse
    | ForbiddenResponse
    | InternalServerResponse
    | QueryAnalyticsResponse200
    | RequestTimeoutResponse
    | UnauthorizedResponse
    | None
):
    if response.status_code == 200:
        body = errors.validate(response, _RESPONSE_200_SHAPE)
        response_200 = QueryAnalyticsResponse200.from_dict(body)

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

    if response.status_code == 403:
        try:
            body = errors.validate(response, _RESPONSE_403_SHAPE)
        except errors.ResponseValidationError:
            return None
        response_403 = ForbiddenResponse.from_dict(body)

        return response_403

    if response.status_code == 408:
        try:
            body = errors.validate(response, _RESPONSE_408_SHAPE)
        except errors.ResponseValidationError:
            return None
        response_408 = RequestTimeoutResponse.from_dict(body)

        return response_408

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
    | ForbiddenResponse
    | InternalServerResponse
    | QueryAnalyticsResponse200
    | RequestTimeoutResponse
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
    body: QueryAnalyticsBody,
) -> Response[
    BadRequestResponse
    | ForbiddenResponse
    | InternalServerResponse
    | QueryAnalyticsResponse200
    | RequestTimeoutResponse
    | UnauthorizedResponse
]:
    """Query analytics data

     Execute an analytics query with specified metrics, dimensions, filters, and time range. [Management
    key](/docs/guides/overview/auth/management-api-keys) required.

    Args:
        body (QueryAnalyticsBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BadRequestResponse | ForbiddenResponse | InternalServerResponse | QueryAnalyticsResponse200 | RequestTimeoutResponse | UnauthorizedResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: QueryAnalyticsBody,
) -> (
    BadRequestResponse
    | ForbiddenResponse
    | InternalServerResponse
    | QueryAnalyticsResponse200
    | RequestTimeoutResponse
    | UnauthorizedResponse
    | None
):
    """Query analytics data

     Execute an analytics query with specified metrics, dimensions, filters, and time range. [Management
    key](/docs/guides/overview/auth/management-api-keys) required.

    Args:
        body (QueryAnalyticsBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BadRequestResponse | ForbiddenResponse | InternalServerResponse | QueryAnalyticsResponse200 | RequestTimeoutResponse | UnauthorizedResponse
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: QueryAnalyticsBody,
) -> Response[
    BadRequestResponse
    | ForbiddenResponse
    | InternalServerResponse
    | QueryAnalyticsResponse200
    | RequestTimeoutResponse
    | UnauthorizedResponse
]:
    """Query analytics data

     Execute an analytics query with specified metrics, dimensions, filters, and time range. [Management
    key](/docs/guides/overview/auth/management-api-keys) required.

    Args:
        body (QueryAnalyticsBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BadRequestResponse | ForbiddenResponse | InternalServerResponse | QueryAnalyticsResponse200 | RequestTimeoutResponse | UnauthorizedResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: QueryAnalyticsBody,
) -> (
    BadRequestResponse
    | ForbiddenResponse
    | InternalServerResponse
    | QueryAnalyticsResponse200
    | RequestTimeoutResponse
    | UnauthorizedResponse
    | None
):
    """Query analytics data

     Execute an analytics query with specified metrics, dimensions, filters, and time range. [Management
    key](/docs/guides/overview/auth/management-api-keys) required.

    Args:
        body (QueryAnalyticsBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BadRequestResponse | ForbiddenResponse | InternalServerResponse | QueryAnalyticsResponse200 | RequestTimeoutResponse | UnauthorizedResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
