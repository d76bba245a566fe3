"""Finding the lexicon's phrases in a clause, by lemma.

Pure. A clause is normalised once (:func:`bot.core.text.normalise_text`, keeping
spaced dashes) and cut into tokens: words of spaced scripts, single characters
of scripts written without spaces (Chinese, Japanese), punctuation. A phrase's
word matches a token when it equals the token or the token's lemma in the
phrase's language (``simplemma``: "barred" → "bar", "bloqueó" → "bloquear",
"diblokir" → "blokir"); the lemma is taken from the accented word, then folded
like everything else. Elisions and clitics give their word too ("l'étiquette"
→ "etiquette", "court's" → "court", "won't" → "not"). ``*`` in a phrase stands
for up to four tokens. Korean words match at the start of a word (before its
particles and endings); Chinese and Japanese phrases anywhere in the text.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, NamedTuple

from simplemma import Lemmatizer
from simplemma.strategies import DefaultStrategy
from text_to_num import text2num

from bot.core.reader.dictionaries import low_memory_factory
from bot.core.reader.lexicon import Language, Lexicon
from bot.core.text import drop_accents, fold, normalise_text

Mode = Literal["active", "uncertain", "foreign"]
GAP = 4  # tokens a "*" stands for
_STEM = 3  # letters a word shares with a lexicon word it may be a form of
NUMBER = "#number"  # a phrase word that matches a number, in digits or words
YEAR = "#year"  # a phrase word that matches a year (1900-2099)
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_DIGITS = re.compile(r"^\d+(?:[.,]\d+)?$")
_UNSPACED_GAP = 8  # characters a "*" stands for in scripts without spaces
_UNSPACED = "\u2e80-\u9fff\uf900-\ufaff\uff66-\uff9f"
_TOKEN = re.compile(
    rf"[{_UNSPACED}]|(?:(?![{_UNSPACED}])[^\W_])+(?:'(?:(?![{_UNSPACED}])[^\W_])+)*|[^\w\s]"
)
_HANGUL = re.compile("[\uac00-\ud7af]")
_CJK = re.compile(f"[{_UNSPACED}]")
_LATIN = re.compile("[a-z]")
_ELISION = re.compile(r"^(?:[ldjnmtsc]|qu|dell|dall|nell|sull|all|un|d'un)'(?=\w)")


class Token(NamedTuple):
    # A named tuple, not a frozen dataclass: a clause makes dozens, and a tuple
    # is made three times faster.
    text: str  # folded (lower case, no accents)
    start: int
    end: int
    surface: str  # lower case with accents, for the lemmatiser


@dataclass(frozen=True, slots=True)
class Hit:
    """A lexicon phrase found at tokens ``[first, last]`` (characters ``[start, end)``)."""

    lang: str
    category: str
    value: Any
    first: int
    last: int
    start: int
    end: int
    phrase: str


class Text:
    """One normalised clause (or sentence) and its tokens."""

    __slots__ = ("_keys", "_unlemmatised", "plain", "tokens")

    def __init__(self, raw: str) -> None:
        lower = _lower(raw)
        self.plain = drop_accents(lower)
        self.tokens = tuple(
            Token(m.group(), m.start(), m.end(), lower[m.start() : m.end()])
            for m in _TOKEN.finditer(self.plain)
        )
        self._keys: dict[tuple[int, str | None], frozenset[str]] = {}
        self._unlemmatised: list[frozenset[str]] | None = None

    def unlemmatised(self) -> list[frozenset[str]]:
        """Each token's forms without a lemmatiser (``keys(i, None)``), which
        every language's phrases are compared with."""
        if self._unlemmatised is None:
            self._unlemmatised = [_keys(t.text, t.surface, None) for t in self.tokens]
        return self._unlemmatised

    def keys(self, index: int, lemmatiser: str | None) -> frozenset[str]:
        """The forms token ``index`` may be matched by in a language."""
        if lemmatiser is None:
            return self.unlemmatised()[index]
        key = (index, lemmatiser)
        found = self._keys.get(key)
        if found is None:
            token = self.tokens[index]
            found = self._keys[key] = _keys(token.text, token.surface, lemmatiser)
        return found

    def token_at(self, char: int) -> int:
        """The index of the token that starts at or after character ``char``."""
        for i, token in enumerate(self.tokens):
            if token.end > char:
                return i
        return len(self.tokens)


def token_texts(raw: str) -> list[str]:
    """The folded words (and signs) of ``raw``: the texts of ``Text(raw).tokens``."""
    return _TOKEN.findall(drop_accents(_lower(raw)))


def _lower(raw: str) -> str:
    return fold(unicodedata.normalize("NFKC", raw), keep_dashes=True) if raw else ""


@lru_cache(maxsize=65536)
def _keys(text: str, surface: str, lemmatiser: str | None) -> frozenset[str]:
    forms = {(text, surface)}
    if "'" in text:
        if text.endswith("n't"):
            return frozenset({text, "not"})  # "won't" is a refusal, no "will"
        if text.endswith("'s"):
            forms.add((text[:-2], surface[:-2]))
            forms.add(("'s", "'s"))
        else:
            m = _ELISION.match(text)
            if m:
                forms.add((text[m.end() :], surface[m.end() :]))
    out = {t for t, _ in forms}
    if lemmatiser:
        for _, s in forms:
            out.add(drop_accents(_lemma(s, lemmatiser)))
    return frozenset(out)


@lru_cache(maxsize=131072)
def _lemma(word: str, lang: str) -> str:
    try:
        return str(_lemmatizer().lemmatize(word, lang=lang)).lower()
    except ValueError:  # a language simplemma does not know: the word is its own lemma
        return word


@lru_cache(maxsize=16384)
def is_number(word: str, lang: str | None) -> bool:
    """Digits, or a number word of ``lang`` ("eighteen", "dix-huit")."""
    if _DIGITS.match(word):
        return True
    if lang is None or not word.isalpha():
        return False
    try:
        text2num(word, lang)
    except (ValueError, KeyError, TypeError):
        return False
    return True


def release_dictionaries() -> None:
    """Let the lemmatiser's dictionaries go. Compiling the lexicon loads every
    lexicon language's (19 MB for seven); reading items needs only the
    languages the feeds are written in, each loaded again at its first word
    (0.15 s for English, 0.7 s for German). The lemmas found so far stay
    cached."""
    _lemmatizer.cache_clear()


@lru_cache(maxsize=1)
def _lemmatizer() -> Lemmatizer:
    # simplemma's low-memory dictionaries: all seven of our languages take 65 MB
    # resident instead of 418 MB, at a slower look-up (cached above, and asked
    # only for words that may be one of the lexicon's: see PhraseIndex); with a
    # sparser, packed index (see dictionaries), 21 MB.
    factory = low_memory_factory()
    if factory is None:
        return Lemmatizer(lemmatization_strategy=DefaultStrategy(low_memory=True))
    return Lemmatizer(lemmatization_strategy=DefaultStrategy(dictionary_factory=factory))


def phrase_words(phrase: str) -> tuple[str, ...]:
    """A lexicon or storyline phrase as the words the matcher compares."""
    words = []
    for word in phrase.split(" "):
        if word in (NUMBER, YEAR, "*"):
            words.append(word)
        else:
            words.extend(t.text for t in Text(word).tokens)
    return tuple(words) or ((normalise_text(phrase),) if phrase else ())


@dataclass(frozen=True, slots=True)
class _Entry:
    words: tuple[str, ...]
    category: str
    value: Any
    phrase: str
    parts: tuple[str, ...] = ()  # unspaced scripts: the phrase's pieces around "*"


class PhraseIndex:
    """Every phrase of one language, found in a :class:`Text` by :meth:`find`."""

    def __init__(self, language: Language, entries: Sequence[tuple[str, str, Any]]) -> None:
        self.language = language
        self._all: list[_Entry] = []
        for phrase, category, value in entries:
            if language.script == "unspaced":
                parts = tuple(normalise_text(p).replace(" ", "") for p in phrase.split("*"))
                if parts[0]:
                    self._all.append(_Entry((phrase,), category, value, phrase, parts))
                continue
            words = phrase_words(phrase)
            if words:
                self._all.append(_Entry(words, category, value, phrase))
        if language.script == "unspaced":
            self._all.sort(key=lambda e: -len(e.phrase))
        # A word is lemmatised only when it starts like one of the lexicon's
        # words: most words of a text are none, and a look-up costs.
        self._stems = frozenset(w[:_STEM] for e in self._all for w in e.words if w[:1] != "#")
        # Read as the item's language: every phrase, by lemma. Read in an item of
        # another language: only what is done and to what, as written.
        self._active = _FirstWords(self._all, language.lemmatiser)
        self._foreign = _FirstWords([e for e in self._all if e.category in _ANY_LANGUAGE], None)

    def applies(self, text: Text) -> bool:
        script = self.language.script
        if script == "unspaced":
            return bool(_CJK.search(text.plain))
        if script == "prefixed":
            return bool(_HANGUL.search(text.plain))
        return bool(_LATIN.search(text.plain))

    def find(self, text: Text, *, reading: Mode = "active") -> Iterator[Hit]:
        """The phrases in ``text``, read as the item's language (``active``: every
        phrase, by lemma), as a language it may be written in (``uncertain``: the
        same, less the short context words that mean something else in other
        languages, "se", "si") or as another language (``foreign``: only what is
        done and to what, as written)."""
        if not self.applies(text):
            return
        if self.language.script == "unspaced":
            yield from self._find_unspaced(text)
            return
        if reading == "foreign":
            yield from self._find_spaced(text, self._foreign, None)
            return
        for hit in self._find_spaced(text, self._active, self.language.lemmatiser):
            if reading == "uncertain" and hit.category == "trigger" and len(hit.phrase) < 3:
                continue
            yield hit

    def _find_spaced(self, text: Text, index: _FirstWords, lemmatiser: str | None) -> Iterator[Hit]:
        prefixed = self.language.script == "prefixed"
        numbers = self.language.code if self.language.numbers else None
        heads, wild, stems = index.heads, index.wild, self._stems
        unlemmatised = text.unlemmatised()
        for i, token in enumerate(text.tokens):
            if prefixed:
                candidates: Sequence[_Entry] = index.entries
            else:
                word = token.text
                if lemmatiser and word[:_STEM] in stems:
                    keys = text.keys(i, lemmatiser)
                else:
                    keys = unlemmatised[i]
                number = bool(wild) and is_number(word, numbers)
                if not number and keys.isdisjoint(heads):
                    continue  # most words start no phrase
                candidates = index.starting(keys)
                if number:
                    candidates = [*candidates, *wild]
            seen: set[int] = set()
            for entry in candidates:
                if id(entry) in seen:
                    continue
                seen.add(id(entry))
                last = self._match(text, entry.words, 0, i, prefixed, lemmatiser)
                if last is not None:
                    yield Hit(
                        self.language.code,
                        entry.category,
                        entry.value,
                        i,
                        last,
                        token.start,
                        text.tokens[last].end,
                        entry.phrase,
                    )

    def _match(
        self,
        text: Text,
        words: tuple[str, ...],
        w: int,
        t: int,
        prefixed: bool,
        lemmatiser: str | None,
    ) -> int | None:
        """The last token of ``words[w:]`` matched from token ``t``, or None."""
        if t >= len(text.tokens):
            return None
        word = words[w]
        if word == "*":
            for skip in range(GAP + 1):
                if t + skip < len(text.tokens):
                    found = self._match(text, words, w + 1, t + skip, prefixed, lemmatiser)
                    if found is not None:
                        return found
            return None
        token = text.tokens[t]
        if word == NUMBER:
            ok = is_number(token.text, self.language.code if self.language.numbers else None)
        elif word == YEAR:
            ok = bool(_YEAR.match(token.text))
        elif prefixed:
            ok = token.text.startswith(word)
        else:
            ok = word in text.keys(t, self._lemmatiser_for(text, t, lemmatiser))
        if not ok:
            return None
        if w + 1 == len(words):
            return t
        return self._match(text, words, w + 1, t + 1, prefixed, lemmatiser)

    def _lemmatiser_for(self, text: Text, index: int, lemmatiser: str | None) -> str | None:
        word = text.tokens[index].text
        return lemmatiser if lemmatiser and word[:_STEM] in self._stems else None

    def _find_unspaced(self, text: Text) -> Iterator[Hit]:
        plain = text.plain
        for entry in self._all:
            parts = entry.parts
            start = plain.find(parts[0])
            while start != -1:
                end = _rest(plain, start + len(parts[0]), parts[1:])
                if end is not None:
                    first = text.token_at(start)
                    last = max(first, text.token_at(end - 1))
                    yield Hit(
                        self.language.code,
                        entry.category,
                        entry.value,
                        first,
                        last,
                        start,
                        end,
                        entry.phrase,
                    )
                start = plain.find(parts[0], start + 1)


class _FirstWords:
    """Phrases by their first word (and its lemma), and those that start with a
    number or a year, tried only where a number stands."""

    def __init__(self, entries: Sequence[_Entry], lemmatiser: str | None) -> None:
        self.entries = list(entries)
        self.first: dict[str, list[_Entry]] = defaultdict(list)
        self.wild: list[_Entry] = []
        for entry in entries:
            head = entry.words[0]
            if head in (NUMBER, YEAR):
                self.wild.append(entry)
                continue
            self.first[head].append(entry)
            # the phrase written in a form the lemmatiser brings back ("banned")
            for lemma in _keys(head, head, lemmatiser):
                if lemma != head:
                    self.first[lemma].append(entry)
        self.heads = frozenset(self.first)
        self._rank = {id(entry): n for n, entry in enumerate(entries)}

    def starting(self, forms: frozenset[str]) -> Sequence[_Entry]:
        """The phrases whose first word is one of a word's ``forms``, in the
        lexicon's order (not the set's, which varies with the hash seed: the
        cues a reading names follow it)."""
        heads = [form for form in forms if form in self.first]
        if len(heads) == 1:
            return self.first[heads[0]]
        found = {id(entry): entry for head in heads for entry in self.first[head]}
        return sorted(found.values(), key=lambda entry: self._rank[id(entry)])


def _rest(plain: str, at: int, parts: Sequence[str]) -> int | None:
    for part in parts:
        if not part:
            continue
        found = plain.find(part, at, at + _UNSPACED_GAP + len(part))
        if found == -1:
            return None
        at = found + len(part)
    return at


# What another language's phrases may say in a text: what is done and to what.
_ANY_LANGUAGE = frozenset({"event", "restrictions", "penalties", "mentions"})
# Lists that are no phrases to find: word endings, words compared one by one.
_NOT_PHRASES = frozenset(
    {"participle_endings", "passive_prefixes", "false_friends", "object_markers", "function_words"}
)


def build_indexes(lexicon: Lexicon) -> Mapping[str, PhraseIndex]:
    """One :class:`PhraseIndex` per language with every phrase of its file:
    events (category ``event``, value the kind), triggers (``trigger``, the
    :class:`Trigger`), and each word list by its name (value the phrase)."""
    out: dict[str, PhraseIndex] = {}
    for lang in lexicon.languages:
        entries: list[tuple[str, str, Any]] = []
        for kind, phrases in lang.events.items():
            entries.extend((p, "event", kind) for p in phrases)
        entries.extend((t.phrase, "trigger", t) for t in lang.triggers)
        # "the eighteen days X went dark", "a 12-day suspension": a state that ended
        entries.extend(
            (f"{NUMBER} {unit}", "durations", unit) for unit in lang.words("duration_units")
        )
        for name, phrases in lang.lists.items():
            if name not in _NOT_PHRASES:
                entries.extend((p, name, p) for p in phrases)
        out[lang.code] = PhraseIndex(lang, entries)
    return out
