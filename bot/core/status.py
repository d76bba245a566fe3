"""The admins' status page as plain data, and its text form.

``StatusReport`` is what ``/threadline status``, ``threadline status`` and the
Slack App Home show: feeds by health (failing first), the outbox (an
``OutboxBacklog``, in the words ``threadline outbox list`` and ``run --once``
use: how many wait, the oldest and its age, held by other processes, failed,
and why they wait) and each storyline's current states. Feed details (URLs,
errors) and the outbox are for admins only: a report built for anyone else
carries neither (``admin`` false, ``feeds`` empty, ``outbox`` None).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.backlog import OutboxBacklog
from bot.core.urls import redact_url

# Health order: what needs an admin first.
HEALTH_ORDER = {"failing": 0, "disabled": 1, "new": 2, "ok": 3}


@dataclass(frozen=True, slots=True)
class FeedHealth:
    id: int
    name: str
    url: str
    health: str  # failing | disabled | new | ok
    failures: int = 0
    last_success_at: datetime | None = None
    last_error: str | None = None
    error_code: str | None = None
    next_poll_at: datetime | None = None
    disabled_reason: str | None = None


@dataclass(frozen=True, slots=True)
class FactState:
    label: str
    value: str
    since: datetime | None = None
    source: str | None = None
    disputed: bool = False


@dataclass(frozen=True, slots=True)
class StorylineState:
    id: str
    title: str
    status: str
    facts: tuple[FactState, ...]

    @property
    def last_change(self) -> datetime | None:
        return max((f.since for f in self.facts if f.since is not None), default=None)


@dataclass(frozen=True, slots=True)
class StatusReport:
    now: datetime
    admin: bool
    storylines: tuple[StorylineState, ...]
    feeds: tuple[FeedHealth, ...] = ()
    outbox: OutboxBacklog | None = None

    def feed_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for feed in self.feeds:
            counts[feed.health] = counts.get(feed.health, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: HEALTH_ORDER.get(kv[0], 9)))


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


def feed_line(feed: FeedHealth) -> str:
    """One feed's health in one line (admins only: it names the URL)."""
    parts = [f"#{feed.id} {feed.name} — {feed.health}"]
    if feed.health == "disabled":
        parts[0] += f" ({feed.disabled_reason or 'by an admin'})"
    elif feed.failures:
        parts[0] += f" ({feed.failures} failure{'s' if feed.failures != 1 else ''} in a row)"
    parts.append(f"last success {when(feed.last_success_at)}")
    if feed.health != "disabled":
        parts.append(f"next poll {when(feed.next_poll_at)}")
    line = ", ".join(parts) + f" — {redact_url(feed.url)}"
    if feed.last_error and feed.health in ("failing", "disabled"):
        line += f"\n    last error: {feed.last_error}"
    return line


def fact_state_line(fact: FactState, *, compact: bool = False) -> str:
    flag = " [disputed]" if fact.disputed else ""
    if compact:  # "(since 2026-04-09, Law.com)"
        said = ", ".join(x for x in (fact.since and f"{fact.since:%Y-%m-%d}", fact.source) if x)
        return f"{fact.label}: {fact.value}{flag}" + (f" ({said})" if said else "")
    since = f" since {when(fact.since)}" if fact.since else ""
    source = f" ({fact.source})" if fact.source else ""
    return f"{fact.label}: {fact.value}{flag}{since}{source}"


def storyline_heading(storyline: StorylineState, *, compact: bool = False) -> str:
    if compact:
        last = f"{storyline.last_change:%Y-%m-%d}" if storyline.last_change else "never"
        return f"{storyline.id} ({storyline.status}), last change {last}"
    return (
        f"{storyline.id} ({storyline.status}) — {storyline.title} — "
        f"last change {when(storyline.last_change)}"
    )


# In chat (``compact``) at most this many feeds needing an admin are listed;
# healthy ones are counted, not listed (``feeds list`` lists them).
COMPACT_FEEDS = 8


def format_status(
    report: StatusReport, *, compact: bool = False, feeds_list: str = "threadline feeds list"
) -> str:
    """The report as plain text (the CLI prints it; chat escapes it). ``compact``
    is for chat messages (Discord allows 2,000 characters): feeds needing an
    admin only, and fact dates without the time; the feeds left out are counted
    and ``feeds_list`` names the command that lists them where the admin reads."""
    lines = [f"Threadline status at {when(report.now)}"]
    if report.admin:
        counts = ", ".join(f"{n} {health}" for health, n in report.feed_counts().items())
        lines += ["", f"Feeds ({len(report.feeds)}): {counts or 'none'}"]
        shown = report.feeds
        if compact:
            needy = [f for f in report.feeds if f.health != "ok"]
            shown = tuple(needy[:COMPACT_FEEDS])
            if len(shown) < len(report.feeds):
                hidden = len(report.feeds) - len(shown)
                lines.append(f"  ({hidden} not listed here: `{feeds_list}` lists every feed)")
        lines += [f"  {feed_line(f)}".replace("\n", "\n  ") for f in shown]
        if report.outbox is not None:
            lines += ["", *report.outbox.lines()]
    lines += ["", "Storylines:"]
    for storyline in report.storylines:
        lines.append(f"  {storyline_heading(storyline, compact=compact)}")
        lines += [f"    {fact_state_line(f, compact=compact)}" for f in storyline.facts]
    if not report.storylines:
        lines.append("  none defined")
    if not report.admin:
        lines += ["", "Feed health and the outbox are shown to admins only."]
    return "\n".join(lines)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def status_json(report: StatusReport) -> dict[str, object]:
    """The report as JSON-ready data (``threadline status --json``)."""
    data: dict[str, object] = {
        "now": _iso(report.now),
        "storylines": [
            {
                "id": s.id,
                "title": s.title,
                "status": s.status,
                "last_change": _iso(s.last_change),
                "facts": [
                    {
                        "label": f.label,
                        "value": f.value,
                        "since": _iso(f.since),
                        "source": f.source,
                        "disputed": f.disputed,
                    }
                    for f in s.facts
                ],
            }
            for s in report.storylines
        ],
    }
    if report.admin:
        data["feeds"] = [
            {
                "id": f.id,
                "name": f.name,
                "url": redact_url(f.url),
                "health": f.health,
                "failures": f.failures,
                "last_success": _iso(f.last_success_at),
                "last_error": f.last_error,
                "error_code": f.error_code,
                "next_poll": _iso(f.next_poll_at),
                "disabled_reason": f.disabled_reason,
            }
            for f in report.feeds
        ]
        if report.outbox is not None:
            outbox = report.outbox
            data["outbox"] = {
                "depth": outbox.waiting,
                "due": outbox.due,
                "held_elsewhere": outbox.held_elsewhere,
                "failed": outbox.failed,
                "oldest": _iso(outbox.oldest),
                "oldest_age_seconds": (
                    max(int((outbox.now - outbox.oldest).total_seconds()), 0)
                    if outbox.oldest
                    else None
                ),
                "reasons": [
                    {
                        "platform": r.platform,
                        "error": r.error,
                        "rows": r.rows,
                        "next_attempt": _iso(r.next_attempt),
                    }
                    for r in outbox.reasons
                ],
            }
    return data
