"""Sums of money told in different languages and formats are one value."""

from __future__ import annotations

import pytest

from bot.core.amounts import canonical_amount, same_amount


@pytest.mark.parametrize(
    "text",
    [
        "€20 million",
        "€ 20 million",
        "EUR 20m",
        "EUR 20 mln",
        "20 milioni di euro",
        "20 Millionen Euro",
        "20 Mio. Euro",
        "20 millions d'euros",
        "20 millones de euros",
        "veinte millones de euros",
        "twenty million euros",
        "20.000.000 euro",
        "20,000,000 euros",
        "2000万欧元",
        "2000万ユーロ",
    ],
)
def test_one_sum_written_many_ways(text: str) -> None:
    assert canonical_amount(text) == "€20 million"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$1.5 billion", "$1.5 billion"),
        ("1,5 miliardi di dollari", "$1.5 billion"),
        ("£7.5m", "£7.5 million"),
        ("twenty-one million dollars", "$21 million"),
        ("deals worth up to $200M each", "$200 million"),
        ("1.500 miliardi di euro", "€1.5 billion"),
        ("a fine of 15 milioni", "15 million"),
        ("18 days", None),
        ("Amazon researchers", None),
    ],
)
def test_other_sums_and_text_that_is_no_sum(text: str, expected: str | None) -> None:
    assert canonical_amount(text) == expected


def test_a_sum_without_its_currency_equals_the_same_sum_with_it() -> None:
    assert same_amount("15 million", "€15 million")
    assert not same_amount("€15 million", "$15 million")
    assert not same_amount("€15 million", "€20 million")
