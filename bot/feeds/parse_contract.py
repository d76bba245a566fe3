"""What every ``FeedParser`` promises, written once: a cap on the document's
size, ``ParseError`` and nothing else whatever the input, and error details fit
to show (``feeds list``, the database)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from bot.core.items import ParsedFeed
from bot.core.text import CONTROL_CHARACTERS
from bot.errors import ErrorCode, ParseError

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024

_UNPRINTABLE = re.compile(f"[\t\n{CONTROL_CHARACTERS}\u2028\u2029\u202a-\u202e\ud800-\udfff]")


def check_size(body: bytes, max_bytes: int) -> None:
    """Raise ``ParseError`` (``parse``) when ``body`` is over ``max_bytes``."""
    if len(body) > max_bytes:
        raise ParseError(
            f"the document is {len(body)} bytes, over the {max_bytes}-byte limit",
            code=ErrorCode.PARSE,
        )


def parse_or_error(
    read: Callable[[bytes, Mapping[str, str] | None], ParsedFeed],
    body: bytes,
    headers: Mapping[str, str] | None,
) -> ParsedFeed:
    """``read(body, headers)``, with any exception turned into a ``ParseError``:
    the ``FeedParser`` port promises nothing else, whatever the input."""
    try:
        return read(body, headers)
    except ParseError:
        raise
    except Exception as error:
        detail = printable(f"{type(error).__name__}: {error}")
        raise ParseError(
            f"the feed could not be parsed ({detail})", code=ErrorCode.PARSE
        ) from error


def printable(text: str, limit: int = 300) -> str:
    """An error detail fit for ``feeds list`` and the database: exception
    messages may quote the document, control characters and all."""
    text = _UNPRINTABLE.sub("\ufffd", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
