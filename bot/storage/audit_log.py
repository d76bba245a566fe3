"""The audit log (the ``AuditSink`` port): one JSON object per line, appended, for
every decision.

Each line is an event's ``to_record()`` (``bot.core.audit_events``), whose shapes
are a contract other tools rely on (README, "Audit log").
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from bot.core.audit_events import AuditEvent

# One encoder for every line: ``json.dumps`` with options builds a new one per
# call, a fifth of the cost of a line (a first poll writes 50,000). The same
# options, so the same bytes.
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)


class AuditLog:
    def __init__(self, path: Path | None) -> None:
        self.path = path

    def write(self, events: Iterable[AuditEvent]) -> None:
        if self.path is None:
            return
        encode = _ENCODER.encode
        lines = [encode(e.to_record()) + "\n" for e in events]
        if not lines:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One write per batch keeps a batch's lines together even with two writers.
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write("".join(lines))
