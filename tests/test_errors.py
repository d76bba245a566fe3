"""The error tree drawn at the top of bot/errors.py is the real one, and codes are stable."""

from __future__ import annotations

import inspect
import re

from bot import errors
from bot.errors import ErrorCode, ThreadlineError

CLASSES = {
    name: cls
    for name, cls in vars(errors).items()
    if inspect.isclass(cls) and issubclass(cls, ThreadlineError)
}


def drawn_parents() -> dict[str, str]:
    """Each class of the docstring's tree with the class drawn above it."""
    doc = errors.__doc__ or ""
    parents: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for line in doc.splitlines():
        m = re.match(r"^([ │]*(?:[├└]── )?)([A-Z]\w+)\s", line)
        if not m or m.group(2) not in CLASSES:
            continue
        depth = len(m.group(1))
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if stack:
            parents[m.group(2)] = stack[-1][1]
        stack.append((depth, m.group(2)))
    return parents


def test_every_error_class_is_drawn_under_its_base() -> None:
    parents = drawn_parents()
    assert set(parents) | {"ThreadlineError"} == set(CLASSES)
    for name, parent in parents.items():
        assert CLASSES[parent] in CLASSES[name].__bases__, (name, parent)


def test_retry_later_carries_the_wait_for_feeds_and_for_platforms() -> None:
    fetch = errors.FetchRetryLater("HTTP 429", code=ErrorCode.RATE_LIMITED, retry_after=120)
    send = errors.DeliveryRetryLater("slack: rate limited", retry_after=3)
    assert isinstance(fetch, errors.FeedError) and isinstance(fetch, errors.RetryLater)
    assert isinstance(send, errors.DeliveryError) and isinstance(send, errors.RetryLater)
    assert (fetch.code, fetch.retry_after) == ("rate_limited", 120)
    assert (send.code, send.retry_after) == ("ratelimited", 3)


def test_codes_recorded_in_audit_logs_keep_their_values() -> None:
    assert len({c.value for c in ErrorCode}) == len(ErrorCode)
    recorded = {
        "rate_limited",
        "http_503",
        "thread_gone",
        "ratelimited",
        "not_a_feed",
        "unsafe_xml",
        "unsafe_url",
        "too_many_failures",
        "gone",
        "removed",
    }
    assert recorded <= {c.value for c in ErrorCode}
    assert errors.HttpStatusError("HTTP 404 Not Found", status=404).code == "http_404"
    assert errors.ChannelUnavailable("slack", code="channel_not_found").code == "channel_not_found"
