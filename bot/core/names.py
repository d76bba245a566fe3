"""Names in news text: the companies, products, people and government bodies an
item is about, found without any list of them. Pure.

A name is a run of capitalised words ("Acme Widget", "GlobexAI", "D.C. Circuit"),
with small linking words inside ("Department of Energy") and a short number after
it ("Widget 5", "Gadget 4.8"); a possessive ends it ("Acme's Widget" is two).
In scripts written without spaces, a government body is a few characters before
a generic ending ("商务部", "国防総省"). Whether a name is a government body or
court, or a company, is read from generic nouns and suffixes in
``lexicon/names.yaml`` (data, not code): "ministry", "court", "autorità", "法院",
"Inc", "Labs". A capitalised word that opens a sentence may be an ordinary word
("Government lets …"): the caller decides with :func:`lowercase_words` over the
items at hand (a word also written in lower case there is no name).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from bot.core.text import normalise_text

_LATIN = "A-Za-zÀ-ÖØ-öø-ɏ"
_TOKEN = re.compile(
    rf"(?:[A-Z]\.){{2,}}|[{_LATIN}](?:[{_LATIN}0-9&'’-]*[{_LATIN}0-9])?(?:['’]s)?|\d+(?:\.\d+)?"
)
_UNSPACED = "\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af"
_OPENERS = set(".!?:;\"«»“”‘'([—–|\n")
_MAX_TOKENS = 6  # longer runs are title-case headlines, not names


@dataclass(frozen=True, slots=True)
class Lexicon:
    government: frozenset[str]
    government_suffixes: tuple[str, ...]
    corporate_suffixes: frozenset[str]
    connectors: frozenset[str]
    calendar: frozenset[str]


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The generic nouns of ``lexicon/names.yaml``, folded as text is."""
    text = resources.files("bot.core").joinpath("lexicon/names.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    return Lexicon(
        government=frozenset(normalise_text(w) for w in data["government"]),
        government_suffixes=tuple(sorted(data["government_suffixes"], key=len, reverse=True)),
        corporate_suffixes=frozenset(normalise_text(w) for w in data["corporate_suffixes"]),
        connectors=frozenset(data["connectors"]),
        calendar=frozenset(normalise_text(w) for w in data["calendar"]),
    )


@dataclass(frozen=True, slots=True)
class Name:
    """A name as written (``text``) and folded for comparison (``key``);
    ``initial`` when it opens a sentence, so its first word may be no name."""

    text: str
    key: str
    initial: bool

    def without_first_word(self) -> Name | None:
        words = self.text.split(" ", 1)
        if len(words) == 1:
            return None
        rest = words[1]
        while rest.split(" ", 1)[0] in lexicon().connectors:
            if " " not in rest:
                return None
            rest = rest.split(" ", 1)[1]
        return Name(rest, normalise_text(rest), initial=False)


def names_in(text: str) -> list[Name]:
    """The names of ``text`` (a headline or a summary), in order of appearance."""
    found = _cjk_bodies(text)
    tokens = list(_TOKEN.finditer(text))
    # Title Case Headline: every word looks like a name, so none is one. Told
    # by its longer words (verbs and nouns), which are all capitalised.
    longer = [t.group() for t in tokens if len(t.group()) >= 4 and not t.group()[0].isdigit()]
    if len(longer) >= 4 and all(_capitalised(w) for w in longer):
        return found
    span: list[str] = []
    pending: list[str] = []  # linking words, kept only when a name word follows
    initial = False
    end = 0

    def close() -> None:
        if span and len(span) <= _MAX_TOKENS and any(_capitalised(w) for w in span):
            written = " ".join(span)
            if _meaningful(normalise_text(written)):
                found.append(Name(written, normalise_text(written), initial))
        span.clear()
        pending.clear()

    for token in tokens:
        word, start = token.group(), token.start()
        joined = bool(span) and text[end:start] == " "
        possessive = word[-2:] in ("'s", "’s") and len(word) > 2
        if possessive:
            word = word[:-2]
        if _capitalised(word):
            if not joined:
                close()
                initial = _opens_sentence(text, start)
            span.extend(pending)
            pending.clear()
            span.append(word)
        elif joined and word[0].isdigit() and len(word) <= 4 and not pending:
            span.append(word)  # "Widget 5", "Gadget 4.8"
        elif joined and word in lexicon().connectors and not span[-1][0].isdigit():
            pending.append(word)
        else:
            close()
        end = token.end()
        if possessive:
            close()
    close()
    return found


def lowercase_words(text: str) -> set[str]:
    """The words of ``text`` written in lower case (ordinary words, not names)."""
    return {t.group() for t in _TOKEN.finditer(text) if t.group().islower()}


def is_government(key: str) -> bool:
    """Whether a folded name is a government body, regulator, court or judge."""
    nouns = lexicon().government
    words = [_singular(w) for w in key.split()]
    if any(w in nouns for w in words) or any(
        " ".join(words[i : i + 2]) in nouns for i in range(len(words) - 1)
    ):
        return True
    return bool(key) and _unspaced(key[-1]) and key.endswith(lexicon().government_suffixes)


def is_company(key: str) -> bool:
    """Whether a folded name ends in a corporate suffix ("Skylark Labs", "Acme Inc")."""
    words = key.replace(".", "").split()
    return len(words) > 1 and words[-1] in lexicon().corporate_suffixes


def mentions_government(text: str) -> bool:
    """Whether ``text`` names any government body or court, even by a generic
    noun in lower case ("the court", "regulators", "法院")."""
    folded = normalise_text(text)
    words = set(re.findall(r"[^\W\d_]+(?:\s[^\W\d_]+)?", folded))
    single = {_singular(w) for phrase in words for w in phrase.split()}
    if lexicon().government & (single | words):
        return True
    return bool(_cjk_bodies(text))


@lru_cache(maxsize=1)
def _cjk_pattern() -> re.Pattern[str]:
    suffixes = "|".join(re.escape(s) for s in lexicon().government_suffixes if _unspaced(s[0]))
    return re.compile(rf"[{_UNSPACED}]{{0,4}}(?:{suffixes})")


def _cjk_bodies(text: str) -> list[Name]:
    if not any(_unspaced(c) for c in text):
        return []
    return [
        Name(m.group(), normalise_text(m.group()), False)
        for m in _cjk_pattern().finditer(text)
        if len(m.group()) > 1
    ]


def _meaningful(key: str) -> bool:
    """Not a date ("June 30", "Friday") and not a bare two-letter abbreviation
    ("US", "AI": shared by every story)."""
    words = key.split()
    if all(w in lexicon().calendar or w.replace(".", "").isdigit() for w in words):
        return False
    return len(key.replace(".", "").replace(" ", "")) > 2


def _singular(word: str) -> str:
    """English plurals of the generic nouns ("courts", "agencies"); other words as they are."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def _capitalised(word: str) -> bool:
    return bool(word) and not word[0].isdigit() and any(c.isupper() for c in word)


def _opens_sentence(text: str, start: int) -> bool:
    before = text[:start].rstrip(" ")
    return not before or before[-1] in _OPENERS


def _unspaced(char: str) -> bool:
    return (
        "\u3040" <= char <= "\u30ff" or "\u4e00" <= char <= "\u9fff" or "\uac00" <= char <= "\ud7af"
    )
