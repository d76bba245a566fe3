"""The audit log: one JSON object per line, appended, for every decision.

The event shapes are a contract other tools rely on (README, "Audit log"): keep
``item.matched`` and ``fact.changed`` stable; new events may be added.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any


class AuditLog:
    def __init__(self, path: Path | None) -> None:
        self.path = path

    def write(self, events: Iterable[dict[str, Any]]) -> None:
        if self.path is None:
            return
        lines = [json.dumps(e, ensure_ascii=False, default=str) + "\n" for e in events]
        if not lines:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One write per batch keeps a batch's lines together even with two writers.
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write("".join(lines))
