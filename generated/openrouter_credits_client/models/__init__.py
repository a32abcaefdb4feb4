"""Contains all the data models used in inputs/outputs"""

from .activity_item import ActivityItem
from .bad_request_response import BadRequestResponse
from .bad_request_response_error_data import BadRequestResponseErrorData
from .bad_request_response_error_data_metadata_type_0 import (
    BadRequestResponseErrorDataMetadataType0,
)
from .bad_request_response_openrouter_metadata_type_0 import (
    BadRequestResponseOpenrouterMetadataType0,
)
from .forbidden_response import ForbiddenResponse
from .forbidden_response_error_data import ForbiddenResponseErrorData
from .forbidden_response_error_data_metadata_type_0 import (
    ForbiddenResponseErrorDataMetadataType0,
)
from .forbidden_response_openrouter_metadata_type_0 import (
    ForbiddenResponseOpenrouterMetadataType0,
)
from .get_analytics_meta_response_200 import GetAnalyticsMetaResponse200
from .get_analytics_meta_response_200_data import GetAnalyticsMetaResponse200Data
from .get_analytics_meta_response_200_data_dimensions_item import (
    GetAnalyticsMetaResponse200DataDimensionsItem,
)
from .get_analytics_meta_response_200_data_granularities_item import (
    GetAnalyticsMetaResponse200DataGranularitiesItem,
)
from .get_analytics_meta_response_200_data_granularities_item_name import (
    GetAnalyticsMetaResponse200DataGranularitiesItemName,
)
from .get_analytics_meta_response_200_data_metrics_item import (
    GetAnalyticsMetaResponse200DataMetricsItem,
)
from .get_analytics_meta_response_200_data_metrics_item_display_format import (
    GetAnalyticsMetaResponse200DataMetricsItemDisplayFormat,
)
from .get_analytics_meta_response_200_data_operators_item import (
    GetAnalyticsMetaResponse200DataOperatorsItem,
)
from .get_analytics_meta_response_200_data_operators_item_name import (
    GetAnalyticsMetaResponse200DataOperatorsItemName,
)
from .get_analytics_meta_response_200_data_operators_item_value_type import (
    GetAnalyticsMetaResponse200DataOperatorsItemValueType,
)
from .get_credits_response_200 import GetCreditsResponse200
from .get_credits_response_200_data import GetCreditsResponse200Data
from .get_current_key_response_200 import GetCurrentKeyResponse200
from .get_current_key_response_200_data import GetCurrentKeyResponse200Data
from .get_current_key_response_200_data_rate_limit import (
    GetCurrentKeyResponse200DataRateLimit,
)
from .get_key_response_200 import GetKeyResponse200
from .get_key_response_200_data import GetKeyResponse200Data
from .get_user_activity_group_by import GetUserActivityGroupBy
from .get_user_activity_response_200 import GetUserActivityResponse200
from .internal_server_response import InternalServerResponse
from .internal_server_response_error_data import InternalServerResponseErrorData
from .internal_server_response_error_data_metadata_type_0 import (
    InternalServerResponseErrorDataMetadataType0,
)
from .internal_server_response_openrouter_metadata_type_0 import (
    InternalServerResponseOpenrouterMetadataType0,
)
from .list_api_keys_response_200 import ListApiKeysResponse200
from .list_api_keys_response_200_data_item import ListApiKeysResponse200DataItem
from .list_workspaces_response_200 import ListWorkspacesResponse200
from .not_found_response import NotFoundResponse
from .not_found_response_error_data import NotFoundResponseErrorData
from .not_found_response_error_data_metadata_type_0 import (
    NotFoundResponseErrorDataMetadataType0,
)
from .not_found_response_openrouter_metadata_type_0 import (
    NotFoundResponseOpenrouterMetadataType0,
)
from .query_analytics_body import QueryAnalyticsBody
from .query_analytics_body_classifier_dimensions import (
    QueryAnalyticsBodyClassifierDimensions,
)
from .query_analytics_body_classifier_filters import QueryAnalyticsBodyClassifierFilters
from .query_analytics_body_classifier_filters_filters_item import (
    QueryAnalyticsBodyClassifierFiltersFiltersItem,
)
from .query_analytics_body_filters_item import QueryAnalyticsBodyFiltersItem
from .query_analytics_body_order_by import QueryAnalyticsBodyOrderBy
from .query_analytics_body_order_by_direction import QueryAnalyticsBodyOrderByDirection
from .query_analytics_body_time_range import QueryAnalyticsBodyTimeRange
from .query_analytics_response_200 import QueryAnalyticsResponse200
from .query_analytics_response_200_data import QueryAnalyticsResponse200Data
from .query_analytics_response_200_data_data_item import (
    QueryAnalyticsResponse200DataDataItem,
)
from .query_analytics_response_200_data_metadata import (
    QueryAnalyticsResponse200DataMetadata,
)
from .request_timeout_response import RequestTimeoutResponse
from .request_timeout_response_error_data import RequestTimeoutResponseErrorData
from .request_timeout_response_error_data_metadata_type_0 import (
    RequestTimeoutResponseErrorDataMetadataType0,
)
from .request_timeout_response_openrouter_metadata_type_0 import (
    RequestTimeoutResponseOpenrouterMetadataType0,
)
from .too_many_requests_response import TooManyRequestsResponse
from .too_many_requests_response_error_data import TooManyRequestsResponseErrorData
from .too_many_requests_response_error_data_metadata_type_0 import (
    TooManyRequestsResponseErrorDataMetadataType0,
)
from .too_many_requests_response_openrouter_metadata_type_0 import (
    TooManyRequestsResponseOpenrouterMetadataType0,
)
from .unauthorized_response import UnauthorizedResponse
from .unauthorized_response_error_data import UnauthorizedResponseErrorData
from .unauthorized_response_error_data_metadata_type_0 import (
    UnauthorizedResponseErrorDataMetadataType0,
)
from .unauthorized_response_openrouter_metadata_type_0 import (
    UnauthorizedResponseOpenrouterMetadataType0,
)
from .update_keys_body import UpdateKeysBody
from .update_keys_body_limit_reset_type_0 import UpdateKeysBodyLimitResetType0
from .update_keys_response_200 import UpdateKeysResponse200
from .update_keys_response_200_data import UpdateKeysResponse200Data
from .workspace import Workspace

__all__ = (
    "ActivityItem",
    "BadRequestResponse",
    "BadRequestResponseErrorData",
    "BadRequestResponseErrorDataMetadataType0",
    "BadRequestResponseOpenrouterMetadataType0",
    "ForbiddenResponse",
    "ForbiddenResponseErrorData",
    "ForbiddenResponseErrorDataMetadataType0",
    "ForbiddenResponseOpenrouterMetadataType0",
    "GetAnalyticsMetaResponse200",
    "GetAnalyticsMetaResponse200Data",
    "GetAnalyticsMetaResponse200DataDimensionsItem",
    "GetAnalyticsMetaResponse200DataGranularitiesItem",
    "GetAnalyticsMetaResponse200DataGranularitiesItemName",
    "GetAnalyticsMetaResponse200DataMetricsItem",
    "GetAnalyticsMetaResponse200DataMetricsItemDisplayFormat",
    "GetAnalyticsMetaResponse200DataOperatorsItem",
    "GetAnalyticsMetaResponse200DataOperatorsItemName",
    "GetAnalyticsMetaResponse200DataOperatorsItemValueType",
    "GetCreditsResponse200",
    "GetCreditsResponse200Data",
    "GetCurrentKeyResponse200",
    "GetCurrentKeyResponse200Data",
    "GetCurrentKeyResponse200DataRateLimit",
    "GetKeyResponse200",
    "GetKeyResponse200Data",
    "GetUserActivityGroupBy",
    "GetUserActivityResponse200",
    "InternalServerResponse",
    "InternalServerResponseErrorData",
    "InternalServerResponseErrorDataMetadataType0",
    "InternalServerResponseOpenrouterMetadataType0",
    "ListApiKeysResponse200",
    "ListApiKeysResponse200DataItem",
    "ListWorkspacesResponse200",
    "NotFoundResponse",
    "NotFoundResponseErrorData",
    "NotFoundResponseErrorDataMetadataType0",
    "NotFoundResponseOpenrouterMetadataType0",
    "QueryAnalyticsBody",
    "QueryAnalyticsBodyClassifierDimensions",
    "QueryAnalyticsBodyClassifierFilters",
    "QueryAnalyticsBodyClassifierFiltersFiltersItem",
    "QueryAnalyticsBodyFiltersItem",
    "QueryAnalyticsBodyOrderBy",
    "QueryAnalyticsBodyOrderByDirection",
    "QueryAnalyticsBodyTimeRange",
    "QueryAnalyticsResponse200",
    "QueryAnalyticsResponse200Data",
    "QueryAnalyticsResponse200DataDataItem",
    "QueryAnalyticsResponse200DataMetadata",
    "RequestTimeoutResponse",
    "RequestTimeoutResponseErrorData",
    "RequestTimeoutResponseErrorDataMetadataType0",
    "RequestTimeoutResponseOpenrouterMetadataType0",
    "TooManyRequestsResponse",
    "TooManyRequestsResponseErrorData",
    "TooManyRequestsResponseErrorDataMetadataType0",
    "TooManyRequestsResponseOpenrouterMetadataType0",
    "UnauthorizedResponse",
    "UnauthorizedResponseErrorData",
    "UnauthorizedResponseErrorDataMetadataType0",
    "UnauthorizedResponseOpenrouterMetadataType0",
    "UpdateKeysBody",
    "UpdateKeysBodyLimitResetType0",
    "UpdateKeysResponse200",
    "UpdateKeysResponse200Data",
    "Workspace",
)
