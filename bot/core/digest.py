"""Daily digests: when a channel's digest is due, and what it says.

Pure. A channel that follows a storyline with ``digest:daily`` gets its
coverage gathered (fact changes are still posted at once) and, once a day at
the time it chose, one reply: the top items by match score, how many items
and outlets, and which outlets. The schedule is local time in an IANA zone
(``zoneinfo``), UTC unless the channel names one.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.posts import DigestItem, Reply
from bot.core.storyline import Storyline
from bot.core.subscriptions import DigestSchedule

#: Items listed in one digest; the rest are counted.
MAX_DIGEST_ITEMS = 10
#: Outlets named in the digest's counts line; the rest are counted.
MAX_DIGEST_OUTLETS = 8
DEFAULT_AT = "09:00"

_HHMM = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


class DigestOptionError(ValueError):
    """A digest option that cannot be read (the message says why, for the user)."""


def parse_at(text: str) -> str:
    """``9:00`` → ``09:00``. Raises :class:`DigestOptionError`."""
    m = _HHMM.fullmatch(text.strip())
    if not m:
        raise DigestOptionError(f"digest time {text!r} must be HH:MM (24-hour), like 09:00")
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def parse_tz(text: str) -> str:
    """An IANA zone name (``Europe/Berlin``, ``UTC``). Raises :class:`DigestOptionError`."""
    name = text.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DigestOptionError(
            f"unknown time zone {text!r}: use a name like UTC or Europe/Berlin"
        ) from None
    return name


def schedule(mode: str, at: str | None = None, tz: str | None = None) -> DigestSchedule | None:
    """The schedule for ``digest:MODE [at:HH:MM] [tz:ZONE]``: ``daily`` or ``off``
    (None). Raises :class:`DigestOptionError` for anything else."""
    mode = mode.strip().lower()
    if mode == "off":
        if at or tz:
            raise DigestOptionError("digest:off takes no time or zone")
        return None
    if mode != "daily":
        raise DigestOptionError(f"digest must be daily or off, not {mode!r}")
    return DigestSchedule(at=parse_at(at) if at else DEFAULT_AT, tz=parse_tz(tz) if tz else "UTC")


def parse_options(words: Sequence[str]) -> DigestSchedule | bool | None:
    """Read ``digest:daily at:09:00 tz:Europe/Berlin`` (in any order) from a
    command's words: the schedule, None for ``digest:off``, False when no
    ``digest:`` option is given. Raises :class:`DigestOptionError`."""
    options: dict[str, str] = {}
    for word in words:
        key, sep, value = word.partition(":")
        key = key.lower()
        if not sep or key not in ("digest", "at", "tz") or not value:
            raise DigestOptionError(
                f"unknown option {word!r}: follow <storyline> [digest:daily|off] "
                "[at:HH:MM] [tz:ZONE]"
            )
        if key in options:
            raise DigestOptionError(f"{key}: is given twice")
        options[key] = value
    if "digest" not in options:
        if options:
            raise DigestOptionError("at: and tz: go with digest:daily")
        return False
    return schedule(options["digest"], options.get("at"), options.get("tz"))


def slot(digest: DigestSchedule, now: datetime) -> tuple[date, datetime]:
    """The latest digest time at or before ``now``: its local day (what names the
    digest, once per day) and the moment, aware UTC."""
    zone = ZoneInfo(digest.tz)
    hour, minute = (int(p) for p in digest.at.split(":"))
    local = now.astimezone(zone)
    day = local.date()
    at = datetime.combine(day, time(hour, minute), zone)
    if at > local:
        day -= timedelta(days=1)
        at = datetime.combine(day, time(hour, minute), zone)
    return day, at.astimezone(now.tzinfo)


def due(
    digest: DigestSchedule, since: datetime | None, now: datetime
) -> tuple[date, datetime] | None:
    """The digest to produce now, if any: the latest slot (see :func:`slot`) when
    it comes after ``since`` (when gathering started, or the last digest)."""
    day, at = slot(digest, now)
    if since is not None and at <= since:
        return None
    return day, at


@dataclass(frozen=True, slots=True)
class Gathered:
    """An item gathered for a digest: its headline, link, outlet, score, and
    the other outlets that reported the same story."""

    title: str
    url: str | None
    source: str
    score: float
    published: datetime
    outlets: tuple[str, ...] = ()


def digest_reply(storyline: Storyline, day: date, items: Sequence[Gathered]) -> Reply | None:
    """The digest reply for ``items`` (None when there are none: a quiet day
    posts nothing). Top items by score (newer first on a tie), each with how
    many other outlets carried it; the counts line names the outlets by how
    many items they carried."""
    if not items:
        return None
    ranked = sorted(items, key=lambda g: (-g.score, -g.published.timestamp(), g.title))
    per_outlet: Counter[str] = Counter()
    for g in items:
        per_outlet[g.source] += 1
        for outlet in dict.fromkeys(g.outlets):
            if outlet != g.source:
                per_outlet[outlet] += 1
    outlets = sorted(per_outlet.items(), key=lambda kv: (-kv[1], kv[0]))
    named = ", ".join(f"{name} ({n})" for name, n in outlets[:MAX_DIGEST_OUTLETS])
    if len(outlets) > MAX_DIGEST_OUTLETS:
        named += f" and {len(outlets) - MAX_DIGEST_OUTLETS} more"
    n_items, n_outlets = len(items), len(outlets)
    counts = (
        f"{n_items} matched item{'' if n_items == 1 else 's'} from "
        f"{n_outlets} outlet{'' if n_outlets == 1 else 's'}: {named}"
    )
    shown = ranked[:MAX_DIGEST_ITEMS]
    if n_items > len(shown):
        counts += f"; the top {len(shown)} by match score below"
    return Reply(
        kind="digest",
        storyline=storyline.id,
        title=f"Daily digest, {day.isoformat()}: {storyline.title}",
        text=counts,
        published=day.isoformat(),
        items=tuple(
            DigestItem(
                title=g.title,
                url=g.url,
                source=g.source,
                score=round(g.score, 1),
                also=len({o for o in g.outlets if o != g.source}),
            )
            for g in shown
        ),
    )
