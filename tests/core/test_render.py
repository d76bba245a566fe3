"""What a fact-change reply says."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.facts import Claim, FactChange, FactView
from bot.core.render import change_text
from bot.core.storyline import FactSpec, FactValueSpec

SPEC = FactSpec(
    id="status",
    label="Designation",
    kind="enum",
    values=(
        FactValueSpec("designated", "Designated", ()),
        FactValueSpec("blocked", "Blocked", ()),
        FactValueSpec("upheld", "Upheld", ()),
    ),
)


def claim(value: str, source: str, day: int) -> Claim:
    return Claim("s", "status", value, datetime(2026, 3, day, tzinfo=UTC), source, f"k{day}")


def view(value: str, source: str, day: int, *contenders: Claim) -> FactView:
    return FactView(
        "s",
        "status",
        value,
        datetime(2026, 3, day, tzinfo=UTC),
        source,
        disputed=bool(contenders),
        contenders=contenders,
    )


def test_a_change_says_was_and_now_with_sources_and_dates() -> None:
    change = FactChange(
        "s",
        "status",
        view("designated", "AP", 5),
        view("blocked", "CNBC", 26),
        claim("blocked", "CNBC", 26),
    )
    assert change_text(SPEC, change) == (
        "Designation: was Designated — AP, 2026-03-05 → now Blocked — CNBC, 2026-03-26"
    )


def test_a_lone_newer_report_is_shown_as_unconfirmed_beside_what_is_still_shown() -> None:
    lone = claim("upheld", "Podcast", 28)
    change = FactChange(
        "s",
        "status",
        view("blocked", "CNBC", 26),
        view("blocked", "CNBC", 26, lone, claim("blocked", "CNBC", 26)),
        lone,
    )
    assert change_text(SPEC, change) == (
        "Designation: Podcast reports Upheld (2026-03-28), not yet confirmed by another "
        "source. Still shown as Blocked — CNBC, 2026-03-26."
    )


def test_sources_asserting_different_values_are_a_dispute_with_who_says_what() -> None:
    newer = claim("upheld", "Podcast", 28)
    recent = claim("designated", "Blog", 27)
    change = FactChange(
        "s",
        "status",
        view("blocked", "CNBC", 26),
        view("blocked", "CNBC", 26, newer, recent),
        newer,
    )
    assert change_text(SPEC, change) == (
        "Designation is disputed: Podcast says Upheld (2026-03-28); Blog says Designated "
        "(2026-03-27). Still shown as Blocked — CNBC, 2026-03-26."
    )


def test_a_settled_dispute_says_so() -> None:
    lone = claim("upheld", "Podcast", 28)
    change = FactChange(
        "s",
        "status",
        view("blocked", "CNBC", 26, lone),
        view("blocked", "CNBC", 26),
        claim("blocked", "AP", 29),
    )
    assert (
        change_text(SPEC, change) == "Designation: no longer disputed — Blocked — CNBC, 2026-03-26"
    )
