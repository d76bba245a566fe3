from __future__ import annotations

from datetime import UTC, datetime


class SystemClock:
    """The real clock (the ``Clock`` port)."""

    def now(self) -> datetime:
        return datetime.now(UTC)
