"""The one rounding rule (scoring/numbers.py): half-up to the cent, from exact decimals."""

from decimal import Decimal

import pytest

from happy_rivers import scoring
from happy_rivers.scoring.numbers import round2, to_decimal


@pytest.mark.parametrize(
    ("value", "rounded"),
    [
        ("0.125", "0.13"),  # half-even would give 0.12
        ("2.675", "2.68"),  # the float 2.675 is 2.67499…: read from text, it is exact
        ("-0.125", "-0.13"),  # away from zero, as people round
        ("93.444", "93.44"),
        ("100", "100.00"),
    ],
)
def test_round2_is_half_up_to_the_cent(value, rounded):
    assert str(round2(Decimal(value))) == rounded


def test_to_decimal_reads_a_float_as_it_prints():
    assert to_decimal(93.45) == Decimal("93.45")
    assert to_decimal(2.675) + 0 == Decimal("2.675")
    assert to_decimal(Decimal("1.5")) == Decimal("1.5")


def test_the_panel_and_the_package_use_the_same_rounding():
    assert scoring.round2 is round2
    assert scoring.combine_panel([Decimal("4"), Decimal("4.125")]) == Decimal("4.06")
    assert scoring.panel_spread([Decimal("0"), Decimal("0.125")]) == Decimal("0.13")
