"""Normalising parsed entries: keys, text, URLs and dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.items import RawEntry
from bot.core.normalise import document_keys, normalise
from bot.core.urls import canonical_url

SEEN = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def entry(**fields: object) -> RawEntry:
    base: dict[str, object] = {
        "guid": "g-1",
        "link": "https://news.example/story",
        "title": "Title",
        "summary_html": "",
        "published": datetime(2025, 6, 1, 9, 0, tzinfo=UTC),
    }
    base.update(fields)
    return RawEntry(**base)  # type: ignore[arg-type]


def norm(raw: RawEntry) -> object:
    return normalise(raw, feed_id=7, source="Example News", first_seen=SEEN)


def test_an_ordinary_entry_keeps_its_fields() -> None:
    e = normalise(entry(), feed_id=7, source="Example News", first_seen=SEEN)
    assert (e.feed_id, e.key, e.guid, e.source) == (7, "g-1", "g-1", "Example News")
    assert e.url == "https://news.example/story"
    assert e.published == datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
    assert e.first_seen == SEEN
    assert not e.date_was_replaced


def test_html_in_the_summary_becomes_plain_text() -> None:
    html = (
        "<p>Anthropic&rsquo;s <b>Claude</b> &amp; the <a href='x'>DoD</a>.</p>"
        "<script>alert('x')</script><style>p{}</style>"
        "<ul><li>one</li><li>two</li></ul>   lots   of\t\tspace &#8212; done"
    )
    e = normalise(entry(summary_html=html), feed_id=1, source="s", first_seen=SEEN)
    assert e.summary == "Anthropic’s Claude & the DoD.\none\ntwo\nlots of space — done"


def test_titles_are_single_line_plain_text() -> None:
    e = normalise(
        entry(title="  Breaking:\n<em>Court</em>  blocks\r\nthe &quot;designation&quot; "),
        feed_id=1,
        source="s",
        first_seen=SEEN,
    )
    assert e.title == 'Breaking: Court blocks the "designation"'


def test_nul_and_control_characters_are_removed_everywhere() -> None:
    e = normalise(
        entry(
            guid="g\x00-2\x1b",
            title="Bad\x00 title\x07\u202e here\x85",
            summary_html="line\x00one\x0b\nline two\x7f",
            link="https://news.example/a\x00b",
            published_text="Mon\x00day",
        ),
        feed_id=1,
        source="s",
        first_seen=SEEN,
    )
    assert e.title == "Bad title here"
    assert e.summary == "lineone\nline two"
    assert e.guid == "g-2"
    assert e.url == "https://news.example/ab"
    assert e.published_text == "Monday"


def test_absurd_lengths_are_cut_at_a_word() -> None:
    e = normalise(
        entry(title="word " * 300, summary_html="<p>" + "text " * 2000 + "</p>"),
        feed_id=1,
        source="s",
        first_seen=SEEN,
    )
    assert len(e.title) <= 500
    assert e.title.endswith("word…")
    assert len(e.summary) <= 4000
    assert e.summary.endswith("text…")


def test_key_falls_back_from_guid_to_canonical_link_to_hash() -> None:
    no_guid = normalise(
        entry(guid=None, link="HTTPS://News.Example/story?utm_source=rss#top"),
        feed_id=1,
        source="s",
        first_seen=SEEN,
    )
    assert no_guid.key == "https://news.example/story"
    assert no_guid.guid is None
    blank_guid = normalise(entry(guid="   "), feed_id=1, source="s", first_seen=SEEN)
    assert blank_guid.key == "https://news.example/story"

    bare = entry(guid=None, link=None, title="Only a title", published_text="Mon, 2 Jun 2025")
    first = normalise(bare, feed_id=1, source="s", first_seen=SEEN)
    again = normalise(bare, feed_id=1, source="s", first_seen=SEEN + timedelta(hours=1))
    other = normalise(
        entry(guid=None, link=None, title="Only a title", published_text="Tue, 3 Jun 2025"),
        feed_id=1,
        source="s",
        first_seen=SEEN,
    )
    assert first.key.startswith("sha256:")
    assert first.key == again.key  # stable across polls
    assert first.key != other.key


def test_a_huge_guid_is_hashed_into_the_key() -> None:
    e = normalise(entry(guid="x" * 5000), feed_id=1, source="s", first_seen=SEEN)
    assert e.key.startswith("sha256:")
    assert len(e.key) < 100


@pytest.mark.parametrize(
    ("published", "text"),
    [
        (None, None),  # missing
        (None, "sometime in spring"),  # unparseable
        (SEEN + timedelta(days=400), "Thu, 01 Jul 2026 00:00:00 GMT"),  # far future
        (datetime(1970, 1, 1, tzinfo=UTC), "Thu, 01 Jan 1970 00:00:00 GMT"),  # epoch zero
    ],
    ids=["missing", "unparseable", "future", "epoch-zero"],
)
def test_odd_dates_are_replaced_by_first_seen_keeping_the_text(
    published: datetime | None, text: str | None
) -> None:
    e = normalise(
        entry(published=published, published_text=text), feed_id=1, source="s", first_seen=SEEN
    )
    assert e.published == SEEN
    assert e.date_was_replaced
    assert e.published_text == text


def test_a_slightly_future_date_within_the_slack_is_kept() -> None:
    soon = SEEN + timedelta(hours=2)  # a clock a bit ahead, or a time zone slip
    e = normalise(entry(published=soon), feed_id=1, source="s", first_seen=SEEN)
    assert e.published == soon
    assert not e.date_was_replaced
    strict = normalise(
        entry(published=soon),
        feed_id=1,
        source="s",
        first_seen=SEEN,
        future_slack=timedelta(minutes=5),
    )
    assert strict.date_was_replaced


def test_dates_are_made_utc() -> None:
    cest = timezone(timedelta(hours=2))
    e = normalise(
        entry(published=datetime(2025, 6, 1, 11, 0, tzinfo=cest)),
        feed_id=1,
        source="s",
        first_seen=SEEN,
    )
    assert e.published == datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
    assert e.published.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("link", "url"),
    [
        ("javascript:alert(1)", None),
        ("data:text/html,hi", None),
        ("/relative/path", None),
        ("mailto:news@example.com", None),
        ("  https://news.example/a  ", "https://news.example/a"),
    ],
)
def test_only_web_links_are_kept(link: str, url: str | None) -> None:
    assert norm(entry(link=link)).url == url  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTPS://News.Example/Path/A?b=1#frag", "https://news.example/Path/A?b=1"),
        (
            "https://news.example/a?utm_source=rss&utm_medium=feed&id=42&UTM_Campaign=x",
            "https://news.example/a?id=42",
        ),
        (
            "https://news.example/a?z=1&fbclid=abc&gclid=def&a=2&mc_cid=1&mc_eid=2&ref=tw",
            "https://news.example/a?z=1&a=2",
        ),
        ("https://news.example/a?utm_source=x", "https://news.example/a"),
        ("http://news.example:80/a", "http://news.example/a"),
        ("https://news.example:443", "https://news.example/"),
        ("https://news.example:8443/a", "https://news.example:8443/a"),
        ("https://news.example/a?q=%20x&Q=Y", "https://news.example/a?q=%20x&Q=Y"),
        ("https://news.example./a", "https://news.example/a"),
        ("not a url at all", "not a url at all"),
        ("https://[::1/broken", "https://[::1/broken"),
    ],
)
def test_canonical_url(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


def test_canonical_url_is_idempotent_on_examples() -> None:
    url = "HTTPS://Example.COM:443/a?utm_source=x&b=1#f"
    assert canonical_url(canonical_url(url)) == canonical_url(url)


@given(st.text(max_size=300))
def test_canonical_url_never_raises_and_is_idempotent(url: str) -> None:
    once = canonical_url(url)
    assert canonical_url(once) == once


@given(
    title=st.text(max_size=600),
    summary=st.text(max_size=600),
    guid=st.one_of(st.none(), st.text(max_size=50)),
    link=st.one_of(st.none(), st.text(max_size=80)),
)
def test_normalise_never_raises_and_yields_clean_text(
    title: str, summary: str, guid: str | None, link: str | None
) -> None:
    e = normalise(
        RawEntry(guid=guid, link=link, title=title, summary_html=summary, published=None),
        feed_id=1,
        source="s",
        first_seen=SEEN,
    )
    assert e.key
    assert "\n" not in e.title
    assert not any(ord(ch) < 32 and ch not in "\n" for ch in e.title + e.summary)
    assert len(e.title) <= 500
    assert len(e.summary) <= 4000


def test_a_numeric_reference_too_long_to_be_a_character_does_not_raise() -> None:
    from bot.core.html_text import html_to_text

    assert html_to_text("a &#" + "1" * 5000 + "; b <b>c</b>") == "a \ufffd b c"
    assert html_to_text("&#x" + "f" * 40 + ";") == "\ufffd"


def test_items_sharing_a_guid_with_distinct_links_are_kept_apart() -> None:
    raws = [
        entry(guid="feed-wide", link="https://blog.example/a", title="A"),
        entry(guid="feed-wide", link="https://blog.example/b?utm_source=rss", title="B"),
        entry(guid="own", link="https://blog.example/c", title="C"),
    ]
    assert document_keys(raws) == [
        "feed-wide https://blog.example/a",
        "feed-wide https://blog.example/b",
        "own",
    ]


def test_an_item_repeated_with_the_same_guid_and_link_stays_one_key() -> None:
    raws = [entry(guid="g", title="First copy"), entry(guid="g", title="Second copy")]
    assert document_keys(raws) == ["g", "g"]  # the same item twice: deduped downstream


def test_a_plain_text_title_keeps_angle_brackets_and_an_html_one_is_read_as_html() -> None:
    plain = norm(entry(title="Why std::vector<int> is slow", title_is_html=False))
    html = norm(entry(title="Why <b>bold</b> &amp; <int> fail", title_is_html=True))
    assert plain.title == "Why std::vector<int> is slow"  # type: ignore[attr-defined]
    assert html.title == "Why bold & fail"  # type: ignore[attr-defined]


def test_a_date_more_than_a_day_ahead_is_replaced_and_its_text_kept() -> None:
    ahead = norm(entry(published=SEEN + timedelta(hours=25), published_text="tomorrow-ish"))
    near = norm(entry(published=SEEN + timedelta(hours=23)))
    assert ahead.date_was_replaced and ahead.published == SEEN  # type: ignore[attr-defined]
    assert ahead.published_text == "tomorrow-ish"  # type: ignore[attr-defined]
    assert not near.date_was_replaced  # type: ignore[attr-defined]


MARKUP = st.lists(
    st.sampled_from(
        [
            "<p>",
            "</p>",
            "<br/>",
            "<br>",
            "<a href='https://x.example/a'>",
            "</a>",
            "<img src=\"y.jpg\" alt=''/>",
            "&amp;",
            "&lt;",
            "&#39;",
            "&#x41;",
            "&nbsp;",
            "&bogus;",
            "&",
            "&amp",
            "text",
            " ",
            "\n",
            "<b>",
            "</B>",
            "<DIV class=a>",
            "<li>",
            "<em >",
            "<span data-x=1>",
            "é",
            "<input disabled>",
            "< p>",
            "a<b",
            "<p/>",
            "&#0;",
            "<x:y>",
            "</p >",
            "<h1 id=x>",
            "&copy",
            "<script>",
            "</script>",
            "<!-- c -->",
            "<style>",
            "p{}",
            "</style>",
        ]
    ),
    max_size=16,
).map("".join)


@given(MARKUP)
def test_the_fast_path_for_plain_markup_reads_html_as_the_full_parser_does(html: str) -> None:
    from bot.core import html_text as module

    fast = module._simple_html_to_text(html)
    if fast is not None:
        full = module._TextExtractor()
        full.feed(html)
        full.close()
        assert fast == "".join(full.parts)
