"""Small storylines and entries for core tests (no corpus, no storyline files)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.facts import Claim
from bot.core.items import Entry
from bot.core.storyline import FactSpec, FactValueSpec, MatchRules, Storyline, TermGroup

T0 = datetime(2026, 6, 12, 12, 0, tzinfo=UTC)

ACCESS = FactSpec(
    id="access_status",
    label="Access",
    kind="enum",
    required=True,
    values=(
        FactValueSpec("available", "Available", ("generally available", "launched")),
        FactValueSpec("suspended", "Suspended", ("suspended", "pulled", "went dark", "offline")),
        FactValueSpec("partially-restored", "Partially", ("for about 100", "vetted", "only to")),
        FactValueSpec("restored", "Restored", ("restored", "returns", "lifted", "comes back")),
    ),
)
DAYS = FactSpec(
    id="suspension_days",
    label="Days",
    kind="integer",
    values=(),
    patterns=(r"(?P<value>\d{1,3}) day (?:ban|pause|suspension)",),
)


def storyline(**changes: object) -> Storyline:
    base = Storyline(
        id="widget-ban",
        title="Widget 5 export ban",
        description="An export directive shuts off Widget 5.",
        status="open",
        match=MatchRules(
            actors=(
                TermGroup("maker", ("Acme", "Acme Labs")),
                TermGroup("model", ("Widget 5",), False),
            ),
            topics=(
                TermGroup("model", ("Widget 5",), False),
                TermGroup("controls", ("export controls", "directive", "Commerce Department")),
                TermGroup("access", ("suspended", "restored", "pulled")),
            ),
            exclude=(TermGroup("game", ("video game", "gameplay")),),
            threshold=60,
        ),
        facts=(ACCESS, DAYS),
        authoritative_sources=("acme.com", "commerce.gov"),
    )
    return _replace(base, **changes)


def _replace(s: Storyline, **changes: object) -> Storyline:
    import dataclasses

    return dataclasses.replace(s, **changes)  # type: ignore[arg-type]


def entry(
    title: str,
    summary: str = "",
    *,
    hours: float = 0,
    source: str = "example.com",
    url: str | None = None,
    key: str | None = None,
    feed_id: int = 1,
) -> Entry:
    when = T0 + timedelta(hours=hours)
    return Entry(
        feed_id=feed_id,
        key=key or f"{source}:{title}",
        guid=None,
        url=url or f"https://{source}/{abs(hash(title)) % 10**8}",
        title=title,
        summary=summary,
        published=when,
        first_seen=when,
        source=source,
    )


def claim(
    value: str, *, hours: float, source: str, fact: str = "access_status", seeded: bool = False
) -> Claim:
    when = T0 + timedelta(hours=hours)
    return Claim(
        storyline="widget-ban",
        fact=fact,
        value=value,
        published=when,
        source=source,
        item_key=f"{source}:{hours}:{value}",
        url=f"https://{source}/a{hours}",
        seeded=seeded,
    )
