"""Use cases: the poll cycle, delivery, the commands and the fact ledger.

They sit above the pure core and below the entry points (``bot.entry.cli``,
``bot.app``); the adapters (feeds, storage, platforms) implement what they need.
"""
