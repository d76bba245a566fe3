"""Samples for the Slack tests (cards and replies are shared with Discord's)."""

from __future__ import annotations

from tests.support.samples import CHANGE, card, coverage, fact, fact_change

__all__ = ["CHANGE", "TOKEN", "card", "coverage", "fact", "fact_change"]

TOKEN = "xoxb-test-token"
