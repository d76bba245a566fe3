"""Where storylines are followed: channel addresses, subscriptions and digest choices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.posts import MessageRef


@dataclass(frozen=True, slots=True)
class ChannelAddress:
    """A channel on a chat platform (``slack:C0123ABCD``). Text is read into one by
    ``bot.core.channel_ids`` with the rules of the registered platforms."""

    platform: str
    channel: str
    workspace: str | None = None

    def __str__(self) -> str:
        return f"{self.platform}:{self.channel}"


@dataclass(frozen=True, slots=True)
class DigestSchedule:
    """A channel's daily digest of a storyline's coverage: at ``at`` ("HH:MM")
    local time in ``tz`` (an IANA zone name, "UTC" by default)."""

    at: str = "09:00"
    tz: str = "UTC"

    def __str__(self) -> str:
        return f"daily at {self.at} {self.tz}"


@dataclass(frozen=True, slots=True)
class Subscription:
    """A channel following a storyline. ``digest`` set: coverage is gathered
    into one reply a day (fact changes are still posted at once);
    ``digest_since`` is when the gathering started (the last digest's time, or
    when the digest was turned on)."""

    id: int
    address: ChannelAddress
    storyline: str
    enabled: bool
    root: MessageRef | None = None
    disabled_reason: str | None = None
    digest: DigestSchedule | None = None
    digest_since: datetime | None = None
