"""A feed as an admin types it, made fit to store. Pure.

Used wherever a feed comes in (``feeds.yaml``, ``feeds add`` from the CLI or
chat): the name cleaned of what hides or spoofs text, the URL unwrapped from
a chat client's link markup and read by ``bot.core.urls.feed_url``, so it is
refused with the same words everywhere and two spellings of one feed are one.
"""

from __future__ import annotations

import re

from bot.core.html_text import clean_text
from bot.core.urls import feed_url

MAX_NAME = 200
# Zero-width and invisible formatting characters: they hide text in a name or
# make two names look alike (bidi overrides are removed by ``clean_text``).
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f"
    "\u2060-\u2064\u206a-\u206f\u3164\ufeff\uffa0]"
)
# A link as Slack sends it: <URL> or <URL|label>, the URL with no space, | or >.
_CHAT_LINK = re.compile(r"<(https?://[^\s|>]*)(?:\|[^>]*)?>", re.IGNORECASE)


def unwrap_chat_link(text: str) -> str:
    """A URL as the admin meant it, without the wrapping a chat client adds:
    Slack sends a link typed in a message or command as ``<http://x?a=1&amp;b=2|label>``
    or ``<http://x>`` (its label after the first ``|``, and ``&``, ``<``, ``>``
    escaped as entities). Text not wrapped in ``<…>`` is returned stripped."""
    url = text.strip()
    if not (url.startswith("<") and url.endswith(">")):
        return url
    return _unescape(url[1:-1].split("|", 1)[0]).strip()


def unwrap_chat_links(text: str) -> str:
    """``text`` with every Slack-style ``<http…|label>`` / ``<http…>`` link replaced
    by its bare URL, so a label with spaces cannot split a command's words."""
    return _CHAT_LINK.sub(lambda m: _unescape(m[1]), text)


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def clean_name(text: str) -> str:
    """A feed name fit to show in chat: control characters, bidi overrides and
    zero-width characters removed, whitespace collapsed, cut at ``MAX_NAME``."""
    name = " ".join(_INVISIBLE.sub("", clean_text(text)).split())
    return name[:MAX_NAME].rstrip()


def feed_ref(ref: str) -> str:
    """What ``feeds remove`` looks a feed up by: an id as given, a URL in its
    canonical form (so any spelling ``feeds add`` took finds the feed)."""
    ref = unwrap_chat_link(ref)
    if ref.isdigit():
        return ref
    try:
        return feed_url(ref)
    except ValueError:
        return ref
