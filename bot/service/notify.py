"""Notices to admins: a feed or a channel subscription was disabled, and why.

They go to ``THREADLINE_ADMIN_CHANNEL`` (``slack:C…`` / ``discord:…``) when set, and
always to the log. A notice that cannot be delivered is logged, never raised: the
bot goes on.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Mapping

from bot.core.posts import Reply
from bot.core.subscriptions import ChannelAddress
from bot.errors import DeliveryError
from bot.ports import ChatPlatform

log = logging.getLogger(__name__)


class AdminNotifier:
    def __init__(
        self, platforms: Mapping[str, ChatPlatform], channel: ChannelAddress | None
    ) -> None:
        self.platforms = platforms
        self.channel = channel
        self._seq = itertools.count(1)
        self._run = f"{time.time_ns():x}"

    async def __call__(self, text: str, *, title: str = "Threadline needs an admin") -> None:
        log.warning("admin notice: %s", text)
        platform = self.platforms.get(self.channel.platform) if self.channel else None
        if platform is None or self.channel is None:
            return
        notice = Reply(kind="notice", storyline="", title=title, text=text)
        key = f"tl-notice-{self._run}-{next(self._seq)}"
        try:
            await platform.post_notice(self.channel.channel, notice, idempotency_key=key)
        except DeliveryError as exc:
            log.error("could not notify admins in %s: %s", self.channel, exc.message)
