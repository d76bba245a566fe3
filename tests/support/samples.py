"""Cards and replies as the core produces them, for the platform adapters' tests."""

from __future__ import annotations

from typing import Any

from bot.core.posts import Card, FactLine, Reply


def fact(label: str = "Access", value: str = "suspended", **kw: Any) -> FactLine:
    fields: dict[str, Any] = {"since": "2026-03-02", "source": "Reuters"}
    fields.update(kw)
    return FactLine(label=label, value=value, **fields)


def card(
    title: str = "Fable 5 suspension",
    *,
    facts: tuple[FactLine, ...] | None = None,
    description: str = "",
) -> Card:
    return Card(
        storyline="fable-suspension",
        title=title,
        description=description,
        facts=(fact(),) if facts is None else facts,
        updated="2026-03-03",
    )


def coverage(title: str = "Anthropic disables Fable 5", **kw: Any) -> Reply:
    fields: dict[str, Any] = {
        "url": "https://news.test/a?x=1&y=2",
        "source": "Reuters",
        "published": "2026-03-02",
        "also": ("AP", "BBC"),
        "why": "score 87: Anthropic, export control",
    }
    fields.update(kw)
    return Reply(kind="coverage", storyline="fable-suspension", title=title, **fields)


CHANGE = "Access: was available — Anthropic, 2026-02-01 → now suspended — Reuters, 2026-03-02"


def fact_change(text: str = CHANGE) -> Reply:
    return Reply(
        kind="fact_change",
        storyline="fable-suspension",
        title="Access changed",
        text=text,
        url="https://news.test/b",
        source="Reuters",
        published="2026-03-02",
    )
