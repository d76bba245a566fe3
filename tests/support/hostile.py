"""Hostile peers the tests build themselves: a silent server, a drip, a gzip bomb,
and a count of the requests being served at once."""

from __future__ import annotations

import asyncio
import struct
import zlib

from aiohttp import web

from tests.support.feedserver import Handler


async def silent(request: web.Request) -> web.StreamResponse:
    """Accepts the request and never answers."""
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


async def drip(request: web.Request) -> web.StreamResponse:
    """Answers 200 and then sends one byte a second, forever."""
    response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
    await response.prepare(request)
    await response.write(b'<?xml version="1.0"?><rss version="2.0"><channel>')
    while True:
        await response.write(b" ")
        await asyncio.sleep(1.0)  # the server's pace, not test synchronisation


def gzip_bomb(mebibytes: int) -> bytes:
    """A valid gzip stream of ``mebibytes`` MiB of zeros in about 1 KiB per MiB:
    after a full flush the compressor's output for each further MiB repeats."""
    zeros = bytes(1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(mebibytes):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = struct.pack("<II", crc, (mebibytes << 20) & 0xFFFFFFFF)
    return header + block * mebibytes + compressor.flush() + trailer


class AtOnce:
    """Counts the requests its handlers are serving at the same moment.

    A deadline shared by a cycle shows as slow peers all being waited on at
    once (``most`` equals their number), whatever the machine's load, where a
    stopwatch would only say how busy the machine was."""

    def __init__(self) -> None:
        self.serving = 0
        self.most = 0
        self.served = 0

    def counted(self, handler: Handler) -> Handler:
        async def serve(request: web.Request) -> web.StreamResponse:
            self.serving += 1
            self.served += 1
            self.most = max(self.most, self.serving)
            try:
                return await handler(request)
            finally:
                self.serving -= 1

        return serve
