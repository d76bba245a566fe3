"""The feed parser: real feeds parse, hostile documents are defused, and
nothing but ParseError ever comes out."""

from __future__ import annotations

import contextlib
import tracemalloc
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.errors import ParseError
from bot.feeds.feedparser_adapter import FeedparserParser
from tests.support.feedserver import atom, rss

parser = FeedparserParser()


def billion_laughs(levels: int = 10, fanout: int = 10) -> str:
    decls = ['<!ENTITY lol0 "lol">']
    decls += [
        f'<!ENTITY lol{i} "{"".join(f"&lol{i - 1};" for _ in range(fanout))}">'
        for i in range(1, levels)
    ]
    top = f"&lol{levels - 1};"
    return (
        '<?xml version="1.0" encoding="{enc}"?>\n'
        "<!DOCTYPE rss [\n" + "\n".join(decls) + "\n]>\n"
        f'<rss version="2.0"><channel><title>Laughs {top}</title>'
        f"<item><guid>1</guid><title>Item {top}</title></item></channel></rss>"
    )


def quadratic_blowup(size: int = 100_000, refs: int = 20_000) -> str:
    """2 GB if expanded."""
    return (
        '<?xml version="1.0" encoding="{enc}"?>\n'
        f'<!DOCTYPE rss [<!ENTITY a "{"a" * size}">]>\n'
        '<rss version="2.0"><channel><title>Quadratic</title>'
        f"<item><guid>1</guid><title>x</title><description>{'&a;' * refs}</description>"
        "</item></channel></rss>"
    )


def external_entity() -> str:
    return (
        '<?xml version="1.0" encoding="{enc}"?>\n'
        '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        '<rss version="2.0"><channel><title>XXE</title>'
        "<item><guid>1</guid><title>leak: &xxe;</title></item></channel></rss>"
    )


ENCODINGS = ["utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-7"]
ATTACKS = {"billion": billion_laughs, "quadratic": quadratic_blowup, "external": external_entity}


def encode(template: str, encoding: str) -> bytes:
    declared = {"utf-16-le": "utf-16", "utf-16-be": "utf-16"}.get(encoding, encoding)
    text = template.replace("{enc}", declared)
    if encoding in ("utf-16-le", "utf-16-be"):
        return text.encode(encoding)  # no BOM: sniffed from the "<?xm" bytes
    return text.encode(encoding)


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("attack", ATTACKS)
def test_entity_attacks_are_neutralised_in_every_charset(attack: str, encoding: str) -> None:
    body = encode(ATTACKS[attack](), encoding)
    tracemalloc.start()
    try:
        feed = parser.parse(body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 32 * 1024 * 1024
    assert len(feed.entries) == 1
    entry = feed.entries[0]
    assert len(entry.title) < 100
    assert len(entry.summary_html) <= len(body)
    assert "root:" not in entry.title
    assert "lollollol" not in feed.title + entry.title
    assert "aaaaaaaaaa" not in entry.summary_html


def test_utf16_body_with_charset_only_in_http_header_is_neutralised() -> None:
    body = billion_laughs().replace(' encoding="{enc}"', "").encode("utf-16-le")
    feed = parser.parse(body, {"Content-Type": "application/rss+xml; charset=utf-16"})
    assert len(feed.entries) == 1
    assert len(feed.entries[0].title) < 100


def test_harmless_small_entities_still_expand() -> None:
    body = (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n  <!ENTITY id "tag:example.com,">\n'
        b'  <!ENTITY nbsp "&#160;">\n]>\n<rss version="2.0"><channel><title>T</title>'
        b"<item><guid>&id;2006:/blog/</guid><title>A&nbsp;B</title></item></channel></rss>"
    )
    entry = parser.parse(body).entries[0]
    assert entry.guid == "tag:example.com,2006:/blog/"
    assert entry.title == "A\xa0B"


def test_many_references_to_a_small_entity_are_not_expanded() -> None:
    # 400 KB of references to a 1000-byte value would add 100 MB+: over budget.
    body = (
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY b "' + "b" * 1000 + '">]>'
        '<rss version="2.0"><channel><title>T</title><item><guid>1</guid>'
        "<description>" + "&b;" * 100_000 + "</description></item></channel></rss>"
    ).encode()
    tracemalloc.start()
    try:
        entry = parser.parse(body).entries[0]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 32 * 1024 * 1024  # the expansion would be 100 MB+
    assert "bbbb" not in entry.summary_html


def test_rss_091_with_its_plain_doctype_parses() -> None:
    body = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"
  "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>Old school</title><link>http://old.example/</link>
<description>d</description><language>en</language>
<item><title>Caf\xe9 news</title><link>http://old.example/1</link></item>
</channel></rss>"""
    feed = parser.parse(body)
    assert feed.title == "Old school"
    assert [e.title for e in feed.entries] == ["Café news"]


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "x"> <rss version="2.0"></rss>',
        b'<?xml version="1.0"?><!-- x --><!ENTITY a "aaaa"><rss version="2.0"></rss>',
    ],
    ids=["unterminated-doctype", "entity-outside-doctype"],
)
def test_entity_tricks_that_cannot_be_cleaned_are_refused(body: bytes) -> None:
    with pytest.raises(ParseError) as caught:
        parser.parse(body)
    assert caught.value.code == "unsafe_xml"


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"", "empty"),
        (b"   \r\n\t ", "empty"),
        ("   ".encode("utf-16"), "empty"),
        (b"<!DOCTYPE html>\n<html><head><title>Home</title></head><body>Hi</body></html>", "HTML"),
        (b"<html><body><p>Not a feed</p></body></html>", "HTML"),
        (b"<!-- hello -->\n<HTML lang=en><body>x</body></HTML>", "HTML"),
        (b"Just some words, no markup at all.", "plain text"),
        (b'{"version": "https://jsonfeed.org/version/1", "items": []}', "JSON"),
        (b"<urlset><url><loc>https://x.example/</loc></url></urlset>", "not an RSS/Atom feed"),
    ],
    ids=[
        "empty",
        "whitespace",
        "utf16-spaces",
        "html5",
        "html",
        "html-comment",
        "text",
        "json",
        "sitemap",
    ],
)
def test_non_feeds_are_refused_with_a_reason(body: bytes, says: str) -> None:
    with pytest.raises(ParseError, match=says) as caught:
        parser.parse(body, {"content-type": "text/html; charset=utf-8"})
    assert caught.value.code == "not_a_feed"


def test_rss_entries_become_raw_entries() -> None:
    body = rss(
        [
            {
                "guid": "a-1",
                "link": "https://news.example/a?utm_source=rss",
                "title": "Fable 5 <em>suspended</em>",
                "summary": "<p>Export controls &amp; more.</p>",
                "published": "Tue, 02 Jan 2024 05:04:05 +0200",
            },
            {"title": "No date, no guid", "link": "https://news.example/b"},
            {"guid": "c", "title": "Bad date", "published": "the day after tomorrow"},
        ],
        title="Example News",
    )
    feed = parser.parse(body, {"content-type": "application/rss+xml; charset=utf-8"})
    assert feed.title == "Example News"
    first, second, third = feed.entries
    assert first.guid == "a-1"
    assert first.link == "https://news.example/a?utm_source=rss"
    assert "suspended" in first.title
    assert "Export controls" in first.summary_html
    assert first.published == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert first.published_text == "Tue, 02 Jan 2024 05:04:05 +0200"
    assert second.guid is None
    assert second.published is None
    assert second.published_text is None
    assert third.published is None
    assert third.published_text == "the day after tomorrow"


def test_atom_entries_use_updated_and_content() -> None:
    body = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom News</title><id>urn:x</id>
<updated>2024-03-01T00:00:00Z</updated>
<entry><id>urn:e1</id><title>Only updated</title><updated>2024-03-01T12:30:00-05:00</updated>
<content type="html">&lt;p&gt;Body&lt;/p&gt;</content><link href="/rel/1"/></entry>
</feed>"""
    feed = parser.parse(body, {"content-location": "https://atom.example/feed"})
    (entry,) = feed.entries
    assert entry.published == datetime(2024, 3, 1, 17, 30, tzinfo=UTC)
    assert entry.summary_html == "<p>Body</p>"
    assert entry.link == "https://atom.example/rel/1"
    assert parser.parse(atom([{"guid": "x", "title": "t"}])).entries[0].guid == "x"


def test_the_http_charset_is_honoured() -> None:
    body = rss([{"guid": "1", "title": "Déjà vu"}], encoding="iso-8859-1")
    feed = parser.parse(body, {"Content-Type": "application/rss+xml; charset=ISO-8859-1"})
    assert feed.entries[0].title == "Déjà vu"


def test_a_bozo_feed_with_entries_is_fine() -> None:
    body = (
        b'<rss version="2.0"><channel><title>Broken & co</title>'
        b"<item><title>Still here</title><description>unclosed <b>tags</description>"
    )
    feed = parser.parse(body)
    assert [e.title for e in feed.entries] == ["Still here"]


def test_an_oversize_document_is_refused() -> None:
    small = FeedparserParser(max_bytes=1000)
    with pytest.raises(ParseError, match="over the 1000-byte limit") as caught:
        small.parse(rss([{"guid": str(i), "title": "x" * 50} for i in range(40)]))
    assert caught.value.code == "parse"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_random_bytes_never_raise_anything_but_parse_error(body: bytes) -> None:
    with contextlib.suppress(ParseError):
        parser.parse(body)


XML_BITS = st.sampled_from(
    [
        "<?xml version='1.0'?>",
        "<?xml version='1.0' encoding='utf-16'?>",
        "<!DOCTYPE rss [",
        "<!ENTITY a 'x'>",
        "<!ENTITY b '&a;&a;'>",
        "<!ENTITY % p 'x'>",
        "]>",
        "<rss version='2.0'>",
        "<channel>",
        "<item>",
        "<title>",
        "</title>",
        "&a;",
        "&b;",
        "&#0;",
        "&#x110000;",
        "<![CDATA[",
        "]]>",
        "<!--",
        "-->",
        "</item>",
        "<feed xmlns='http://www.w3.org/2005/Atom'>",
        "<entry>",
        "<pubDate>Mon, 99 Foo 2024</pubDate>",
        "<updated>9999-99-99T99:99:99Z</updated>",
        "<link href='javascript:alert(1)'/>",
        "\x00",
        "\ufeff",
        "text",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(XML_BITS, max_size=40), st.sampled_from(["utf-8", "utf-16", "latin-1"]))
def test_random_feed_like_documents_never_raise_anything_but_parse_error(
    bits: list[str], encoding: str
) -> None:
    body = "".join(bits).encode(encoding, "replace")
    with contextlib.suppress(ParseError):
        parser.parse(body, {"content-type": "application/xml"})


_REF_PIECES = st.lists(
    st.sampled_from(
        ["&#", "&amp;#", "&amp;", "&", "#", "x", "X", "27", "0", "D800", "110000", ";", "a", "<p>"]
    ),
    max_size=60,
).map(lambda pieces: "".join(pieces).encode())


@given(_REF_PIECES)
@example(b"#" * 40 + b"&#0;")
@example(b"#" * 40 + b"&#x27;")
def test_character_references_are_neutralised_as_one_plain_substitution_does(data: bytes) -> None:
    # The fast checks (a memchr for "#", each distinct reference checked once)
    # change no document: the result is what substituting every match gives.
    from bot.feeds import xml_guard

    plain = xml_guard._CHAR_REF.sub(xml_guard._checked_char_ref, data)
    assert xml_guard.neutralise_char_refs(data) == plain
