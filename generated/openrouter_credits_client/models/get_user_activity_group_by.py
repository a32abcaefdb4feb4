from enum import StrEnum


class GetUserActivityGroupBy(StrEnum):
    WORKSPACE = "workspace"

    def __str__(self) -> str:
        return str(self.value)
