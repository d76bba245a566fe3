"""Where storylines are followed: channel addresses, subscriptions and digest choices."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from bot.core.posts import MessageRef


@dataclass(frozen=True, slots=True)
class ChannelAddress:
    platform: str
    channel: str
    workspace: str | None = None

    def __str__(self) -> str:
        return f"{self.platform}:{self.channel}"

    @classmethod
    def parse(cls, text: str) -> ChannelAddress:
        """``slack:C0123ABCD``, ``discord:123456789012345678`` or ``console:NAME``.
        Raises ``ValueError`` when the platform is unknown or the id cannot be
        one of that platform's (a Slack id is C or G then capitals and
        digits; a Discord id is a number), so a typo or markup such as
        ``<!channel>`` is refused before anything is stored. A Slack direct
        message (``D…``) is refused too: threads live in channels, and the app
        has no scope to read a DM's history back after a crash."""
        platform, sep, channel = text.strip().partition(":")
        if not sep or not channel or platform not in _CHANNEL_IDS:
            raise ValueError(
                f"channel {text!r} must look like slack:CHANNEL_ID, "
                "discord:CHANNEL_ID or console:NAME"
            )
        pattern, expected = _CHANNEL_IDS[platform]
        if platform == "slack" and _SLACK_DM.fullmatch(channel):
            raise ValueError(
                f"slack channel {channel!r} is a direct message: Threadline follows "
                "storylines in channels only (invite the bot to a channel and use its ID)"
            )
        if not pattern.fullmatch(channel):
            raise ValueError(f"{platform} channel id {channel!r} is not valid: {expected}")
        return cls(platform, channel)


_SLACK_DM = re.compile(r"D[A-Z0-9]{0,31}")


_CHANNEL_IDS = {
    "slack": (
        re.compile(r"[CG][A-Z0-9]{0,31}"),
        "expected the channel ID, like C0123ABCD (channel details → copy channel ID)",
    ),
    "discord": (
        re.compile(r"[0-9]{1,20}"),
        "expected the numeric channel ID (Developer Mode → Copy Channel ID)",
    ),
    "console": (re.compile(r"[\w.-]{1,80}"), "expected a short name of letters and digits"),
}


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
