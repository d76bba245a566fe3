"""Platform-neutral message content: root cards and thread replies.

Adapters turn these into Block Kit, embeds or terminal text and do their own
escaping; nothing here is markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from bot.core.facts import Claim, FactChange, FactView
from bot.core.items import Entry
from bot.core.match_result import MatchResult
from bot.core.posts import Card, FactLine, Reply
from bot.core.storyline import FactSpec, Storyline

#: Outlets named in a reply's "also reported by"; the rest are counted.
MAX_OUTLETS_SHOWN = 5


def outlets_text(outlets: Sequence[str], limit: int = MAX_OUTLETS_SHOWN) -> str:
    """``A, B, C, D, E and 3 more``: the first ``limit`` outlets (a reply keeps
    them newest first), the rest counted. Plain text: adapters escape it."""
    names = list(dict.fromkeys(o for o in outlets if o))
    if len(names) <= limit:
        return ", ".join(names)
    return f"{', '.join(names[:limit])} and {len(names) - limit} more"


def with_outlets(reply: Reply, outlets: Sequence[str]) -> Reply:
    """``reply`` with ``also`` set to ``outlets`` (newest first, its own source
    and repeats left out): what an edit of a sent reply shows, the same for the
    same outlets however often it is rendered."""
    also = tuple(dict.fromkeys(o for o in outlets if o and o != reply.source))
    return replace(reply, also=also)


def day(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%d") if when else "date unknown"


def published_label(entry: Entry) -> str:
    """The date shown for an item: the day its feed says it was published or,
    when the feed gave no usable date (none, unreadable, more than a day ahead)
    and ``published`` is when the bot first saw it, that time, said so: the
    reader must not take it for the outlet's date."""
    if entry.date_was_replaced:
        seen = entry.first_seen.astimezone(UTC)
        return f"first seen {seen:%Y-%m-%d %H:%M} UTC (no usable date in the feed)"
    return day(entry.published)


def _said(view: FactView) -> str:
    return f"{view.source or 'unknown source'}, {day(view.since)}"


def fact_line(spec: FactSpec, view: FactView | None) -> FactLine:
    if view is None or view.value is None:
        return FactLine(label=spec.label, value="unknown", since=None, source=None)
    contenders = tuple(
        f"{c.who} says {spec.value_label(c.value)} ({day(c.published)})" for c in view.contenders
    )
    return FactLine(
        label=spec.label,
        value=spec.value_label(view.value),
        since=day(view.since),
        source=view.source,
        disputed=view.disputed,
        contenders=contenders,
    )


def card(
    storyline: Storyline, views: Mapping[str, FactView], *, updated: datetime | None = None
) -> Card:
    """The root card: the storyline and the current value of each fact."""
    return Card(
        storyline=storyline.id,
        title=storyline.title,
        description=storyline.description,
        facts=tuple(fact_line(spec, views.get(spec.id)) for spec in storyline.facts),
        updated=day(updated) if updated else None,
    )


def _disputes(spec: FactSpec, view: FactView) -> str:
    return "; ".join(
        f"{c.who} says {spec.value_label(c.value)} ({day(c.published)})" for c in view.contenders
    )


def unconfirmed(view: FactView) -> Claim | None:
    """The one newer report of another value behind a dispute, when that is all
    the dispute is (a value changing, awaiting a second source)."""
    others = [c for c in view.contenders if c.value != view.value]
    if len(others) == 1 and view.since is not None and others[0].published > view.since:
        return others[0]
    return None


def change_text(spec: FactSpec, change: FactChange) -> str:
    """``Label: was X — source, date → now Y — source, date``; when only the
    dispute flag moved, who says what (or that the dispute is settled)."""
    old, new = change.old, change.new
    now = f"{spec.value_label(new.value)} — {_said(new)}"
    if old.value == new.value and new.disputed:
        fresh = unconfirmed(new)
        if fresh is not None:
            return (
                f"{spec.label}: {fresh.who} reports {spec.value_label(fresh.value)} "
                f"({day(fresh.published)}), not yet confirmed by another source. "
                f"Still shown as {now}."
            )
        return f"{spec.label} is disputed: {_disputes(spec, new)}. Still shown as {now}."
    if old.value == new.value:
        return f"{spec.label}: no longer disputed — {now}"
    was = "unknown" if old.value is None else f"{spec.value_label(old.value)} — {_said(old)}"
    text = f"{spec.label}: was {was} → now {now}"
    if new.disputed and new.contenders:
        text += f" (disputed: {_disputes(spec, new)})"
    return text


def change_reply(storyline: Storyline, change: FactChange) -> Reply:
    spec = storyline.fact(change.fact)
    if not change.new.disputed:
        title = f"{spec.label} changed"
    elif change.old.value == change.new.value and unconfirmed(change.new) is not None:
        title = f"{spec.label}: new report, not yet confirmed"
    else:
        title = f"{spec.label} is disputed"
    return Reply(
        kind="fact_change",
        storyline=storyline.id,
        title=title,
        text=change_text(spec, change),
        url=change.cause.url,
        source=change.cause.source,
        published=day(change.cause.published),
    )


def coverage_reply(
    storyline: Storyline, entry: Entry, match: MatchResult, also: Sequence[str] = ()
) -> Reply:
    why = ", ".join(dict.fromkeys(r.term for r in match.reasons if r.weight > 0))
    return Reply(
        kind="coverage",
        storyline=storyline.id,
        title=entry.title,
        text=entry.summary,
        url=entry.url,
        source=entry.source,
        published=published_label(entry),
        also=tuple(also),
        why=f"score {match.score:.0f}: {why}" if why else f"score {match.score:.0f}",
        title_made=entry.title_made,
    )


def summary_reply(storyline: Storyline, items: int, changes: int = 0) -> Reply:
    """The one reply standing for a cycle's replies beyond the per-thread cap:
    ``items`` more matched items and ``changes`` more fact changes."""
    parts = []
    if items:
        parts.append(f"{items} more matched item{'' if items == 1 else 's'}")
    if changes:
        parts.append(f"{changes} more fact change{'' if changes == 1 else 's'}")
    return Reply(
        kind="summary",
        storyline=storyline.id,
        title="and " + " and ".join(parts),
        text=f"threadline storylines show {storyline.id}",
    )
