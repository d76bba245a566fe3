"""The worker processes of a ``ParsePool``, for tests and benchmarks (the bot
itself never asks)."""

from __future__ import annotations

from bot.feeds.parse_pool import ParsePool


def running_workers(pool: ParsePool) -> set[int]:
    """The process ids of ``pool``'s workers alive now (none before its
    ``start`` or first document)."""
    return {
        w.process.pid
        for w in pool._workers
        if not w.lost and w.process.pid is not None and w.process.is_alive()
    }
