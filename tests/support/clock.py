"""Time for tests: one ``Clock`` double, and dates relative to when they are used.

Nothing here reads the clock at import: a module-level ``NOW`` would go stale in
a long run (or a slow machine) and put "recent" items outside the windows they
are meant to fall in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

T0 = datetime(2026, 6, 12, 12, 0, tzinfo=UTC)


class FakeClock:
    """The ``Clock`` port, moved only by the test (``t`` is the current time)."""

    def __init__(self, start: datetime = T0) -> None:
        self.t = start

    def now(self) -> datetime:
        return self.t

    def set(self, when: datetime) -> None:
        self.t = when

    def advance(self, delta: timedelta) -> datetime:
        self.t += delta
        return self.t


@dataclass(frozen=True)
class Ago:
    """A date this long before the moment it is resolved (negative: in the future).
    Feed documents (``rss``, ``atom``) resolve it when they are built."""

    delta: timedelta

    def resolve(self) -> datetime:
        return wall_now() - self.delta

    def __truediv__(self, n: float) -> Ago:
        return Ago(self.delta / n)


def ago(**delta: float) -> Ago:
    """``ago(days=3)``: three days before the feed is built."""
    return Ago(timedelta(**delta))


def from_now(**delta: float) -> Ago:
    """``from_now(days=1)``: a day after the feed is built."""
    return Ago(-timedelta(**delta))


def wall_now() -> datetime:
    """The real time, to the second (what the CLI in a subprocess will see)."""
    return datetime.now(UTC).replace(microsecond=0)
