"""What the bot posts: root cards, replies, digests, and where a posted message lives."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal


@dataclass(frozen=True, slots=True)
class MessageRef:
    """Where a posted message lives: its id, and the id replies go to (the
    Slack root ``ts``, or the Discord thread channel id)."""

    message_id: str
    thread_id: str


@dataclass(frozen=True, slots=True)
class FactLine:
    label: str
    value: str
    since: str | None
    source: str | None
    disputed: bool = False
    contenders: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a reply: a PNG picture of a fact timeline, say."""

    filename: str
    data: bytes = field(repr=False)
    title: str = ""
    # The storyline thread (Slack ``ts`` / Discord thread id) in the invoking
    # channel, where a platform that shares files to channels should put it.
    thread_id: str | None = None


@dataclass(frozen=True, slots=True)
class Card:
    """The root message of a storyline thread: the storyline and its current facts.
    ``picture`` is the storyline's fact-timeline picture, for platforms that show one."""

    storyline: str
    title: str
    description: str
    facts: tuple[FactLine, ...]
    updated: str | None = None
    picture: Attachment | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """A message in a storyline thread.

    ``kind`` is ``coverage`` (a new item: ``title``/``url``/``source``),
    ``fact_change`` (``text`` holds "was X — source, date → now Y — source, date")
    or ``summary`` (the coverage beyond a cycle's cap: ``title`` is "and N more
    matched items", ``text`` the command that lists them, shown as code).
    ``also`` lists other outlets that reported the same story, newest first
    (adapters show at most :data:`bot.core.render.MAX_OUTLETS_SHOWN` of them,
    through :func:`bot.core.render.outlets_text`). ``title_made``: the feed gave
    no headline, ``title`` was made by Threadline (shown marked). A ``digest`` (a
    channel's daily coverage) has ``title`` "Daily digest …", ``text`` the counts
    and outlets, and its top ``items``.
    """

    kind: Literal["coverage", "fact_change", "notice", "summary", "digest"]
    storyline: str
    title: str
    text: str = ""
    url: str | None = None
    source: str | None = None
    published: str | None = None
    also: tuple[str, ...] = field(default_factory=tuple)
    why: str = ""
    title_made: bool = False
    items: tuple[DigestItem, ...] = ()


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One item of a digest: its headline, where it was first reported, its
    match score, and how many other outlets reported the same story."""

    title: str
    url: str | None
    source: str
    score: float
    also: int = 0


class PostKind(StrEnum):
    """What an outbox row sends: a storyline's root card (when a channel follows
    it), a reply in its thread, or an edit of the root card (a fact changed).
    Root cards are rendered at send time from the current fact states.

    ``EDIT_REPLY`` edits a coverage reply already posted (its item's story was
    reported by another outlet): rendered at send time from the reply as sent
    and the story's current outlets. ``DIGEST_ITEM`` is never sent: it holds a
    matched item for a channel that takes coverage as a daily digest (status
    ``held``, then ``digested``)."""

    ROOT = "root"
    REPLY = "reply"
    EDIT_ROOT = "edit_root"
    EDIT_REPLY = "edit"
    DIGEST_ITEM = "digest_item"
