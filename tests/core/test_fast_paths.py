"""The fast paths of URL and HTML reading give exactly what the plain
implementations they replaced give (``reference_text``)."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from bot.core import html_text
from bot.core.html_text import clean_text, html_to_text, single_line
from bot.core.text import UNWANTED
from bot.core.urls import canonical_url
from tests.core import reference_text


def test_what_clean_text_and_canonical_url_skip_for_printable_text_is_never_there() -> None:
    # clean_text returns printable text as it is, and canonical_url does not
    # collapse printable text without a space: every code point UNWANTED
    # matches, and all whitespace but the space, must then be unprintable.
    printable = [c for c in map(chr, range(0x110000)) if c.isprintable()]
    assert not [c for c in printable if UNWANTED.match(c)]
    assert not [c for c in printable if c.isspace() and c != " "]


@given(st.text(max_size=80))
@example("a\u202eb\x00c\td\ne")
def test_clean_text_is_the_plain_removal(text: str) -> None:
    assert clean_text(text) == reference_text.clean_text(text)


@given(st.one_of(st.text(max_size=80), st.text(" \t\n\xa0\u2028\x1cab\x00", max_size=20)))
@example(" a  b ")
def test_single_line_is_the_plain_split_and_join(text: str) -> None:
    assert single_line(text) == reference_text.single_line(text)


URL_PIECES = st.lists(
    st.sampled_from(
        [
            "http://",
            "https://",
            "HTTP://",
            "hTtps://",
            "ftp://",
            "http:",
            "//",
            "News.Example",
            "a.b",
            "xn--bcher-kva.example",
            ".",
            "-",
            "..",
            "user@",
            "u:p@",
            "[::1]",
            "[",
            "]",
            ":",
            ":80",
            ":443",
            ":0",
            ":080",
            ":65535",
            ":65536",
            ":99999",
            ":8a",
            "/",
            "/a",
            "/A%20b",
            ";p",
            "?",
            "?utm_source=rss",
            "&",
            "&fbclid=1",
            "&UTM_Campaign=x",
            "a=1",
            "=",
            "#",
            "#frag",
            " ",
            "\t",
            "\n",
            "\x00",
            "\u202e",
            "\u200b",
            "\xa0",
            "é",
            "\u2100",
            "ｈ",
            "K",
        ]
    ),
    max_size=12,
).map("".join)


@given(st.one_of(URL_PIECES, st.text(max_size=120)))
@example("https://news.example./a")
@example("https://.:8080/")
@example("http://a.b:65536/x")
@example("https://news.example/a b#c d")
def test_canonical_url_is_what_urlsplit_makes_of_it(url: str) -> None:
    assert canonical_url(url) == reference_text.canonical_url(url)


MARKUP = st.lists(
    st.sampled_from(
        [
            "&amp;",
            "&lt;",
            "&#39;",
            "&#x41;",
            "&nbsp;",
            "&bogus;",
            "&",
            "&amp",
            "&lt",
            ";",
            "#",
            "1",
            "&#99999999999;",
            "text",
            " ",
            "  ",
            "\n",
            "\r",
            "\r\n",
            "\t",
            "\xa0",
            "\u3000",
            "\u2028",
            "\x00",
            "\x0b",
            "\x1c",
            "\x85",
            "<b>",
            "</B>",
            "<DIV class=a>",
            "<li>",
            "<br/>",
            "<em >",
            "<a href='x'>",
            "<span data-x=1>",
            "é",
            "< p>",
            "a<b",
            ">",
            "<p/>",
            "<x:y>",
            "</p >",
            "<script>",
            "</script>",
            "<!-- c -->",
        ]
    ),
    max_size=20,
).map("".join)


@given(MARKUP)
def test_the_markup_fast_path_reads_as_it_did_tag_by_tag(html: str) -> None:
    assert html_text._simple_html_to_text(html) == reference_text.simple_html_to_text(html)


@given(st.one_of(MARKUP, st.text(max_size=200)))
@example("a \n \n b\t c\xa0\u3000d  ")
@example("&lt<b>;")
def test_html_to_text_collapses_spaces_as_the_regular_expressions_did(html: str) -> None:
    assert html_to_text(html) == reference_text.html_to_text(html)
