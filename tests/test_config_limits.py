"""Issue 9, cases 5 and 6: nonsense in configuration is refused with a clear line,
and configuration has size limits (the README documents them)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import feeds_file, storylines
from bot.config.feeds_file import load_feeds_file
from bot.config.storylines import load_storyline
from bot.errors import ConfigError
from tests.conftest import REPO
from tests.support.cli import threadline

NOW = datetime(2026, 7, 1, tzinfo=UTC)

STORYLINE = """\
id: demo
title: A demo storyline
match:
  actors:
    - name: lab
      phrases: [Anthropic]
  topics:
    - name: halt
      phrases: [suspends]
facts:
  - id: status
    label: Status
    kind: enum
    values:
      - value: open
        label: Open
      - value: shut
        label: Shut
    history:
      - value: open
        date: {date}
        source: Example News
"""


def feeds_error(tmp_path: Path, text: str | bytes) -> str:
    path = tmp_path / "feeds.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_feeds_file(path, 600)
    message = info.value.message
    assert message.startswith(str(path)) and "\n" not in message
    assert "Value error" not in message and "_Feed" not in message
    return message


def storyline_error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "demo.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_storyline(path, now=NOW)
    message = info.value.message
    assert message.startswith(str(path)) and "\n" not in message
    return message


# --- case 5: nonsense -----------------------------------------------------------------------


def test_storyline_history_dated_in_the_future_is_refused(tmp_path: Path) -> None:
    message = storyline_error(tmp_path, STORYLINE.format(date="2026-09-01"))
    assert "facts[0].history[0].date" in message and "future" in message
    path = tmp_path / "demo.yaml"
    path.write_text(STORYLINE.format(date="2026-06-30"))
    assert load_storyline(path, now=NOW).facts[0].history[0].value == "open"


def test_duplicate_key_in_a_storyline_is_refused(tmp_path: Path) -> None:
    text = STORYLINE.format(date="2026-06-01").replace(
        "title: A demo storyline\n", "title: A demo storyline\ntitle: Another title\n"
    )
    message = storyline_error(tmp_path, text)
    assert "line 3" in message and "'title' is given twice" in message


def test_duplicate_key_in_feeds_yaml_is_refused(tmp_path: Path) -> None:
    message = feeds_error(
        tmp_path,
        "feeds:\n  - url: http://a.example/x.xml\n    name: A\n    url: http://b.example/y.xml\n",
    )
    assert "line 4" in message and "'url' is given twice (first on line 2)" in message


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://news.example:99999/rss", "port 99999 is out of range"),
        ("http://news.example:http/rss", "port must be a number"),
        ("http://news.example/my feed.xml", "spaces"),
        ("http://editor:hunter2@news.example/rss", "user name or password"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://[fd00:ec2::254]/latest/", "cloud metadata"),
        ("http://metadata.google.internal/computeMetadata/v1/", "cloud metadata"),
        ("ftp://news.example/rss", "only http:// and https://"),
    ],
)
def test_feed_url_nonsense_is_refused_when_loaded(tmp_path: Path, url: str, words: str) -> None:
    message = feeds_error(tmp_path, f"feeds:\n  - url: '{url}'\n    name: Desk\n")
    assert "feeds[0].url" in message and words in message
    assert "hunter2" not in message


def test_two_spellings_of_one_feed_are_one_feed(tmp_path: Path) -> None:
    message = feeds_error(
        tmp_path,
        "feeds:\n  - url: http://news.example/x.xml\n    name: A\n"
        "  - url: HTTP://News.Example:80/x.xml#latest\n    name: B\n",
    )
    assert "feeds[1].url: http://news.example/x.xml is already listed as feeds[0]" in message


def test_feed_names_lose_bidi_overrides_and_zero_width_characters(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(
        'feeds:\n  - url: http://news.example/x.xml\n    name: "Reu\\u200bters \\u202egnp.exe"\n'
        '  - url: http://news.example/y.xml\n    name: "\\u200b\\u2060"\n'
    )
    with pytest.raises(ConfigError, match=r"feeds\[1\]\.name \(line 5\): the name has no visible"):
        load_feeds_file(path, 600)
    path.write_text(
        'feeds:\n  - url: http://news.example/x.xml\n    name: "Reu\\u200bters \\u202egnp.exe"\n'
    )
    assert [s.name for s in load_feeds_file(path, 600)] == ["Reuters gnp.exe"]


def test_a_non_mapping_entry_names_no_pydantic_model(tmp_path: Path) -> None:
    message = feeds_error(tmp_path, "feeds:\n  - just a string\n")
    assert "feeds[0] (line 2): should be a mapping" in message


# --- case 6: size limits --------------------------------------------------------------------


def test_feeds_file_over_the_byte_limit_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feeds_file, "MAX_FILE_BYTES", 1000)
    entry = "  - url: http://news.example/{i}.xml\n    name: Desk {i}\n"
    message = feeds_error(tmp_path, "feeds:\n" + "".join(entry.format(i=i) for i in range(40)))
    assert "larger than the limit of 1,000 bytes" in message


def test_the_default_byte_limit_holds_a_big_real_list() -> None:
    # 20,000 feeds at ~75 bytes each fit; a 50 MB file does not.
    assert 2_000_000 < feeds_file.MAX_FILE_BYTES < 50_000_000


def test_too_many_feeds_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feeds_file, "MAX_FEEDS", 10)
    entry = "  - url: http://news.example/{i}.xml\n    name: Desk {i}\n"
    message = feeds_error(tmp_path, "feeds:\n" + "".join(entry.format(i=i) for i in range(11)))
    assert "11 entries; the limit is 10 feeds" in message


def test_many_invalid_entries_give_a_few_lines_and_a_count(tmp_path: Path) -> None:
    entry = "  - url: ftp://news.example/{i}.xml\n    name: Desk {i}\n"
    message = feeds_error(tmp_path, "feeds:\n" + "".join(entry.format(i=i) for i in range(2000)))
    assert message.count("only http:// and https://") == 5
    assert message.endswith("… and 1,995 more errors")
    assert len(message) < 1000


def test_storyline_over_the_byte_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storylines, "MAX_FILE_BYTES", 500)
    text = STORYLINE.format(date="2026-06-01") + "description: " + "x" * 1000 + "\n"
    assert "larger than the limit of 500 bytes" in storyline_error(tmp_path, text)


def test_storyline_with_too_many_phrases_is_refused(tmp_path: Path) -> None:
    # One actor phrase and these: one more than the limit.
    phrases = ", ".join(f"phrase {i}" for i in range(storylines.MAX_PHRASES))
    text = STORYLINE.format(date="2026-06-01").replace("[suspends]", f"[{phrases}]")
    message = storyline_error(tmp_path, text)
    assert f"{storylines.MAX_PHRASES + 1:,} phrases and cues; the limit is" in message


def test_shipped_storylines_are_well_inside_the_limits() -> None:
    for path in (REPO / "storylines").glob("*.yaml"):
        assert path.stat().st_size < storylines.MAX_FILE_BYTES // 10
        load_storyline(path)


# --- through the command line ---------------------------------------------------------------


async def test_a_bad_feeds_file_creates_no_database(tmp_path: Path, env: dict[str, str]) -> None:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n  - url: http://news.example:99999/x.xml\n    name: Desk\n")
    db = tmp_path / "data" / "threadline.db"
    code, _out, err = await threadline(
        "run", "--once", "--feeds", str(feeds), "--database", f"sqlite:///{db}", env=env
    )
    assert code == 2 and "feeds[0].url (line 2): port 99999 is out of range" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not db.exists()
