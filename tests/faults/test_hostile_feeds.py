"""Issue 5, "done when": hostile feeds the project has not seen, built here and
served on 127.0.0.1 beside ordinary ones, polled by the real
`threadline run --once`. The cycle ends on its deadlines, memory stays
bounded, every hostile feed's fate is visible in `feeds list --json`, the
ordinary feeds are processed in full and no control character reaches the
database. With private feeds not allowed, names and redirects that lead to
private addresses are refused without a connection."""

from __future__ import annotations

import asyncio
import json
import re
import resource
import sqlite3
import time
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.errors import UnsafeURLError
from bot.feeds.fetch import HttpFetcher
from bot.ports import FetchRequest
from tests.conftest import REPO
from tests.faults.conftest import Rig, feeds_json
from tests.support.cli import start, threadline
from tests.support.clock import ago, from_now
from tests.support.feeds_file import write_feeds
from tests.support.feedserver import FeedServer, atom, rss
from tests.support.hostile import AtOnce, drip, gzip_bomb, silent

FETCH_TIMEOUT = 2.0
MEMORY_LIMIT = 300 * 1024 * 1024
# What must never reach the database: C0 controls but tab/newline, DEL, C1.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0d\x0e-\x1f\x7f-\x9f]")


# --- the hostile documents ------------------------------------------------------------------


def billion_laughs() -> bytes:
    levels = ['<!ENTITY lol "lol">']
    for n in range(1, 10):
        previous = "lol" if n == 1 else f"lol{n - 1}"
        levels.append(f'<!ENTITY lol{n} "{("&" + previous + ";") * 10}">')
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [\n' + "\n".join(levels) + "\n]>\n"
        '<rss version="2.0"><channel><title>Laughs</title>'
        "<item><guid>laughs-1</guid><title>&lol9;</title><description>&lol9;</description>"
        "</item></channel></rss>"
    ).encode()


def quadratic_utf16() -> bytes:
    """One 40,000-character entity referenced 40,000 times: 400 KB that
    would expand to 1.6 GB of title, in UTF-16 so a byte-level filter misses it."""
    value = "A" * 40_000
    return (
        '<?xml version="1.0" encoding="utf-16"?>\n'
        f'<!DOCTYPE rss [<!ENTITY a "{value}">]>\n'
        '<rss version="2.0"><channel><title>Quadratic</title>'
        f"<item><guid>quad-1</guid><title>{'&a;' * 40_000}</title></item></channel></rss>"
    ).encode("utf-16")


def far_future_dates() -> bytes:
    return rss(
        [
            {
                "guid": "future-1",
                "title": "Year 9999",
                "published": "Fri, 31 Dec 9999 23:59:59 GMT",
            },
            {
                "guid": "future-2",
                "title": "Next century",
                "published": "Sat, 01 Jan 2101 00:00:00 GMT",
            },
            {"guid": "future-3", "title": "Nonsense", "published": "31 Feb 99999 25:61:61 +9999"},
            # More than a day ahead (the slack a feed gets) is unreliable.
            {"guid": "future-4", "title": "In two days", "published": from_now(days=2)},
        ]
    )


def control_characters() -> bytes:
    return (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Ctl</title>'
        b"<item><guid>ctl-1</guid><title>Bell\x07 and \x1b[31mred\x1b[0m and nul\x00 raw</title>"
        b"<description>null\x00 byte \x08 backspace</description></item>"
        b"<item><guid>ctl-2</guid><title>Refs &#0; &#x1b;[2J &#x7f; &#x85; &#8; too</title></item>"
        b"<item><guid>ctl\x01-3</guid><title>Bidi \xe2\x80\xae override \xe2\x80\xa8 sep</title>"
        b"<link>https://n.example/\x00\x1b/x</link></item>"
        b"</channel></rss>"
    )


def feedparser_raises() -> bytes:
    """A GML position outside a geometry makes feedparser 6 raise KeyError. The
    self-closing <comments/> makes feedparser-rs lose items, so the bot's parser
    hands the document to feedparser, which raises."""
    return (
        b'<?xml version="1.0"?><rss version="2.0" xmlns:gml="http://www.opengis.net/gml">'
        b"<channel><title>Geo</title><item><guid>geo-1</guid><title>fine</title><comments/></item>"
        b"<item><guid>geo-2</guid><title>where?</title><gml:pos>1 2</gml:pos></item>"
        b"</channel></rss>"
    )


def bad_character_references() -> bytes:
    """Used to make feedparser raise (chr() of 0x110000, OverflowError) and lose the feed."""
    return (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Refs</title>'
        b"<item><guid>ref-1</guid><title>Beyond &#x110000; unicode</title></item>"
        b"<item><guid>ref-2</guid><title>Huge &#99999999999; number</title></item>"
        b"<item><guid>ref-3</guid><title>Surrogate &#xD800; half</title></item>"
        b"</channel></rss>"
    )


async def ten_megabytes_unannounced(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
    await response.prepare(request)  # chunked: no Content-Length
    await response.write(b'<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>')
    chunk = b"<item><title>" + b"x" * 65_000 + b"</title></item>"
    for _ in range(160):
        await response.write(chunk)
    await response.write(b"</channel></rss>")
    return response


async def announces_fifty_megabytes(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Length": str(50 * 1024 * 1024)})
    await response.prepare(request)
    await asyncio.Event().wait()  # the body never comes: reading it would time out
    return response


ORDINARY: dict[str, tuple[bytes, str, int]] = {
    "/ordinary.xml": (
        rss(
            [
                {
                    "guid": f"ord-{i}",
                    "link": f"https://news.example/ord/{i}",
                    "title": f"Anthropic Claude Fable 5 export controls: Commerce review {i}",
                    "summary": "<p>Routine <b>coverage</b>.</p>",
                    "published": ago(hours=i + 1),
                }
                for i in range(6)
            ],
            title="Ordinary RSS",
        ),
        "application/rss+xml; charset=utf-8",
        6,
    ),
    "/ordinary.atom": (
        atom(
            [
                {
                    "guid": f"urn:ord-atom:{i}",
                    "link": f"https://news.example/atom/{i}",
                    "title": f"Pentagon and Anthropic supply-chain risk dispute, filing {i}",
                    "published": ago(hours=i + 1),
                }
                for i in range(4)
            ],
            title="Ordinary Atom",
        ),
        "application/atom+xml",
        4,
    ),
    "/ordinary-latin1.xml": (
        rss(
            [{"guid": f"lat-{i}", "title": f"Café société {i}"} for i in range(3)],
            encoding="iso-8859-1",
        ),
        "application/rss+xml",
        3,
    ),
}

# Path → (expected status in `feeds list --json`, expected error_code, words in last_error)
HOSTILE: dict[str, tuple[str, str | None, str]] = {
    "/gzip-bomb.xml": ("failing", "too_large", "limit"),
    "/drip.xml": ("failing", "timeout", "within 2 s"),
    "/silent.xml": ("failing", "timeout", "within 2 s"),
    "/ten-megabytes.xml": ("failing", "too_large", "limit"),
    "/fifty-megabytes.xml": ("failing", "too_large", "52428800 bytes"),
    "/loop.xml": ("failing", "too_many_redirects", "redirects"),
    "/page.html": ("failing", "not_a_feed", "HTML page"),
    "/empty.xml": ("failing", "not_a_feed", "empty"),
    "/missing.xml": ("failing", "http_404", "404"),
    "/feedparser-raises.xml": ("failing", "parse", "KeyError"),
    # Neutralised, not refused: the entity references stay literal text.
    "/billion-laughs.xml": ("ok", None, ""),
    "/quadratic-utf16.xml": ("ok", None, ""),
    # Processed, with the bad parts cleaned.
    "/far-future.xml": ("ok", None, ""),
    "/control-characters.xml": ("ok", None, ""),
    "/bad-character-references.xml": ("ok", None, ""),
}


def serve_hostile(server: FeedServer, at_once: AtOnce) -> None:
    """Serve every hostile document; the three peers that only a deadline ends
    (a drip, a silent server, a body that never comes) are counted by ``at_once``."""
    server.set("/gzip-bomb.xml", gzip_bomb(1024), headers={"Content-Encoding": "gzip"})
    server.handle("/drip.xml", at_once.counted(drip))
    server.handle("/silent.xml", at_once.counted(silent))
    server.handle("/ten-megabytes.xml", ten_megabytes_unannounced)
    server.handle("/fifty-megabytes.xml", at_once.counted(announces_fifty_megabytes))
    server.redirect("/loop.xml", "/loop-2.xml", status=302)
    server.redirect("/loop-2.xml", "/loop.xml", status=301)
    server.set(
        "/page.html",
        b"<!DOCTYPE html><html><head><title>Home</title></head><body>Hi</body></html>",
        content_type="text/html",
    )
    server.set("/empty.xml", b"")
    server.set("/feedparser-raises.xml", feedparser_raises())
    server.set("/billion-laughs.xml", billion_laughs())
    server.set("/quadratic-utf16.xml", quadratic_utf16(), content_type="application/xml")
    server.set("/far-future.xml", far_future_dates())
    server.set("/control-characters.xml", control_characters())
    server.set("/bad-character-references.xml", bad_character_references())
    for path, (body, content_type, _) in ORDINARY.items():
        server.set(path, body, content_type=content_type)


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    srv = FeedServer()
    await srv.start()
    yield srv
    await srv.close()


def feeds_file(path: Path, server: FeedServer, paths: Sequence[str]) -> Path:
    return write_feeds(path, [(server.url(p), p) for p in paths])


async def run_measured(args: Sequence[str], env: dict[str, str]) -> tuple[int, str, float, int]:
    """Run the CLI; returns (exit code, stderr, seconds, peak RSS bytes). The
    peak is the child's own high-water mark (VmHWM) sampled while it runs, and
    never less than what getrusage reports for it once reaped."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.monotonic()
    proc = await start(*args, env=env, stderr=asyncio.subprocess.PIPE)
    sampled = 0
    status = Path(f"/proc/{proc.pid}/status")
    communicate = asyncio.ensure_future(proc.communicate())
    while not communicate.done():
        try:
            found = re.search(r"VmHWM:\s+(\d+) kB", status.read_text())
        except OSError:
            found = None
        if found:
            sampled = max(sampled, int(found.group(1)) * 1024)
        # Sampling memory while it runs; the wait is not what the test relies on.
        await asyncio.wait({communicate}, timeout=0.05)
    _, err = await communicate
    elapsed = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    reaped = after * 1024 if after > before else 0  # this child set a new maximum
    assert proc.returncode is not None
    return proc.returncode, err.decode(), elapsed, max(sampled, reaped)


@pytest.mark.slow
async def test_hostile_feeds_beside_ordinary_ones_in_one_run(
    tmp_path: Path, env: dict[str, str], server: FeedServer
) -> None:
    at_once = AtOnce()
    serve_hostile(server, at_once)
    paths = [*HOSTILE, *ORDINARY]
    db = tmp_path / "db.sqlite"
    audit_log = tmp_path / "audit.jsonl"
    common = [
        "--feeds",
        str(feeds_file(tmp_path / "feeds.yaml", server, paths)),
        "--storylines",
        str(REPO / "storylines"),
        "--database",
        f"sqlite+aiosqlite:///{db}",
    ]
    env["THREADLINE_FETCH_TIMEOUT"] = str(FETCH_TIMEOUT)
    started_at = datetime.now(UTC)
    code, err, elapsed, peak = await run_measured(
        ["run", "--once", "--audit-log", str(audit_log), *common], env
    )
    assert code == 0, err
    print(f"hostile run: {elapsed:.1f} s in all, peak RSS {peak / 2**20:.0f} MiB")
    # One deadline for the slowest feeds, not one each: the three peers only a
    # deadline ends were waited on at the same time, each asked once.
    assert (at_once.most, at_once.served) == (3, 3)
    assert 0 < peak < MEMORY_LIMIT, peak

    rows = await feeds_json(common, env)
    for path, (status, error_code, words) in HOSTILE.items():
        row = rows[path]
        assert (row["status"], row["error_code"]) == (status, error_code), (path, row)
        if error_code is None:
            assert row["failures"] == 0 and row["last_error"] is None, (path, row)
        else:
            assert row["failures"] == 1 and words in row["last_error"], (path, row)
    for path in ORDINARY:
        assert rows[path]["status"] == "ok" and rows[path]["failures"] == 0, rows[path]
        assert f"could not poll {server.url(path)}" not in err
    for path, (_, error_code, _) in HOSTILE.items():
        if error_code is not None:
            assert f"could not poll {server.url(path)}: {error_code}" in err

    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        items = [
            dict(r)
            for r in conn.execute(
                "SELECT feeds.name AS feed, items.* FROM items JOIN feeds ON feeds.id = feed_id"
            )
        ]
        feed_rows = [dict(r) for r in conn.execute("SELECT * FROM feeds")]
        matched = {r[0] for r in conn.execute("SELECT DISTINCT item_id FROM matches")}
    by_feed: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        by_feed.setdefault(item["feed"], []).append(item)

    # The ordinary feeds were processed in full: every item stored and matched.
    for path, (_, _, count) in ORDINARY.items():
        assert len(by_feed[path]) == count, path
    assert all(i["id"] in matched for i in by_feed["/ordinary.xml"] + by_feed["/ordinary.atom"])
    assert {i["title"] for i in by_feed["/ordinary-latin1.xml"]} == {
        f"Café société {i}" for i in range(3)
    }
    events = [json.loads(line) for line in audit_log.read_text().splitlines()]
    assert sum(e["event"] == "item.matched" for e in events) == 10

    # Entity bombs were defused: their references are literal, short text.
    assert [i["title"] for i in by_feed["/billion-laughs.xml"]] == ["&lol9;"]
    (quadratic,) = by_feed["/quadratic-utf16.xml"]
    assert quadratic["title"].startswith("&a;&a;") and len(quadratic["title"]) <= 500
    # Impossible dates fall back to the time the item was first seen.
    for item in by_feed["/far-future.xml"]:
        published = datetime.fromisoformat(item["published"]).replace(tzinfo=UTC)
        assert started_at - timedelta(minutes=1) <= published <= datetime.now(UTC), item
    assert len(by_feed["/far-future.xml"]) == 4
    # Bad character references cost a character, not the feed.
    assert sorted(i["title"] for i in by_feed["/bad-character-references.xml"]) == [
        "Beyond \ufffd unicode",
        "Huge \ufffd number",
        "Surrogate \ufffd half",
    ]
    controls = by_feed["/control-characters.xml"]
    assert len(controls) == 3
    assert any("red" in i["title"] for i in controls)

    # No NUL or control character reached the database, in any text column.
    for row in items + feed_rows:
        for column, value in row.items():
            if isinstance(value, str):
                assert not CONTROL.search(value), (row.get("feed") or row.get("name"), column)
                assert "\u202e" not in value and "\u2028" not in value


@pytest.mark.slow
async def test_with_private_feeds_not_allowed_private_names_and_addresses_are_refused(
    tmp_path: Path, env: dict[str, str], server: FeedServer
) -> None:
    del env["THREADLINE_ALLOW_PRIVATE_FEEDS"]
    server.set("/feed.xml", ORDINARY["/ordinary.xml"][0])
    port = server.port
    urls = {
        f"http://localhost:{port}/feed.xml": "loopback",
        f"http://127.0.0.1:{port}/feed.xml": "loopback",
        f"http://[::1]:{port}/feed.xml": "loopback",
        f"http://[::ffff:127.0.0.1]:{port}/feed.xml": "loopback",
        # (a metadata address is refused sooner, when feeds.yaml is loaded:
        # tests/test_config_limits.py)
        "http://10.0.0.1/feed.xml": "private",
        "http://100.64.0.1/feed.xml": "shared",
        f"http://0x7f.0.0.1:{port}/feed.xml": "unusual spelling",
        f"http://2130706433:{port}/feed.xml": "unusual spelling",
    }
    feeds = tmp_path / "feeds.yaml"
    write_feeds(feeds, [(u, u) for u in urls])
    common = [
        "--feeds",
        str(feeds),
        "--storylines",
        str(REPO / "storylines"),
        "--database",
        f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
    ]
    code, _, err = await threadline("run", "--once", *common, env=env)
    assert code == 0, err
    rows = await feeds_json(common, env)
    for url, why in urls.items():
        row = rows[url]
        assert row["error_code"] == "unsafe_url", row
        assert why in row["last_error"], row
    code, _, err = await threadline(
        "feeds", "add", server.url("/feed.xml"), "Sneaky", *common, env=env
    )
    assert code != 0 and "loopback" in err
    assert "Sneaky" not in await feeds_json(common, env)
    assert sum(server.hits.values()) == 0  # nothing ever connected


async def test_redirects_and_names_to_private_addresses_are_refused_and_never_adopted(
    rig: Rig, feed_server: FeedServer
) -> None:
    # A second server on another loopback address: the place a redirect must not reach.
    inside = FeedServer(host="127.0.0.2")
    await inside.start()
    lookups: list[str] = []

    async def dns(host: str, port: int) -> list[str]:
        lookups.append(host)
        return {
            "intranet.test": ["127.0.0.2"],
            "metadata.test": ["169.254.169.254"],
            "office.test": ["192.168.1.20"],
            "mixed.test": ["93.184.216.34", "10.9.8.7"],
            "v6.test": ["::ffff:127.0.0.2"],
        }[host]

    targets = {
        "/to-loopback.xml": (f"http://127.0.0.2:{inside.port}/secret.xml", "loopback"),
        "/to-name.xml": (f"http://intranet.test:{inside.port}/secret.xml", "loopback"),
        "/to-metadata.xml": ("http://169.254.169.254/latest/meta-data/", "metadata"),
        "/to-metadata-name.xml": ("http://metadata.test/latest/", "metadata"),
        "/to-office.xml": ("http://office.test/feed.xml", "private"),
        "/to-mixed.xml": ("http://mixed.test/feed.xml", "10.9.8.7"),
        "/to-mapped.xml": (f"http://v6.test:{inside.port}/secret.xml", "IPv6 form of 127.0.0.2"),
    }
    for path, (target, _) in targets.items():
        feed_server.redirect(path, target, status=301)
    inside.set("/secret.xml", rss([{"guid": "secret", "title": "internal"}]))
    feed_server.set("/public.xml", rss([{"guid": "p1", "title": "fine"}]))
    # Only the feed server's own address is let through: the rest stays private.
    fetcher = HttpFetcher(allow_private=False, allow_addresses={"127.0.0.1"}, resolve=dns)
    try:
        await rig.start([*targets, "/public.xml"], fetcher=fetcher)
        for _ in range(3):
            rig.clock.set(rig.clock.now() + timedelta(days=2))
            await rig.poll_due()
        for path, (_, why) in targets.items():
            feed = await rig.feed(path)
            assert feed.url == feed_server.url(path), "a refused redirect is never adopted"
            assert (feed.failures, feed.error_code) == (3, "unsafe_url"), path
            assert why in str(feed.last_error), (path, feed.last_error)
        assert (await rig.feed("/public.xml")).status == "ok"
        assert sum(inside.hits.values()) == 0
        assert {"intranet.test", "metadata.test", "office.test", "mixed.test"} <= set(lookups)
        with pytest.raises(UnsafeURLError):
            await fetcher.fetch(FetchRequest(inside.url("/secret.xml")))
    finally:
        await inside.close()
