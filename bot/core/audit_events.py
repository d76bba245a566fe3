"""The audit log's events: one frozen type per decision an admin may ask about.

Code branches on an event's type; the log gets ``to_record()``, one JSON object
whose ``event`` key is the type's ``name``. The records are a contract other
tools read (README, "Audit log"): keys, their order and their values stay as
they are. New events, and keys beyond the contract, may be added: consumers
ignore what they do not know. A field is named as its key in the record.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from bot.core.commands import MAX_AUDITED_ANSWER, CommandReply, CommandRequest, Invoker
from bot.core.items import Entry
from bot.core.posts import PostKind
from bot.core.subscriptions import ChannelAddress
from bot.core.urls import redact_url


class AuditEvent(ABC):
    __slots__ = ()

    name: ClassVar[str]

    @abstractmethod
    def to_record(self) -> dict[str, Any]:
        """The line written to the audit log, as a JSON object."""


def item_record(entry: Entry) -> dict[str, Any]:
    """The ``item`` of an event about one item."""
    return {
        "guid": entry.guid or entry.key,
        "url": entry.url,
        "title": entry.title,
        "published": entry.published.isoformat(),
        "feed": entry.source,
    }


# --- deciding (``bot.core.decide``) ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemMatched(AuditEvent):
    """One (item, storyline) match; ``capped``: not posted because the thread had
    its replies for the cycle."""

    name: ClassVar[str] = "item.matched"
    storyline: str
    score: float
    reasons: tuple[str, ...]
    posted: bool
    item: Entry
    capped: bool = False

    def to_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "event": self.name,
            "storyline": self.storyline,
            "score": round(self.score, 2),
            "reasons": list(self.reasons),
            "posted": self.posted,
            "item": item_record(self.item),
        }
        if self.capped:
            record["capped"] = True
        return record


@dataclass(frozen=True, slots=True)
class ItemUnmatched(AuditEvent):
    """An item no storyline matched, with the best of them (None: no storyline)."""

    name: ClassVar[str] = "item.unmatched"
    best: str | None
    score: float
    item: Entry

    def to_record(self) -> dict[str, Any]:
        return {
            "event": self.name,
            "best": self.best,
            "score": round(self.score, 2),
            "item": item_record(self.item),
        }


@dataclass(frozen=True, slots=True)
class FactPosition(AuditEvent):
    """A party's own stance on a fact: shown with who holds it, it moves nothing."""

    name: ClassVar[str] = "fact.position"
    storyline: str
    fact: str
    value: str
    who: str
    item: Entry

    def to_record(self) -> dict[str, Any]:
        return {
            "event": self.name,
            "storyline": self.storyline,
            "fact": self.fact,
            "value": self.value,
            "who": self.who,
            "item": item_record(self.item),
        }


@dataclass(frozen=True, slots=True)
class FactClaimed(AuditEvent):
    """A value an item reads for a fact, its factuality, and whether it counts as
    a claim (``claim``) and why (not)."""

    name: ClassVar[str] = "fact.claimed"
    storyline: str
    fact: str
    value: str
    polarity: str
    certainty: str
    time: str
    cues: tuple[str, ...]
    by: str
    claim: bool
    why: str
    evidence: str
    item: Entry

    def to_record(self) -> dict[str, Any]:
        return {
            "event": self.name,
            "storyline": self.storyline,
            "fact": self.fact,
            "value": self.value,
            "polarity": self.polarity,
            "certainty": self.certainty,
            "time": self.time,
            "cues": list(self.cues),
            "by": self.by,
            "claim": self.claim,
            "why": self.why,
            "evidence": self.evidence,
            "item": item_record(self.item),
        }


@dataclass(frozen=True, slots=True)
class FactChanged(AuditEvent):
    """A fact's value (or its being disputed) changed; ``claimed`` and ``source``
    (beyond the contract) say what the item claimed and who says so; ``capped``:
    the change was not posted (the thread had its changes for the cycle)."""

    name: ClassVar[str] = "fact.changed"
    storyline: str
    fact: str
    old: str | None
    new: str | None
    disputed: bool
    item: Entry
    claimed: str
    source: str
    capped: bool = False

    def to_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "event": self.name,
            "storyline": self.storyline,
            "fact": self.fact,
            "old": self.old,
            "new": self.new,
            "disputed": self.disputed,
            "item": item_record(self.item),
            "claimed": self.claimed,
            "source": self.source,
        }
        if self.capped:
            record["capped"] = True
        return record


@dataclass(frozen=True, slots=True)
class PatternTimedOut(AuditEvent):
    """A storyline pattern ran past its time limit on an item and was skipped for
    it (and, when ``skipped_for_cycle``, for the rest of the decision)."""

    name: ClassVar[str] = "pattern.timeout"
    storyline: str
    pattern: str
    timeout: float
    skipped_for_cycle: bool
    item: Entry

    def to_record(self) -> dict[str, Any]:
        return {
            "event": self.name,
            "storyline": self.storyline,
            "pattern": self.pattern,
            "timeout": self.timeout,
            "skipped_for_cycle": self.skipped_for_cycle,
            "item": item_record(self.item),
        }


# --- polling, delivering, digests, commands (``bot.service``) -------------------------------


@dataclass(frozen=True, slots=True)
class FeedFailed(AuditEvent):
    """A poll of a feed failed (``code`` one of ``ErrorCode``'s values, or ``gone``)."""

    name: ClassVar[str] = "feed.error"
    feed: str
    url: str
    code: str
    error: str
    failures: int

    def to_record(self) -> dict[str, Any]:
        return {
            "event": self.name,
            "feed": self.feed,
            "url": self.url,
            "code": self.code,
            "error": self.error,
            "failures": self.failures,
        }


@dataclass(frozen=True, slots=True)
class FeedDisabled(FeedFailed):
    """A poll of a feed failed and the feed is disabled for it."""

    name: ClassVar[str] = "feed.disabled"


@dataclass(frozen=True, slots=True)
class DeliverySent(AuditEvent):
    """An outbox row was sent; an edit of a sent reply (to name more outlets)
    also says which row it ``edited`` and the outlets it names now (``also``)."""

    name: ClassVar[str] = "delivery.sent"
    outbox: int
    kind: PostKind
    channel: ChannelAddress
    storyline: str
    edited: int | None = None
    also: tuple[str, ...] = ()

    def to_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "event": self.name,
            "outbox": self.outbox,
            "kind": self.kind.value,
            "channel": str(self.channel),
            "storyline": self.storyline,
        }
        if self.edited is not None:
            record["edited"] = self.edited
            record["also"] = list(self.also)
        return record


@dataclass(frozen=True, slots=True)
class DeliveryFailed(AuditEvent):
    """An outbox row could not be sent, for good."""

    name: ClassVar[str] = "delivery.failed"
    outbox: int
    channel: ChannelAddress
    storyline: str
    code: str
    error: str
    subscription_disabled: bool

    def to_record(self) -> dict[str, Any]:
        return {
            "event": self.name,
            "outbox": self.outbox,
            "channel": str(self.channel),
            "storyline": self.storyline,
            "code": self.code,
            "error": self.error,
            "subscription_disabled": self.subscription_disabled,
        }


@dataclass(frozen=True, slots=True)
class DigestProduced(AuditEvent):
    """A channel's digest of ``day`` was made of ``items`` held items; ``posted``
    is false when there was nothing to send."""

    name: ClassVar[str] = "digest.produced"
    storyline: str
    channel: ChannelAddress
    day: date
    items: int
    posted: bool

    def to_record(self) -> dict[str, Any]:
        return {
            "event": self.name,
            "storyline": self.storyline,
            "channel": str(self.channel),
            "day": self.day.isoformat(),
            "items": self.items,
            "posted": self.posted,
        }


@dataclass(frozen=True, slots=True)
class CommandRun(AuditEvent):
    """Who ran which command where, with what options (any password in a URL
    masked), whether it succeeded (``ok``) and what they were told."""

    name: ClassVar[str] = "command.run"
    invoker: Invoker
    request: CommandRequest
    reply: CommandReply

    def to_record(self) -> dict[str, Any]:
        invoker = self.invoker
        return {
            "event": self.name,
            "command": self.request.name,
            "options": {k: redact_url(v) for k, v in self.request.options.items()},
            "ok": self.reply.ok,
            "answer": self.reply.text[:MAX_AUDITED_ANSWER],
            "by": {
                "platform": invoker.channel.platform,
                "id": invoker.user_id,
                "name": invoker.user_name,
                "admin": invoker.is_admin,
            },
            "channel": invoker.channel.channel,
            "workspace": invoker.channel.workspace,
        }
