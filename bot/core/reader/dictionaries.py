"""simplemma's low-memory dictionaries, with a sparser and compact index. Pure
(reads the package's data files, as simplemma does).

simplemma's ``StreamMap`` keeps one restart point per 32 records of a
language's front-coded stream, each as a tuple of Python objects: 24 MB for our
seven languages, more than the streams themselves. Here a restart point is one
per :data:`BLOCK_SIZE` records, and all of a language's points are packed into
two byte strings and three integer arrays: 1.9 MB for the seven languages at 64
records a block, where 128-record tuples took 6.6 MB (and look-ups decode
half as many records: 20 us instead of 34). A block's first record (its key and value, for
the bisection and as the seed to decode the rest of the block) and where its
second record starts. Same answers: a look-up bisects to its block and decodes
forward from it with simplemma's own record decoder, whatever the block's size.
Should simplemma's internals change, its own low-memory factory is used instead.
"""

from __future__ import annotations

from array import array
from typing import Any

#: Records per restart point (simplemma's own: 32).
BLOCK_SIZE = 64


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
    iter_records = frontcode._iter_records

    class PackedStreamMap(stream.StreamMap):
        # Block i's first record: key ``_keys[_key_at[i]:_key_at[i + 1]]``, value
        # likewise in ``_values``; the block's next record starts at ``_next[i]``.
        __slots__ = ("_key_at", "_keys", "_next", "_value_at", "_values")

        def __init__(self, lang: str) -> None:
            self._data = data = read_decompressed(lang)
            self._rev, self._count, self._pos = frontcode._read_header(data)
            keys, values = bytearray(), bytearray()
            key_at, value_at, after_first = array("I", [0]), array("I", [0]), array("I")
            index = -1
            for index, (record_start, stored_key, stored_value) in enumerate(
                iter_records(data, self._pos)
            ):
                position = index % BLOCK_SIZE
                if position == 0:
                    keys += stored_key
                    key_at.append(len(keys))
                    values += stored_value
                    value_at.append(len(values))
                elif position == 1:
                    after_first.append(record_start)
            if index + 1 != self._count:
                raise ValueError(frontcode._CORRUPT_STREAM_MSG)
            if len(after_first) < len(key_at) - 1:  # the last block holds one record
                after_first.append(len(data))
            self._keys, self._values = bytes(keys), bytes(values)
            self._key_at, self._value_at, self._next = key_at, value_at, after_first

        def _lookup(self, key: str) -> str | None:
            target = key.encode()
            if self._rev:
                target = target[::-1]
            keys, key_at = self._keys, self._key_at
            # bisect_right over the blocks' first keys
            low, high = 0, len(key_at) - 1
            while low < high:
                middle = (low + high) // 2
                if target < keys[key_at[middle] : key_at[middle + 1]]:
                    high = middle
                else:
                    low = middle + 1
            block = low - 1
            if block < 0:
                return None
            first_key = keys[key_at[block] : key_at[block + 1]]
            first_value = self._values[self._value_at[block] : self._value_at[block + 1]]
            if first_key == target:
                return self._decoded(first_value)
            # sorted keys bound the scan: the next block's first key exceeds target
            for _, stored_key, stored_value in iter_records(
                self._data, self._next[block], first_key, first_value
            ):
                if stored_key == target:
                    return self._decoded(stored_value)
                if stored_key > target:
                    return None
            return None

        def _decoded(self, stored_value: bytes) -> str:
            return (stored_value[::-1] if self._rev else stored_value).decode()

    class PackedStreamFactory(stream.StreamDictionaryFactory):
        __slots__ = ()

        def _get_dictionary_uncached(self, lang: str) -> Any:
            return PackedStreamMap(lang)

    return PackedStreamFactory()
