"""Publication dates read from the raw string: the right instant, or None."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.feeds.dates import FallbackBudget, parse_date


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        # named zones, with daylight saving as it was on that day
        ("Fri, 31 Mar 2023 20:19:00 America/Los_Angeles", utc(2023, 4, 1, 3, 19)),
        ("Fri, 13 Jan 2023 20:19:00 America/Los_Angeles", utc(2023, 1, 14, 4, 19)),
        ("Sun, 05 May 2024 10:00:00 Europe/Berlin", utc(2024, 5, 5, 8, 0)),
        # abbreviations
        ("Thu, 02 Feb 2023 09:00:00 EST", utc(2023, 2, 2, 14, 0)),
        ("Thu, 02 Feb 2023 09:00:00 EDT", utc(2023, 2, 2, 13, 0)),
        ("Tue, 04 Jul 2023 10:00:00 PDT", utc(2023, 7, 4, 17, 0)),
        ("Tue, 04 Jul 2023 10:00:00 PST", utc(2023, 7, 4, 18, 0)),
        ("Tue, 04 Jul 2023 10:00:00 CDT", utc(2023, 7, 4, 15, 0)),
        ("Mon, 15 Jan 2024 08:30:00 CET", utc(2024, 1, 15, 7, 30)),
        ("Sat, 15 Jul 2023 08:30:00 CEST", utc(2023, 7, 15, 6, 30)),
        ("Sat, 15 Jul 2023 08:30:00 BST", utc(2023, 7, 15, 7, 30)),
        ("Sat, 15 Jul 2023 08:30:00 IST", utc(2023, 7, 15, 3, 0)),
        ("Sat, 15 Jul 2023 08:30:00 JST", utc(2023, 7, 14, 23, 30)),
        ("Sat, 15 Jul 2023 08:30:00 AEST", utc(2023, 7, 14, 22, 30)),
        ("Wed, 02 Oct 2002 08:00:00 GMT+2", utc(2002, 10, 2, 6, 0)),
        ("Mon, 1 Jan 2024 12:00:00 +0000 (UTC)", utc(2024, 1, 1, 12, 0)),
        # 12-hour clocks
        ("March 30 2020 07:02:38 PM", utc(2020, 3, 30, 19, 2, 38)),
        ("Apr 30, 2020 1:55 PM EST", utc(2020, 4, 30, 18, 55)),
        ("Thu, 30 Apr 2020 12:05AM GMT", utc(2020, 4, 30, 0, 5)),
        ("Thu, 30 Apr 2020 12:05 p.m. GMT", utc(2020, 4, 30, 12, 5)),
        # timestamps
        ("1520932969", utc(2018, 3, 13, 9, 22, 49)),
        ("1520932969000", utc(2018, 3, 13, 9, 22, 49)),
        # ISO 8601 / RFC 3339
        ("2023-04-16T08:01:00-05:00Z", utc(2023, 4, 16, 13, 1)),
        ("2024-03-01T12:30:00.123456+05:30", utc(2024, 3, 1, 7, 0, 0, 123456)),
        ("2024-03-01", utc(2024, 3, 1)),
        ("2018-04-09 16:04:00", utc(2018, 4, 9, 16, 4)),
        # RFC 822 variants
        ("Fri, 23rd Jun 2023 09:32:20 GMT", utc(2023, 6, 23, 9, 32, 20)),
        ("Mon, 09 Apr 2018, 16:04", utc(2018, 4, 9, 16, 4)),
        ("Apr 16, 2023 08:01 GMT", utc(2023, 4, 16, 8, 1)),
        ("Tue, 02 Jan 24 05:04:05 +0200", utc(2024, 1, 2, 3, 4, 5)),
        ("Tue, 2 January 2024 05:04:05 -0000", utc(2024, 1, 2, 5, 4, 5)),
        # European day and month names
        ("Di, 23 Jan 2018 00:00:00 +0100", utc(2018, 1, 22, 23, 0)),
        ("Mittwoch, 14. März 2018 08:00", utc(2018, 3, 14, 8, 0)),
        ("Qua, 07 Fev 2018 10:00:00 -0200", utc(2018, 2, 7, 12, 0)),
        ("23 de janeiro de 2018 10:00", utc(2018, 1, 23, 10, 0)),
        ("sáb, 10 dez 2022 18:00:00 -0300", utc(2022, 12, 10, 21, 0)),
        ("mer., 14 févr. 2018 08:00:00 +0100", utc(2018, 2, 14, 7, 0)),
        ("jeudi 1er mars 2018 09:00", utc(2018, 3, 1, 9, 0)),
        ("Mar, 23 Ene 2018 10:00:00 +0100", utc(2018, 1, 23, 9, 0)),
        ("Gio, 15 Feb 2018 09:00:00 +0100", utc(2018, 2, 15, 8, 0)),
        ("lunedì 12 marzo 2018 10:00", utc(2018, 3, 12, 10, 0)),
        ("do, 15 mrt 2018 09:00:00 +0100", utc(2018, 3, 15, 8, 0)),
        ("Mar 3, 2020 10:00 GMT", utc(2020, 3, 3, 10, 0)),  # "Mar" the month, not martes
        ("16.04.2023 08:01", utc(2023, 4, 16, 8, 1)),
        ("01.05.2023 08:01 +0200", utc(2023, 5, 1, 6, 1)),
        # only dateparser reads these
        ("2023/04/16 08:01", utc(2023, 4, 16, 8, 1)),
    ],
)
def test_real_world_dates_land_on_the_right_instant(text: str, instant: datetime) -> None:
    assert parse_date(text) == instant


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "   ",
        "sometime last week",
        "1:55 PM EST",  # a time without a day
        "Sat, 31 Feb 2018 00:00:00 GMT",
        "Mon, 01 Jan 2024 25:61:00 GMT",
        "Mon, 01 Jan 2024 10:00:00 +9999",
        "Mon, 01 Jan 2024 10:00:00 Mars/Olympus_Mons",
        "31 Feb 99999 25:61:61 +9999",
        "x" * 500,
    ],
)
def test_what_cannot_be_read_is_none_never_a_guess(text: str | None) -> None:
    assert parse_date(text) is None


def test_a_document_sends_only_a_few_new_dates_to_the_slow_fallback() -> None:
    budget = FallbackBudget(calls=2)
    odd = [f"2031/05/{day:02d} 08:01" for day in range(1, 6)]  # only dateparser reads these
    read = [parse_date(text, budget) for text in odd]
    assert read[:2] == [utc(2031, 5, 1, 8, 1), utc(2031, 5, 2, 8, 1)]
    assert read[2:] == [None, None, None]  # over budget: unread, so flagged as replaced
    assert parse_date(odd[0], FallbackBudget(calls=0)) == utc(2031, 5, 1, 8, 1)  # memoised
    assert parse_date("Tue, 02 Jan 2024 05:04:05 +0200", budget) is not None  # fast paths free
