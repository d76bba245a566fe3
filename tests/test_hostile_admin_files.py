"""Issue 18, cases 1, 3 and 8: no file an admin hands the bot can take the host down.

A storyline pattern too large to compile, a YAML alias bomb, a FIFO, a device or a
huge line are each refused with one line naming the file (and the line) before
anything large is read, built or compiled; the memory a refusal costs is traced."""

from __future__ import annotations

import contextlib
import os
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.config import corpus_file, feeds_file, storylines
from bot.config.corpus_file import load_corpus
from bot.config.feeds_file import load_feeds_file
from bot.config.storylines import load_storyline, load_storylines
from bot.errors import ConfigError
from tests.conftest import REPO
from tests.support.cli import threadline

STORYLINE = """\
id: demo
title: A demo storyline
match:
  subjects:
    - name: lab
      phrases: [Anthropic]
facts:
  - id: count
    label: Count
    kind: text
    patterns:
{patterns}
"""


def storyline_with(tmp_path: Path, *patterns: str) -> Path:
    path = tmp_path / "demo.yaml"
    lines = "".join(f"      - '{p}'\n" for p in patterns)
    path.write_text(STORYLINE.format(patterns=lines), encoding="utf-8")
    return path


def refused(load: Callable[[], object]) -> tuple[str, int]:
    """The one-line message ``load`` is refused with, and the memory it traced."""
    tracemalloc.start()
    try:
        with pytest.raises(ConfigError) as info:
            load()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "\n" not in info.value.message
    return info.value.message, peak


# --- case 1: a pattern too large to compile -------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [r"(?P<value>(?:(?:a{1000}){1000}){1000})", r"(?P<value>(?:a{1000}){1000})"],
)
def test_a_pattern_that_repeats_too_much_is_refused_before_it_is_compiled(
    tmp_path: Path, pattern: str
) -> None:
    path = storyline_with(tmp_path, r"(?P<value>\d+) staff", pattern)
    message, peak = refused(lambda: load_storyline(path))
    assert message.startswith(f"{path}: facts[0].patterns[1] (line 13): the pattern repeats")
    assert "more than 10,000 characters (the limit)" in message
    # Compiling the second of them alone traces 246 MB.
    assert peak < 5_000_000


def test_patterns_too_large_together_are_refused(tmp_path: Path) -> None:
    each = r"(?P<value>\d{1,3}(?:[.,]\d{3}){3000})"  # 3 + 4 * 3000 = 12,003: over the limit
    assert "repeats too much" in refused(lambda: load_storyline(storyline_with(tmp_path, each)))[0]
    each = r"(?P<value>\d{1,3}(?:[.,]\d{3}){2000})"  # 8,003 each: six are over 50,000
    path = storyline_with(tmp_path, *[each] * 7)
    message, _ = refused(lambda: load_storyline(path))
    assert "facts[0].patterns[6] (line 18): the patterns of this storyline stand for" in message
    assert f"more than {storylines.MAX_PATTERN_TOTAL:,} characters together" in message


def test_a_pattern_too_deeply_nested_is_an_invalid_pattern(tmp_path: Path) -> None:
    path = storyline_with(tmp_path, "(?P<value>" + "(" * 3000 + "x" + ")" * 3000 + ")")
    message, _ = refused(lambda: load_storyline(path))
    assert "pattern 0 is not a valid regular expression: groups are nested too deeply" in message


def test_the_shipped_patterns_are_far_inside_the_limits() -> None:
    from bot.core.patterns import MAX_PATTERN_SIZE, pattern_size

    for story in load_storylines(REPO / "storylines"):
        for fact in story.facts:
            assert all(pattern_size(p) < MAX_PATTERN_SIZE // 50 for p in fact.patterns)


# --- case 3: YAML aliases -------------------------------------------------------------------


def alias_bomb(levels: int, indent: str) -> str:
    """``levels`` lines, each a list of nine aliases of the line before: 9^levels values."""
    lines = [f"{indent}- &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"{indent}- &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_in_a_storyline_is_refused_before_it_expands(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(
        "id: bomb\ntitle: Bomb\nauthoritative_sources:\n"
        + alias_bomb(7, "  ")
        + "match:\n  subjects:\n    - name: lab\n      phrases: [Anthropic]\n"
    )
    assert len(path.read_bytes()) < 500
    message, peak = refused(lambda: load_storyline(path))
    assert message == (
        f"{path}: line 5: YAML aliases (*l0) are not allowed; "
        "write the value out where it is needed"
    )
    # The read buffer (the file's byte limit) and little else.
    assert peak < storylines.MAX_FILE_BYTES + 500_000


def test_an_alias_bomb_in_the_feeds_file_is_refused_before_it_expands(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "feeds:\n  - url: http://news.example/a.xml\n    name: Desk\n    tags: &t\n"
        + alias_bomb(9, "      ")
        + "  - {url: 'http://news.example/b.xml', name: Two, tags: *t}\n"
    )
    message, peak = refused(lambda: load_feeds_file(path, 600))
    assert message.startswith(f"{path}: line 6: YAML aliases (*l0) are not allowed")
    assert peak < feeds_file.MAX_FILE_BYTES + 500_000


def test_a_merge_key_is_an_alias_too_but_asterisks_in_text_are_not(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "feeds:\n  - &desk {url: 'http://news.example/a.xml', name: 'Desk *one*'}\n"
        "  - {<<: *desk, url: 'http://news.example/b.xml'}\n"
    )
    message, _ = refused(lambda: load_feeds_file(path, 600))
    assert message.startswith(f"{path}: line 3: YAML aliases (*desk) are not allowed")
    path.write_text("feeds:\n  - url: http://news.example/a.xml?q=*\n    name: '*Starred* desk'\n")
    assert [s.name for s in load_feeds_file(path, 600)] == ["*Starred* desk"]


# --- case 8: FIFOs, devices, directories, huge lines ----------------------------------------


@contextlib.contextmanager
def fifo(path: Path) -> Iterator[Path]:
    """A FIFO with no writer. Should a reader block on it (the bug), a writer
    opens and closes it after a while so the reader sees an empty file and the
    test fails instead of hanging."""
    os.mkfifo(path)
    done = threading.Event()

    def unblock() -> None:
        while not done.wait(5):
            with contextlib.suppress(OSError):  # ENXIO: nobody is reading yet
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))

    watchdog = threading.Thread(target=unblock, daemon=True)
    watchdog.start()
    try:
        yield path
    finally:
        done.set()
        watchdog.join()


def test_a_fifo_in_the_storylines_folder_is_refused_at_once(tmp_path: Path) -> None:
    folder = tmp_path / "storylines"
    folder.mkdir()
    (folder / "fable-suspension.yaml").write_bytes(
        (REPO / "storylines" / "fable-suspension.yaml").read_bytes()
    )
    with fifo(folder / "pipe.yaml") as pipe:
        message, _ = refused(lambda: load_storylines(folder))
    assert message == f"{pipe}: is a FIFO (named pipe), not a storyline file"


def test_a_folder_named_like_a_storyline_is_refused(tmp_path: Path) -> None:
    (tmp_path / "odd.yaml").mkdir()
    message, _ = refused(lambda: load_storylines(tmp_path))
    assert message == f"{tmp_path / 'odd.yaml'}: is a directory, not a storyline file"


def test_a_fifo_or_a_device_as_the_feeds_file_is_refused_at_once(tmp_path: Path) -> None:
    with fifo(tmp_path / "feeds.yaml") as pipe:
        assert refused(lambda: load_feeds_file(pipe, 600))[0] == (
            f"{pipe}: is a FIFO (named pipe), not a feeds file"
        )
    zero = Path("/dev/zero")
    assert refused(lambda: load_feeds_file(zero, 600))[0] == (
        "/dev/zero: is a character device, not a feeds file"
    )


def test_a_fifo_or_dev_zero_as_the_corpus_is_refused_at_once(tmp_path: Path) -> None:
    with fifo(tmp_path / "corpus.jsonl") as pipe:
        message, _ = refused(lambda: load_corpus(pipe))
    assert message == f"{pipe}: is a FIFO (named pipe), not a corpus file"
    message, peak = refused(lambda: load_corpus(Path("/dev/zero")))
    assert message == "/dev/zero: is a character device, not a corpus file"
    assert peak < 1_000_000


def test_a_corpus_larger_than_the_limit_is_refused_unread(tmp_path: Path) -> None:
    # One 300 MB line (sparse: no disk used), as in the issue.
    path = tmp_path / "huge.jsonl"
    with path.open("wb") as fh:
        fh.truncate(300 * 1024 * 1024)
    message, peak = refused(lambda: load_corpus(path))
    assert message == (
        f"{path}: the corpus file is larger than the limit of 100 MB; try a part of it"
    )
    assert peak < 1_000_000


def test_a_corpus_line_longer_than_the_limit_is_refused_as_it_is_read(tmp_path: Path) -> None:
    good = '{"title": "Anthropic news", "published": "2026-03-01T10:00:00Z"}\n'
    path = tmp_path / "long.jsonl"
    with path.open("w") as fh:
        fh.write(good * 3)
        fh.write('{"title": "' + "x" * (corpus_file.MAX_CORPUS_LINE_BYTES + 10) + '"}\n')
    message, peak = refused(lambda: load_corpus(path))
    assert message == f"{path}: line 4: longer than the limit of 1 MB for one corpus item"
    assert peak < 3 * corpus_file.MAX_CORPUS_LINE_BYTES


def test_a_corpus_growing_past_the_limit_while_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    line = '{"title": "Anthropic news", "published": "2026-03-01T10:00:00Z"}\n'
    path = tmp_path / "many.jsonl"
    path.write_text(line * 100)
    assert len(load_corpus(path)) == 100
    monkeypatch.setattr(corpus_file, "MAX_CORPUS_BYTES", len(line) * 50)
    assert "larger than the limit" in refused(lambda: load_corpus(path))[0]


def test_a_corpus_line_may_hold_a_line_separator_inside_its_json(tmp_path: Path) -> None:
    path = tmp_path / "sep.jsonl"
    path.write_text('{"title": "Anthropic\u2028news", "published": "2026-03-01"}\n')
    assert [e.title for e in load_corpus(path)] == ["Anthropic news"]


# --- through the command line ---------------------------------------------------------------


@pytest.mark.slow
async def test_check_and_run_refuse_the_pattern_in_one_line(
    tmp_path: Path, env: dict[str, str]
) -> None:
    folder = tmp_path / "storylines"
    folder.mkdir()
    path = storyline_with(folder, r"(?P<value>(?:(?:a{1000}){1000}){1000})")
    for args in (
        ("storylines", "check", str(path)),
        ("run", "--once", "--storylines", str(folder)),
    ):
        db = tmp_path / "data" / "threadline.db"
        code, _out, err = await threadline(*args, "--database", f"sqlite:///{db}", env=env)
        assert code == 2, err
        assert err.startswith(f"threadline: error: {path}: facts[0].patterns[0] (line 12):")
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1
        assert not db.exists()


@pytest.mark.slow
async def test_try_refuses_a_fifo_corpus_and_a_fifo_storyline(
    tmp_path: Path, env: dict[str, str]
) -> None:
    good = REPO / "storylines" / "fable-suspension.yaml"
    with fifo(tmp_path / "corpus.jsonl") as corpus, fifo(tmp_path / "x.yaml") as story:
        for args, bad in (
            (("storylines", "try", str(good), "--corpus", str(corpus)), corpus),
            (("storylines", "check", str(story)), story),
        ):
            code, _out, err = await threadline(*args, env=env, timeout=60)
            assert code == 2
            assert err == f"threadline: error: {bad}: is a FIFO (named pipe), not a " + (
                "corpus file\n" if bad == corpus else "storyline file\n"
            )
