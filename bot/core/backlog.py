"""What the outbox holds and why: the numbers an admin reads in ``threadline
status`` and ``/threadline status``, the App Home, ``threadline outbox list`` and
``run --once``'s summary.

Plain data, filled in by the Store (``outbox_backlog`` / ``outbox_entries``) and
rendered here, so every front end says the same thing in the same words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

#: How many distinct reasons a summary names before it says "and N more".
REASONS_SHOWN = 3
#: A reason's error is cut to this many characters in the summary (a stored error
#: may run to 1,000; ``threadline outbox list`` shows each row's in full), so three
#: reasons fit a chat message beside the rest of the status page.
REASON_ERROR_CHARS = 160


@dataclass(frozen=True, slots=True)
class WaitReason:
    """Rows that wait for the same reason: the last error they met (``None``: not
    tried yet) on one platform, how many, and the earliest next try among them."""

    platform: str
    error: str | None
    rows: int
    next_attempt: datetime | None


@dataclass(frozen=True, slots=True)
class OutboxBacklog:
    """The outbox as seen at ``now`` by the process ``owner``.

    ``waiting`` counts every row still to send (pending, or caught mid-send);
    ``due`` those whose next try has come; ``held_elsewhere`` the due rows under
    another process's live claim; ``failed`` rows that will not be sent unless
    re-queued (``threadline outbox retry --failed``)."""

    now: datetime
    waiting: int
    due: int
    held_elsewhere: int
    failed: int
    oldest: datetime | None
    reasons: tuple[WaitReason, ...]

    def lines(self) -> list[str]:
        """The backlog in a few lines of plain text (one when nothing waits)."""
        if not self.waiting:
            head = "Outbox: nothing waiting."
        else:
            oldest = (
                f"{self.oldest:%Y-%m-%d %H:%M} UTC, {_age(self.now - self.oldest)} ago"
                if self.oldest
                else "?"
            )
            head = (
                f"Outbox: {self.waiting} message{_s(self.waiting)} waiting "
                f"(oldest queued {oldest}), {self.due} due now"
            )
            if self.held_elsewhere:
                head += f", {self.held_elsewhere} held by other processes"
            head += "."
        if self.failed:
            head += (
                f" {self.failed} failed for good (`threadline outbox retry --failed` "
                "re-queues them)."
            )
        out = [head]
        for reason in self.reasons[:REASONS_SHOWN]:
            out.append("  " + reason_line(reason, self.now))
        if len(self.reasons) > REASONS_SHOWN:
            more = sum(r.rows for r in self.reasons[REASONS_SHOWN:])
            out.append(f"  … and {more} more waiting for other reasons")
        return out


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One outbox row as ``threadline outbox list`` shows it."""

    id: int
    channel: str
    storyline: str
    kind: str
    status: str
    attempts: int
    unreachable: int
    created_at: datetime
    next_attempt: datetime | None
    last_error: str | None

    def line(self, now: datetime) -> str:
        tries = f"{self.attempts} answered"
        if self.unreachable:
            tries += f", {self.unreachable} unreachable"
        when = ""
        if self.status in ("pending", "sending"):
            when = (
                f", next try in {_age(self.next_attempt - now)}"
                if self.next_attempt and self.next_attempt > now
                else ", due now"
            )
        error = f": {self.last_error}" if self.last_error else ""
        return (
            f"#{self.id} {self.kind} to {self.channel} ({self.storyline}) {self.status}, "
            f"queued {_age(now - self.created_at)} ago, tries: {tries}{when}{error}"
        )


def reason_line(reason: WaitReason, now: datetime) -> str:
    """``N to PLATFORM: last error; next try in …`` (or ``due now``)."""
    why = reason.error or "not tried yet"
    if len(why) > REASON_ERROR_CHARS:
        why = why[: REASON_ERROR_CHARS - 1] + "…"
    when = (
        f"; next try in {_age(reason.next_attempt - now)}"
        if reason.next_attempt and reason.next_attempt > now
        else "; due now"
    )
    return f"{reason.rows} to {reason.platform}: {why}{when}"


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def _age(delta: timedelta) -> str:
    seconds = max(int(delta.total_seconds()), 0)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} days"
