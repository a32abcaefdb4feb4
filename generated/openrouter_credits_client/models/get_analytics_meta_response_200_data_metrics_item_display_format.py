from enum import StrEnum


class GetAnalyticsMetaResponse200DataMetricsItemDisplayFormat(StrEnum):
    CURRENCY = "currency"
    LATENCY = "latency"
    NUMBER = "number"
    PERCENT = "percent"
    THROUGHPUT = "throughput"

    def __str__(self) -> str:
        return str(self.value)
