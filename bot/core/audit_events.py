"""The audit log's events: one frozen type per decision an admin may ask about.

Code branches on an event's type; the log gets ``to_record()``, one JSON object
whose ``event`` key is the type's ``name``. The records are a contract other
tools read (README, "Audit log"): keys, their order and their values stay as
they are. New events, and keys beyond the contract, may be added: consumers
ignore what they do not know. A field is named as its key in the record.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from enum import StrEnum
from typing import Any, ClassVar, NamedTuple

from bot.core.commands import MAX_AUDITED_ANSWER, CommandReply, CommandRequest, Invoker
from bot.core.items import Entry
from bot.core.posts import PostKind
from bot.core.subscriptions import ChannelAddress
from bot.core.urls import redact_url


class AuditEvent:
    """An event's record is its ``name`` then its fields in the order they are
    declared, each as JSON (an item as :func:`item_record`, a channel as
    ``platform:id``, a tuple as a list, a day in ISO form). A field declared with
    ``ROUNDED`` is rounded to two places; one declared with ``ONLY_WHEN_SET`` is
    left out while it keeps its default. An event whose record is not its
    fields says so by overriding ``to_record``."""

    __slots__ = ()

    name: ClassVar[str]

    def to_record(self) -> dict[str, Any]:
        """The line written to the audit log, as a JSON object."""
        record: dict[str, Any] = {"event": self.name}
        for name, only_when_set, default, rounded in _plan(type(self)):
            value = getattr(self, name)
            if only_when_set and value == default:
                continue
            if rounded:
                value = round(value, 2)
            # Most values are JSON as they are: no look-up of what else they may be.
            record[name] = value if value is None or type(value) in _PLAIN else _json(value)
        return record


class _Field(NamedTuple):
    name: str
    only_when_set: bool
    default: Any
    rounded: bool


#: Types whose values are their own JSON (exactly these: a StrEnum is a str too).
_PLAIN = frozenset({str, int, float, bool})


#: Each event type's fields, as its records are written (see ``_plan``).
_PLANS: dict[type[AuditEvent], tuple[_Field, ...]] = {}


def _plan(event: type[AuditEvent]) -> tuple[_Field, ...]:
    """How an event type's record is written, read once per type from its fields
    (``dataclasses.fields`` and each field's metadata cost more than the record)."""
    plan = _PLANS.get(event)
    if plan is None:
        plan = _PLANS[event] = tuple(
            _Field(
                spec.name,
                bool(spec.metadata.get("only_when_set")),
                spec.default,
                bool(spec.metadata.get("rounded")),
            )
            for spec in fields(event)  # type: ignore[arg-type]
        )
    return plan


#: Field metadata: rounded to two places in the record.
ROUNDED = {"rounded": True}
#: Field metadata: left out of the record while it has its default value.
ONLY_WHEN_SET = {"only_when_set": True}


def _json(value: Any) -> Any:
    if isinstance(value, Entry):
        return item_record(value)
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, ChannelAddress):
        return str(value)
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


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
    score: float = field(metadata=ROUNDED)
    reasons: tuple[str, ...]
    posted: bool
    item: Entry
    capped: bool = field(default=False, metadata=ONLY_WHEN_SET)


@dataclass(frozen=True, slots=True)
class ItemUnmatched(AuditEvent):
    """An item no storyline matched, with the best of them (None: no storyline)."""

    name: ClassVar[str] = "item.unmatched"
    best: str | None
    score: float = field(metadata=ROUNDED)
    item: Entry


@dataclass(frozen=True, slots=True)
class FactPosition(AuditEvent):
    """A party's own stance on a fact: shown with who holds it, it moves nothing."""

    name: ClassVar[str] = "fact.position"
    storyline: str
    fact: str
    value: str
    who: str
    item: Entry


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
    capped: bool = field(default=False, metadata=ONLY_WHEN_SET)


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
