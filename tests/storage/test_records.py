"""The outbox's one encode/decode pair: a message goes in and comes out the same."""

from __future__ import annotations

import pytest

from bot.core.posts import PostKind, Reply
from bot.storage.records import decode_reply, encode_post


def test_a_reply_comes_back_as_it_went_in() -> None:
    reply = Reply(
        kind="coverage",
        storyline="dod-dispute",
        title="Judge blocks the designation",
        url="https://a.example/1",
        source="A",
        also=("B", "C"),
        why="score 90: judge",
    )
    payload = encode_post(PostKind.REPLY, "dod-dispute", reply)
    assert payload["also"] == ["B", "C"]  # JSON has lists
    assert decode_reply(PostKind.REPLY, payload) == reply


def test_cards_carry_only_their_storyline_and_old_keys_are_ignored() -> None:
    assert encode_post(PostKind.EDIT_ROOT, "dod-dispute", None) == {"storyline": "dod-dispute"}
    assert decode_reply(PostKind.ROOT, {"storyline": "dod-dispute"}) is None
    old = {"kind": "coverage", "storyline": "s", "title": "T", "posted": True}
    assert decode_reply(PostKind.REPLY, old) == Reply(kind="coverage", storyline="s", title="T")
    with pytest.raises(ValueError):
        encode_post(PostKind.REPLY, "s", None)
