"""Plain data shared by the core, the ports and the adapters."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal

# --- feeds and items ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RawEntry:
    """One entry as the parser read it, before normalisation.

    ``published`` is the parser's best reading of the entry's date (aware UTC) or
    None; ``published_text`` is the date string exactly as the feed gave it.
    ``title_is_html`` is False when the feed declared (or plainly wrote) the
    title as plain text: then ``<int>`` in it is text, not a tag.
    """

    guid: str | None
    link: str | None
    title: str
    summary_html: str
    published: datetime | None
    published_text: str | None = None
    title_is_html: bool = True


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str
    link: str | None
    entries: tuple[RawEntry, ...]


@dataclass(frozen=True, slots=True)
class Entry:
    """A normalised item of one feed.

    ``key`` is stable across polls (guid → canonical link → hash of title+date) and
    unique within the feed. ``published`` is what ordering uses: the feed's date,
    or ``first_seen`` when the feed gave none or a future one (``published_text``
    keeps the original). ``title`` and ``summary`` are plain text with no control
    characters; ``url`` is canonical (no tracking parameters, no fragment).
    ``title_made`` is set when the feed gave no headline and ``title`` was made
    from the summary or the link (``bot.core.titles``): shown marked, never matched.
    """

    feed_id: int
    key: str
    guid: str | None
    url: str | None
    title: str
    summary: str
    published: datetime
    first_seen: datetime
    source: str
    published_text: str | None = None
    date_was_replaced: bool = False
    title_made: bool = False

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.summary}" if self.summary else self.title


# --- storylines ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TermGroup:
    """Named set of phrases; any phrase (or a close misspelling) is a hit for the group."""

    name: str
    phrases: tuple[str, ...]
    fuzzy: bool = True


@dataclass(frozen=True, slots=True)
class Sibling:
    """A neighbouring story whose items this storyline must not take: the same
    kind of event about another country, another product, another case.

    ``phrases`` name what tells the sibling apart ("South Korea", "GPT-5.6");
    ``storyline`` names another storyline file that covers it, whose matches win
    over this one's when both match and it scores higher.
    """

    name: str
    phrases: tuple[str, ...] = ()
    storyline: str | None = None
    description: str = ""
    #: What the sibling names in place of this storyline's own: ``actors``
    #: (another company), ``parties`` (another country or regulator) or
    #: ``subjects`` (another product). The sibling then wins unless that kind
    #: of own evidence is named at least as prominently; unset, two kinds of own
    #: evidence must be.
    instead_of: Literal["actors", "parties", "subjects"] | None = None


@dataclass(frozen=True, slots=True)
class MatchRules:
    """What an item must mention to belong to a storyline.

    An item matches when its score reaches ``threshold`` (0–100) and it names
    either an actor and a topic (the classic rule), or the storyline's subject
    with an actor, a party, an authority (court, judge, ministry …) or a topic.
    ``subjects`` are what is disputed (a product, a designation, a case);
    ``parties`` are the other side, named courts and officials: they count as
    actors only when the subject is there. ``boosters`` add to the score;
    ``exclude`` phrases mark near-misses and subtract; ``siblings`` name
    neighbouring stories that win the item unless it names this storyline's own
    actor and subject at least as prominently. Items published before
    ``since`` or after ``until`` (when set) are background to the story, not
    coverage of it.
    """

    actors: tuple[TermGroup, ...]
    topics: tuple[TermGroup, ...]
    boosters: tuple[TermGroup, ...] = ()
    exclude: tuple[TermGroup, ...] = ()
    threshold: float = 60.0
    subjects: tuple[TermGroup, ...] = ()
    parties: tuple[TermGroup, ...] = ()
    siblings: tuple[Sibling, ...] = ()
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class SeededClaim:
    """A value known before the feeds start (from the storyline file)."""

    value: str
    date: datetime
    source: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class FactValueSpec:
    """One value of a fact and how news says it became current.

    ``events`` names event kinds or classes of the reader's lexicon
    (``bot/core/reader/lexicon/kinds.yaml``: "block", "stop"; "not pause" for a
    refusal, "may designate" for a threat); ``None``
    means "infer them from the value's own name" (``blocked`` -> the ``stop``
    class), so files without the key keep working. ``subject`` phrases (else the
    fact's) must be in the same clause as the event. ``partial_of`` names the
    value this one is the restricted form of: that value's events together with
    a restrictive qualifier ("for vetted organisations") claim this one.
    ``cues`` are extra phrases of the storyline's own, matched as written.
    """

    value: str
    label: str
    cues: tuple[str, ...]
    events: tuple[str, ...] | None = None
    subject: tuple[str, ...] = ()
    partial_of: str | None = None


@dataclass(frozen=True, slots=True)
class FactSpec:
    """A disputed fact of a storyline.

    ``kind`` is ``enum`` (one of ``values``), ``integer`` or ``text`` (the value is
    captured from the text by the cue patterns). ``subject`` phrases name what
    the fact is about ("designation", "label"): a value is claimed only from a
    clause that names one of them beside the event (values may narrow it).
    ``qualifiers`` add to the general restrictive qualifiers ("only", "for
    vetted organisations") that make a value partial.
    """

    id: str
    label: str
    kind: Literal["enum", "integer", "text"]
    values: tuple[FactValueSpec, ...]
    history: tuple[SeededClaim, ...] = ()
    required: bool = False
    description: str = ""
    patterns: tuple[str, ...] = ()
    subject: tuple[str, ...] = ()
    qualifiers: tuple[str, ...] = ()

    def value_label(self, value: str | None) -> str:
        if value is None:
            return "unknown"
        for v in self.values:
            if v.value == value:
                return v.label
        return value


@dataclass(frozen=True, slots=True)
class Storyline:
    id: str
    title: str
    description: str
    status: Literal["open", "closed"]
    match: MatchRules
    facts: tuple[FactSpec, ...]
    authoritative_sources: tuple[str, ...] = ()

    def fact(self, fact_id: str) -> FactSpec:
        for f in self.facts:
            if f.id == fact_id:
                return f
        raise KeyError(fact_id)


# --- matching -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a score moved: ``term`` (as written in the storyline) was found as
    ``found`` (as written in the item), in ``group``, with ``similarity`` 0–100
    (100 = exact), adding ``weight`` to the score (negative for exclusions)."""

    group: str
    term: str
    found: str
    similarity: float
    weight: float
    where: Literal["title", "summary"] = "title"
    #: Set when the reason is a rule rather than a term ("closer storyline: …").
    note: str = ""

    def describe(self) -> str:
        if self.note:
            return f"{self.group}: {self.note}" + (f" ({self.weight:+.0f})" if self.weight else "")
        how = "exact" if self.similarity >= 100 else f"fuzzy {self.similarity:.0f}"
        return f"{self.group}: {self.term!r} ({how}, {self.where}, {self.weight:+.0f})"


@dataclass(frozen=True, slots=True)
class MatchResult:
    storyline: str
    score: float
    matched: bool
    reasons: tuple[Reason, ...]


FactKey = tuple[str, str]
"""(storyline id, fact id)"""

# --- facts --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Claim:
    """A source asserting a fact's current value at ``published``.

    ``attribution`` is who the text says claims it ("Acme", "the Commerce
    Department"), when it says. ``seeded`` claims come from the storyline file.
    """

    storyline: str
    fact: str
    value: str
    published: datetime
    source: str
    item_key: str
    url: str | None = None
    attribution: str | None = None
    evidence: str = ""
    seeded: bool = False

    @property
    def who(self) -> str:
        return f"{self.attribution} via {self.source}" if self.attribution else self.source


@dataclass(frozen=True, slots=True)
class FactView:
    """A fact's resolved state. ``contenders`` lists, when ``disputed``, the
    latest claim for each value that recent sources assert."""

    storyline: str
    fact: str
    value: str | None
    since: datetime | None = None
    source: str | None = None
    url: str | None = None
    disputed: bool = False
    contenders: tuple[Claim, ...] = ()


@dataclass(frozen=True, slots=True)
class FactChange:
    """The resolved state moved from ``old`` to ``new`` because of ``cause``."""

    storyline: str
    fact: str
    old: FactView
    new: FactView
    cause: Claim


# --- subscriptions and delivery ------------------------------------------------------------


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


# --- commands -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Invoker:
    """Who issued a chat command, where. ``is_admin`` is decided server-side by the
    platform adapter (Slack: workspace admin/owner per ``users.info`` or listed in
    THREADLINE_ADMINS; Discord: Manage Server), never taken from the request."""

    user_id: str
    channel: ChannelAddress
    is_admin: bool
    user_name: str | None = None
    #: The command came from a direct message (Slack DM or group DM): there is
    #: no channel there for a storyline thread.
    direct_message: bool = False


@dataclass(frozen=True, slots=True)
class CommandRequest:
    """One command as the person gave it: its ``name`` (``follow``, ``feeds add``)
    and its ``options`` by name, each value exactly as typed (Discord's typed
    options, or the words ``bot.core.command_text`` read from a Slack line).
    Nothing downstream splits or unquotes a value again."""

    name: str
    options: Mapping[str, str] = field(default_factory=dict)

    def get(self, option: str) -> str | None:
        return self.options.get(option)


@dataclass(frozen=True, slots=True)
class CommandReply:
    """What to answer the user. ``text`` is plain text from our own templates plus
    feed-provided strings: adapters escape it for their markup. ``ok`` is False
    when the command was refused or failed. ``attachments`` go with the answer
    (``show`` attaches the storyline's timeline picture)."""

    text: str
    ok: bool = True
    attachments: tuple[Attachment, ...] = ()


# --- feeds and subscriptions as stored ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Feed:
    """A feed as stored. ``status`` is ``new`` (never polled successfully), ``ok``,
    ``failing`` (last poll failed, backing off) or ``disabled`` (``error_code`` says
    why: ``gone``, ``too_many_failures``, ``removed`` …)."""

    id: int
    url: str
    name: str
    interval_seconds: int
    enabled: bool
    status: str
    failures: int = 0
    last_error: str | None = None
    error_code: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    backlog_done: bool = False
    origin: str = "file"
    tags: tuple[str, ...] = ()
    redirect_url: str | None = None
    redirect_count: int = 0
    last_polled_at: datetime | None = None
    next_poll_at: datetime | None = None
    last_success_at: datetime | None = None


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


@dataclass(frozen=True, slots=True)
class FeedSeed:
    """A feed to add: from ``feeds.yaml``, the CLI or chat."""

    url: str
    name: str
    interval_seconds: int
    tags: tuple[str, ...] = ()
