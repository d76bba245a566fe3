"""What a parse worker process runs (``bot.feeds.parse_pool`` starts it): read
each document the bot sends on its socket and send back what the poll keeps.

Kept apart from the pool so that a worker loads only what reading needs (no
event loop, no database, no chat SDKs): the forkserver preloads this module
and the formats, and each worker forks from it.
"""

from __future__ import annotations

import contextlib
import pickle
import signal
import socket
import struct
import traceback
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.core.document import DocumentItems, Origin, document_items
from bot.errors import ParseError

if TYPE_CHECKING:
    from bot.ports import FeedParser


def read_document(
    parser: FeedParser,
    body: bytes,
    headers: Mapping[str, str] | None,
    origin: Origin,
    known: frozenset[str],
) -> DocumentItems:
    """What a poll keeps of a body: its items' keys and its new items
    normalised, made where the parse runs (a worker process, or a thread), so
    a pool's workers key and normalise too and raw items never leave them."""
    return document_items(parser.parse(body, headers, known).entries, origin, known)


def serve(sock: socket.socket) -> None:
    """A worker's life: answer each document framed on ``sock`` (``None``: a
    ping) until the bot's end closes (``close``, or its process ended: kill
    -9, the OOM killer). Ctrl-C in a terminal reaches the whole process group:
    the bot stops its workers itself, so a worker ignores it rather than die
    mid-document printing a KeyboardInterrupt traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with sock, sock.makefile("rb") as incoming, contextlib.suppress(OSError):
        # OSError: the bot's end closed while answering; nobody is left to tell.
        while len(head := incoming.read(HEAD.size)) == HEAD.size:
            (size,) = HEAD.unpack(head)
            try:
                work = pickle.loads(incoming.read(size))  # noqa: S301 - from the bot that started us
                answer: tuple[bool, Any, str | None] = (
                    True,
                    None if work is None else read_document(*work),
                    None,
                )
            except ParseError as error:
                answer = (False, error, None)
            except Exception as error:  # a bug: raised in the bot, with this traceback
                answer = (False, error, traceback.format_exc())
            try:
                frame = framed(answer)
            except Exception:  # an exception that does not pickle
                unpicklable = RuntimeError(f"{type(answer[1]).__name__}: {answer[1]}")
                frame = framed((False, unpicklable, traceback.format_exc()))
            sock.sendall(frame)


#: A frame's head: the length of the pickle that follows.
HEAD = struct.Struct("!I")


def framed(message: object) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return HEAD.pack(len(data)) + data
