"""The Slack App Home tab: the status page as a Block Kit ``home`` view.

Built from a ``StatusReport`` (feed details and the outbox are in it only for
admins). Every feed-provided string is escaped; the view stays within Slack's
100-block limit for views, healthy feeds first to be summed up when it would not.
"""

from __future__ import annotations

from typing import Any

from bot.core.status import (
    StatusReport,
    fact_state_line,
    storyline_heading,
    when,
)
from bot.core.urls import redact_url
from bot.platforms.slack.render import context, escape, header, section

MAX_VIEW_BLOCKS = 100
# Feeds that need an admin (failing, disabled, never polled) get a block each,
# in the report's order; healthy ones a line each in one block, up to a few.
MAX_FEED_BLOCKS = 30
MAX_HEALTHY_LINES = 15
ADMINS_ONLY = "Feed health and the outbox are shown to workspace admins only."

Block = dict[str, Any]


def _feed_block(report: StatusReport, index: int) -> Block:
    feed = report.feeds[index]
    state = feed.health
    if feed.health == "disabled":
        state += f" ({escape(feed.disabled_reason or 'by an admin')})"
    elif feed.failures:
        state += f" ({feed.failures} failure{'s' if feed.failures != 1 else ''} in a row)"
    lines = [
        f"*#{feed.id} {escape(feed.name)}* — {state}",
        f"last success {when(feed.last_success_at)}"
        + ("" if feed.health == "disabled" else f" · next poll {when(feed.next_poll_at)}"),
        f"`{escape(redact_url(feed.url))}`",
    ]
    if feed.last_error and feed.health in ("failing", "disabled"):
        lines.append(f"last error: {escape(feed.last_error)}")
    return section("\n".join(lines))


def home_view(report: StatusReport) -> dict[str, Any]:
    """The ``views.publish`` view for one user (admin or not, per the report)."""
    blocks: list[Block] = [header("Threadline"), context(f"Status at {when(report.now)}")]
    if report.admin:
        counts = ", ".join(f"{n} {health}" for health, n in report.feed_counts().items())
        blocks.append({"type": "divider"})
        blocks.append(section(f"*Feeds* ({len(report.feeds)}): {counts or 'none'}"))
        needy = [i for i, f in enumerate(report.feeds) if f.health != "ok"]
        healthy = [f for f in report.feeds if f.health == "ok"]
        blocks += [_feed_block(report, i) for i in needy[:MAX_FEED_BLOCKS]]
        if healthy:
            lines = [
                f"✓ #{f.id} {escape(f.name)} — last success {when(f.last_success_at)}"
                f" · next poll {when(f.next_poll_at)}"
                for f in healthy[:MAX_HEALTHY_LINES]
            ]
            blocks.append(section("\n".join(lines)))
        hidden = max(len(needy) - MAX_FEED_BLOCKS, 0) + max(len(healthy) - MAX_HEALTHY_LINES, 0)
        if hidden:
            blocks.append(context(f"… and {hidden} more: `/threadline feeds list`"))
        if report.outbox is not None:
            blocks.append({"type": "divider"})
            # The backlog's own lines, as `threadline outbox list` prints them:
            # the totals, then why rows wait (the top reasons).
            head, *reasons = report.outbox.lines()
            text = f"*Outbox*: {escape(head.removeprefix('Outbox: '))}"
            text += "".join(f"\n• {escape(r.strip())}" for r in reasons)
            blocks.append(section(text))
    blocks.append({"type": "divider"})
    blocks.append(section("*Storylines*"))
    room = MAX_VIEW_BLOCKS - len(blocks) - (2 if not report.admin else 1)
    for storyline in report.storylines[:room]:
        lines = [f"*{escape(storyline_heading(storyline))}*"]
        lines += [f"• {escape(fact_state_line(f))}" for f in storyline.facts]
        blocks.append(section("\n".join(lines)))
    if len(report.storylines) > room:
        blocks.append(context(f"… and {len(report.storylines) - room} more storylines"))
    if not report.admin:
        blocks.append(context(ADMINS_ONLY))
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}
