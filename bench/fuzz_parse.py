"""Time-boxed mutation fuzz of the feed parse path.

    python bench/fuzz_parse.py --seconds 60

Mutates seed documents (built-in ones plus, when present, feedparser's test
corpus under ../shared/corpus/feeds): byte flips, inserts, deletions,
truncation, splicing, repeated slices, markup and entity injection, and
re-encoding as UTF-16/32. Each mutant goes through the bot's parser
(``FastFeedParser``: feedparser-rs with feedparser as the fallback; ``--parser
feedparser`` for feedparser alone) with a random Content-Type. Exits 1 on any
exception other than ParseError, or on an input that takes longer than
``--hang-seconds``; the input is saved under ``--crash-dir`` to replay.
Prints iterations, time and peak memory.
"""

from __future__ import annotations

import argparse
import random
import resource
import signal
import sys
import time
import traceback
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.errors import ParseError  # noqa: E402
from bot.feeds.feedparser_adapter import FeedparserParser  # noqa: E402
from bot.feeds.formats import FastFeedParser  # noqa: E402

# Beside the repository (a clone in /work/main), or two levels up (a worktree).
CORPUS = next(
    (
        c
        for c in (ROOT.parent / "shared/corpus/feeds", ROOT.parent.parent / "shared/corpus/feeds")
        if c.is_dir()
    ),
    ROOT.parent / "shared/corpus/feeds",
).resolve()

SEEDS = [
    b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Seed</title><link>https://x.example/</link>
<item><guid>1</guid><title>Fable 5 suspended</title><link>https://x.example/1</link>
<description>&lt;p&gt;Export &amp;amp; controls&lt;/p&gt;</description>
<pubDate>Tue, 02 Jan 2024 05:04:05 +0200</pubDate></item></channel></rss>""",
    b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom</title><id>urn:x</id>
<updated>2024-03-01T00:00:00Z</updated>
<entry><id>urn:e</id><title type="html">A &amp;lt;b&amp;gt;</title>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>x</p></div></content>
<link href="/rel"/><updated>2024-03-01T12:30:00-05:00</updated></entry></feed>""",
    b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"
  "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>Old</title><item><title>Caf\xe9</title></item>
</channel></rss>""",
    b"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "x"><!ENTITY b "&a;&a;">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
<channel><title>&a;</title></channel><item><title>&b;</title></item></rdf:RDF>""",
    b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Self-closing</title>
<item><guid>a1</guid><title>One</title><description/><link>/one</link></item>
<item><guid>a2</guid><title>Two</title><pubDate>Di, 23 Jan 2018 00:00:00 +0100</pubDate>
<comments/></item>
</channel></rss>""",
    b"""{"version": "https://jsonfeed.org/version/1.1", "title": "JSON", "items": [
{"id": "1", "url": "https://j.example/1", "title": "Why std::vector<int> is slow",
 "content_text": "a < b", "date_published": "2024-03-01T12:30:00-05:00"},
{"id": 2, "content_html": "<p>x</p>", "authors": [{"name": "A"}]}]}""",
]

INJECTIONS = [
    b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>',
    b'<!DOCTYPE x [<!ENTITY q "' + b"q" * 5000 + b'">]>',
    b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    b'<!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1/x.dtd"> %p;]>',
    b"&a;&b;&c;&d;&q;&xxe;" * 20,
    b"<![CDATA[",
    b"]]>",
    b"<!--",
    b"-->",
    b"<?xml version='1.0' encoding='utf-7'?>",
    b"<?xml version='1.0' encoding='utf-16'?>",
    b"+ADw-!ENTITY a +ACI-x+ACI-+AD4-",
    b"<script>alert(1)</script>",
    b"<img src=x onerror=alert(1)>",
    b"<html><body>",
    b"\x00\xff\xfe\xef\xbb\xbf",
    b"&#x110000;&#0;&#xD800;",
    b"<item><title>x</title><pubDate>31 Feb 99999 25:61:61 +9999</pubDate></item>",
]

CONTENT_TYPES = [
    None,
    "application/rss+xml; charset=utf-8",
    "application/xml",
    "text/xml",
    "text/xml; charset=utf-16",
    "text/html; charset=iso-8859-1",
    "text/plain",
    "application/atom+xml; charset=utf-7",
    "application/octet-stream",
]


class Hang(Exception):
    pass


def on_alarm(signum: int, frame: FrameType | None) -> None:
    raise Hang("parse took too long")


def load_seeds(limit: int, rng: random.Random) -> list[bytes]:
    seeds = list(SEEDS)
    if CORPUS.is_dir():
        files = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.stat().st_size < 200_000)
        rng.shuffle(files)
        seeds += [p.read_bytes() for p in files[:limit]]
    return seeds


def mutate(data: bytes, seeds: list[bytes], rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(9)
        pos = rng.randint(0, len(buf))
        if op == 0 and buf:  # flip bits
            i = rng.randrange(len(buf))
            buf[i] ^= 1 << rng.randrange(8)
        elif op == 1:  # random bytes
            buf[pos:pos] = rng.randbytes(rng.randint(1, 8))
        elif op == 2 and buf:  # delete a slice
            del buf[pos : pos + rng.randint(1, 64)]
        elif op == 3:  # truncate
            del buf[pos:]
        elif op == 4:  # splice another seed in
            other = rng.choice(seeds)
            start = rng.randint(0, len(other))
            buf[pos:pos] = other[start : start + rng.randint(1, 2000)]
        elif op == 5:  # repeat a slice
            piece = bytes(buf[pos : pos + rng.randint(1, 200)])
            buf[pos:pos] = piece * rng.randint(2, 50)
        elif op == 6:  # inject markup or entities
            buf[pos:pos] = rng.choice(INJECTIONS)
        elif op == 7:  # a DOCTYPE right after the XML declaration
            end = buf.find(b"?>")
            at = end + 2 if 0 <= end < 200 else 0
            buf[at:at] = rng.choice(INJECTIONS[:4])
        else:  # re-encode
            encoding = rng.choice(["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-7"])
            buf = bytearray(bytes(buf).decode("latin-1").encode(encoding))
    return bytes(buf)


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    args.add_argument("--seconds", type=float, default=60.0)
    args.add_argument("--seed", type=int, default=None)
    args.add_argument("--parser", choices=["fast", "feedparser"], default="fast")
    args.add_argument("--corpus-seeds", type=int, default=300)
    args.add_argument("--hang-seconds", type=int, default=10)
    args.add_argument("--crash-dir", type=Path, default=ROOT / "bench" / "out" / "fuzz-crashes")
    opts = args.parse_args()

    seed = opts.seed if opts.seed is not None else random.SystemRandom().randrange(2**32)
    rng = random.Random(seed)
    seeds = load_seeds(opts.corpus_seeds, rng)
    parser = FastFeedParser() if opts.parser == "fast" else FeedparserParser()
    signal.signal(signal.SIGALRM, on_alarm)

    started = time.perf_counter()
    iterations = refused = 0
    slowest = 0.0
    while time.perf_counter() - started < opts.seconds:
        body = mutate(rng.choice(seeds), seeds, rng)
        content_type = rng.choice(CONTENT_TYPES)
        headers = {"content-type": content_type} if content_type else {}
        iterations += 1
        began = time.perf_counter()
        signal.alarm(opts.hang_seconds)
        try:
            parser.parse(body, headers)
        except ParseError:
            refused += 1
        except BaseException as error:
            signal.alarm(0)
            if isinstance(error, KeyboardInterrupt):
                raise
            opts.crash_dir.mkdir(parents=True, exist_ok=True)
            saved = opts.crash_dir / f"crash-{seed}-{iterations}.xml"
            saved.write_bytes(body)
            print(f"FAIL after {iterations} inputs (seed {seed}): {type(error).__name__}")
            print(f"headers: {headers}; input saved to {saved}")
            traceback.print_exc()
            return 1
        finally:
            signal.alarm(0)
        slowest = max(slowest, time.perf_counter() - began)

    elapsed = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"ok: {iterations} inputs in {elapsed:.1f} s (seed {seed}, {len(seeds)} seeds), "
        f"{refused} refused with ParseError, slowest {slowest * 1000:.0f} ms, "
        f"peak RSS {peak_mib:.0f} MiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
