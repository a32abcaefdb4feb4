from enum import StrEnum


class GetAnalyticsMetaResponse200DataGranularitiesItemName(StrEnum):
    DAY = "day"
    HOUR = "hour"
    MINUTE = "minute"
    MONTH = "month"
    WEEK = "week"

    def __str__(self) -> str:
        return str(self.value)
