"""What ``get_credits()`` returns: the generated ``GetCreditsResponse200Data``, immutable, with
``remaining``."""

from __future__ import annotations

import attrs

from openrouter_credits_client.models.get_credits_response_200_data import GetCreditsResponse200Data

from ._frozen import Frozen
from ._money import exact_difference

__all__ = ["Credits"]


@attrs.frozen(repr=False, eq=True, hash=False)
class Credits(Frozen, GetCreditsResponse200Data):
    """The account's credits in US dollars: ``total_credits`` bought, ``total_usage`` used, and
    ``remaining``. Every field of the API document's credits object is an attribute; immutable."""

    __hash__ = Frozen.__hash__  # type: ignore[assignment]  # the generated base is unhashable

    @property
    def remaining(self) -> float:
        """``total_credits - total_usage`` without binary noise: 10.0 - 9.9 gives 0.1.

        The two numbers are taken as the decimals they were written as, subtracted exactly, and
        rounded to a float once.
        """
        return exact_difference(self.total_credits, self.total_usage)

    def _repr_fields(self) -> list[str]:
        return [*super()._repr_fields(), f"remaining={self.remaining!r}"]
