"""Numbers as scoring reads and shows them: Decimal in, half-up to the cent out.

The one place for the rounding rule (docs/scoring.md: scores, means and rates are shown rounded
half-up to 2 decimals, so 0.125 shows as 0.13 where binary floating point or Python's default
half-even would show 0.12).
"""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")


def round2(value: Decimal) -> Decimal:
    """Half-up to 2 decimal places."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def to_decimal(value: Any) -> Decimal:
    """A number as a Decimal; str() first, so the float 93.45 becomes Decimal("93.45") and not
    its binary expansion."""
    return value if isinstance(value, Decimal) else Decimal(str(value))
