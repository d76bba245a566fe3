"""The worker processes of a ``ParsePool``, for tests and benchmarks (the bot
itself never asks)."""

from __future__ import annotations

from bot.feeds.parse_pool import ParsePool


def running_workers(pool: ParsePool) -> set[int]:
    """The process ids of ``pool``'s workers alive now (none before its
    ``start`` or first document)."""
    processes = getattr(pool._executor, "_processes", None) or {}
    return {pid for pid, process in processes.items() if process.is_alive()}
