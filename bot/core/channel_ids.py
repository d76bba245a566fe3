"""Reading ``platform:channel`` text into a ``ChannelAddress``, by rules each
platform gives as data (``ChannelIds``): the core knows no platform's id format."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.core.subscriptions import ChannelAddress


@dataclass(frozen=True, slots=True)
class Refusal:
    """Ids of the platform's form that are still refused: ``reason`` says why,
    with ``{platform}`` and ``{channel}`` filled in."""

    pattern: re.Pattern[str]
    reason: str


@dataclass(frozen=True, slots=True)
class ChannelIds:
    """What one platform's channel ids look like, so a typo or markup such as
    ``<!channel>`` is refused before anything is stored."""

    #: A valid id matches it whole.
    pattern: re.Pattern[str]
    #: Said when an id does not match: how to find the right one.
    hint: str
    #: How help text writes an id ("CHANNEL_ID" → ``slack:CHANNEL_ID``).
    form: str = "CHANNEL_ID"
    #: Checked before ``pattern``: ids refused with their own reason.
    refused: tuple[Refusal, ...] = ()


def channel_forms(rules: Mapping[str, ChannelIds]) -> str:
    """``slack:CHANNEL_ID, discord:CHANNEL_ID or console:NAME`` for ``rules``."""
    forms = [f"{platform}:{ids.form}" for platform, ids in rules.items()]
    return " or ".join([", ".join(forms[:-1]), forms[-1]] if len(forms) > 1 else forms)


def read_channel_address(text: str, rules: Mapping[str, ChannelIds]) -> ChannelAddress:
    """The address ``text`` names (``slack:C0123ABCD``). Raises ``ValueError``,
    saying what was expected, when the platform is not one of ``rules`` or the
    id is not one of that platform's."""
    platform, sep, channel = text.strip().partition(":")
    ids = rules.get(platform)
    if not sep or not channel or ids is None:
        raise ValueError(f"channel {text!r} must look like {channel_forms(rules)}")
    for refusal in ids.refused:
        if refusal.pattern.fullmatch(channel):
            raise ValueError(refusal.reason.format(platform=platform, channel=channel))
    if not ids.pattern.fullmatch(channel):
        raise ValueError(f"{platform} channel id {channel!r} is not valid: {ids.hint}")
    return ChannelAddress(platform, channel)
