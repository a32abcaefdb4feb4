from enum import StrEnum


class GetAnalyticsMetaResponse200DataOperatorsItemValueType(StrEnum):
    ARRAY = "array"
    SCALAR = "scalar"

    def __str__(self) -> str:
        return str(self.value)
