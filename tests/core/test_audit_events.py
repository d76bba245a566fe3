"""The audit lines of polling, delivery and digests keep the shapes other tools read
(README, "Audit log"): the keys, in this order, with these values. (The decider's
events are held to a recorded decision by tests/storage/test_audit_log.py.)"""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from typing import Any

from bot.core.audit_events import (
    AuditEvent,
    CommandRun,
    DeliveryFailed,
    DeliverySent,
    DigestProduced,
    FeedDisabled,
    FeedFailed,
    ItemMatched,
    ItemUnmatched,
    _json,
)
from bot.core.commands import CommandReply, CommandRequest, Invoker
from bot.core.posts import PostKind
from bot.core.subscriptions import ChannelAddress
from bot.errors import ErrorCode
from tests.core.builders import entry

C1 = ChannelAddress("slack", "C1", "T1")


def line(event: AuditEvent) -> list[tuple[str, Any]]:
    """The event as the log has it: a JSON object's items, in order."""
    return list(json.loads(json.dumps(event.to_record(), default=str)).items())


def test_a_failing_feed_and_a_disabled_one() -> None:
    failed = FeedFailed("Wire", "https://w.example/feed", ErrorCode.TIMEOUT, "timed out", 2)
    assert line(failed) == [
        ("event", "feed.error"),
        ("feed", "Wire"),
        ("url", "https://w.example/feed"),
        ("code", "timeout"),
        ("error", "timed out"),
        ("failures", 2),
    ]
    gone = FeedDisabled("Wire", "https://w.example/feed", "gone", "HTTP 410", 0)
    assert line(gone)[0] == ("event", "feed.disabled") and line(gone)[1:] == [
        ("feed", "Wire"),
        ("url", "https://w.example/feed"),
        ("code", "gone"),
        ("error", "HTTP 410"),
        ("failures", 0),
    ]


def test_a_sent_row_and_an_edit_that_names_more_outlets() -> None:
    assert line(DeliverySent(7, PostKind.REPLY, C1, "dod-dispute")) == [
        ("event", "delivery.sent"),
        ("outbox", 7),
        ("kind", "reply"),
        ("channel", "slack:C1"),
        ("storyline", "dod-dispute"),
    ]
    edit = DeliverySent(9, PostKind.EDIT_REPLY, C1, "dod-dispute", edited=7, also=("B", "C"))
    assert line(edit)[-2:] == [("edited", 7), ("also", ["B", "C"])]


def test_a_failed_delivery_and_a_digest() -> None:
    failed = DeliveryFailed(7, C1, "dod-dispute", ErrorCode.UNKNOWN_CHANNEL, "gone", True)
    assert [k for k, _ in line(failed)] == [
        "event",
        "outbox",
        "channel",
        "storyline",
        "code",
        "error",
        "subscription_disabled",
    ]
    assert dict(line(failed))["code"] == ErrorCode.UNKNOWN_CHANNEL.value
    digest = DigestProduced("dod-dispute", C1, date(2026, 11, 2), 4, True)
    assert line(digest) == [
        ("event", "digest.produced"),
        ("storyline", "dod-dispute"),
        ("channel", "slack:C1"),
        ("day", "2026-11-02"),
        ("items", 4),
        ("posted", True),
    ]


def test_a_command_run_says_who_ran_what_where_and_masks_a_password() -> None:
    invoker = Invoker("U1", C1, is_admin=True, user_name="ada")
    request = CommandRequest("feeds add", {"url": "https://me:secret@w.example/feed"})
    run = CommandRun(invoker, request, CommandReply("Feed added: " + "x" * 400))
    record = line(run)
    assert [k for k, _ in record] == [
        "event",
        "command",
        "options",
        "ok",
        "answer",
        "by",
        "channel",
        "workspace",
    ]
    values = dict(record)
    assert values["event"] == "command.run" and values["ok"] is True
    assert "secret" not in values["options"]["url"] and len(values["answer"]) == 300
    assert values["by"] == {"platform": "slack", "id": "U1", "name": "ada", "admin": True}
    assert (values["channel"], values["workspace"]) == ("C1", "T1")


def test_a_record_is_each_field_in_turn() -> None:
    """``to_record`` reads each event type's fields once: the same record as
    going through ``dataclasses.fields`` for every event."""

    def reference(event: AuditEvent) -> dict[str, Any]:
        record: dict[str, Any] = {"event": event.name}
        for spec in dataclasses.fields(event):  # type: ignore[arg-type]
            value = getattr(event, spec.name)
            if spec.metadata.get("only_when_set") and value == spec.default:
                continue
            if spec.metadata.get("rounded"):
                value = round(value, 2)
            record[spec.name] = _json(value)
        return record

    item = entry("Ministry files appeal")
    events: list[AuditEvent] = [
        ItemMatched("s", 3.14159, ("subject: 'x'",), True, item),
        ItemMatched("s", 2.0, (), False, item, capped=True),
        ItemUnmatched(None, 0.0, item),
        FeedFailed("Wire", "https://w.example/feed", ErrorCode.TIMEOUT, "timed out", 2),
    ]
    for event in events:
        record = event.to_record()
        assert list(record.items()) == list(reference(event).items())
        assert [type(v) for v in record.values()] == [type(v) for v in reference(event).values()]
