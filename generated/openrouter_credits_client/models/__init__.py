"""Contains all the data models used in inputs/outputs"""

from .get_credits_response_200 import GetCreditsResponse200
from .get_credits_response_200_data import GetCreditsResponse200Data

__all__ = (
    "GetCreditsResponse200",
    "GetCreditsResponse200Data",
)
