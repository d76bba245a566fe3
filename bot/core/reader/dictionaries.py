"""simplemma's low-memory dictionaries, indexed more sparsely. Pure (reads the
package's data files, as simplemma does).

simplemma's ``StreamMap`` keeps one restart point per 32 records of a
language's front-coded stream, as Python objects: 24 MB for our seven
languages, more than the streams themselves. One per 128 records gives the same
answers (a look-up bisects to its block and decodes forward from it, whatever
the block's size) for a quarter of that; a look-up decodes up to 128 records
instead of 32, and the reader memoises its look-ups. Should simplemma's
internals change, its own low-memory factory is used instead.
"""

from __future__ import annotations

from typing import Any

#: Records per restart point (simplemma's own: 32).
BLOCK_SIZE = 128


def low_memory_factory() -> Any:
    """A dictionary factory for ``DefaultStrategy(dictionary_factory=…)``."""
    try:
        from simplemma.strategies.dictionaries import frontcode
        from simplemma.strategies.dictionaries import stream_dictionary_factory as stream
    except ImportError:  # pragma: no cover - another simplemma layout
        return None
    read_decompressed: Any = getattr(stream, "_read_decompressed", None)
    if read_decompressed is None:  # pragma: no cover - another simplemma layout
        return None

    class SparseStreamMap(stream.StreamMap):
        __slots__ = ()

        def __init__(self, lang: str) -> None:
            # simplemma's StreamMap.__init__, with BLOCK_SIZE restart points.
            self._data = read_decompressed(lang)
            self._rev, self._count, self._pos = frontcode._read_header(self._data)
            firsts: list[bytes] = []
            blocks: list[tuple[int, bytes, bytes]] = []
            prev_key, prev_value = b"", b""
            index = -1
            for index, (record_start, stored_key, stored_value) in enumerate(
                frontcode._iter_records(self._data, self._pos)
            ):
                if index % BLOCK_SIZE == 0:
                    firsts.append(stored_key)
                    blocks.append((record_start, prev_key, prev_value))
                prev_key, prev_value = stored_key, stored_value
            if index + 1 != self._count:
                raise ValueError(frontcode._CORRUPT_STREAM_MSG)
            self._firsts = firsts
            self._blocks = blocks

    class SparseStreamFactory(stream.StreamDictionaryFactory):
        __slots__ = ()

        def _get_dictionary_uncached(self, lang: str) -> Any:
            return SparseStreamMap(lang)

    return SparseStreamFactory()
