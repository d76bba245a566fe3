"""The audit log's lines are a contract other tools read (README, "Audit log"): a
recorded decision writes, line for line, events with the keys, in the order and of
the JSON types of ``tests/data/audit/decided.jsonl`` (written before the events were
typed; regenerate it only for a deliberate, documented change of the contract)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.core.decide import Known, ReplyCap, decide
from bot.core.match import Matcher
from bot.core.subscriptions import ChannelAddress, DigestSchedule, Subscription
from bot.storage.audit_log import AuditLog
from tests.core.builders import entry, storyline

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "audit" / "decided.jsonl"


def _record(path: Path) -> None:
    s = storyline()
    items = [
        ("Acme Widget 5 could be suspended by export directive", 0, "a.example", 1),
        ("Export directive suspends Acme Widget 5", 1, "acme.com", 1),
        ("Export directive suspends Acme Widget 5", 2, "b.example", 2),
        ("Chip stocks rally as quarterly earnings beat forecasts", 3, "c.example", 1),
        ("Acme restores Widget 5 only to vetted partners", 4, "acme.com", 1),
        ("Acme restores Widget 5 for every customer", 5, "acme.com", 1),
        ("Acme Widget 5 directive: a 30 day suspension", 6, "d.example", 3),
    ]
    entries = [
        entry(title, hours=hours, source=source, feed_id=feed, url=f"https://{source}/{n}")
        for n, (title, hours, source, feed) in enumerate(items)
    ]
    subscriptions = [
        Subscription(1, ChannelAddress("slack", "C1"), s.id, True),
        Subscription(2, ChannelAddress("slack", "C2"), s.id, True, digest=DigestSchedule("09:00")),
    ]
    known = Known(
        storylines=[s],
        matcher=Matcher([s]),
        claims={},
        states={},
        subscriptions=subscriptions,
        backlog_feeds=frozenset({3}),
    )
    decision = decide(entries, known, ReplyCap(per_thread=1))
    AuditLog(path).write(decision.audit)


def _shape(value: Any) -> Any:
    """A JSON value's keys (in order) and types, not its text."""
    if isinstance(value, dict):
        return [(k, _shape(v)) for k, v in value.items()]
    if isinstance(value, list):
        return ["list", *{json.dumps(_shape(v)) for v in value}]
    return type(value).__name__


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_recorded_decision_writes_the_contracted_events(tmp_path: Path) -> None:
    _record(tmp_path / "audit.jsonl")
    written, golden = _lines(tmp_path / "audit.jsonl"), _lines(GOLDEN)
    assert [e["event"] for e in written] == [e["event"] for e in golden]
    assert [_shape(e) for e in written] == [_shape(e) for e in golden]
    # The contracted values of the two events tools rely on.
    contract = {"item.matched": ("storyline", "score", "posted"), "fact.changed": ("old", "new")}
    for new, old in zip(written, golden, strict=True):
        for key in contract.get(old["event"], ()):
            assert new[key] == old[key]
