"""A /threadline line read as a person means it (issue 16, part 6): apostrophes
and quotes in names kept, quotes honoured only when balanced."""

from __future__ import annotations

import pytest

from bot.core.command_text import CommandTextError, read_command
from bot.core.commands import CommandRequest

URL = "https://feeds.example/rss"


def added(name: str) -> CommandRequest:
    return CommandRequest("feeds add", {"url": URL, "name": name})


@pytest.mark.parametrize(
    ("line", "request_"),
    [
        ("", CommandRequest("help")),
        ("list", CommandRequest("storylines")),
        ("feeds", CommandRequest("feeds list")),
        ("follow dod-dispute", CommandRequest("follow", {"storyline": "dod-dispute"})),
        ("FOLLOW  dod-dispute ", CommandRequest("follow", {"storyline": "dod-dispute"})),
        ("follow storyline:dod-dispute", CommandRequest("follow", {"storyline": "dod-dispute"})),
        (f"feeds add {URL}", CommandRequest("feeds add", {"url": URL})),
        # shlex: "No closing quotation"
        (f"feeds add {URL} O'Reilly Radar", added("O'Reilly Radar")),
        # shlex: The Verge (quotes lost)
        (f'feeds add {URL} The "Verge"', added('The "Verge"')),
        (f'feeds add {URL} "The Verge"', added("The Verge")),
        (f"feeds add {URL} 'Tech  Daily'", added("Tech  Daily")),
        (f"feeds add {URL}   Rock 'n' Roll  ", added("Rock 'n' Roll")),
        (f'feeds add {URL} "Unclosed name', added('"Unclosed name')),
        (f"feeds add {URL} “Smart” quotes", added("“Smart” quotes")),
        (f"feeds add {URL} name:O'Reilly Radar", added("O'Reilly Radar")),
        (f'feeds add "{URL}" Radar', added("Radar")),
        ("feeds remove 3", CommandRequest("feeds remove", {"feed": "3"})),
        ("show 'dod-dispute'", CommandRequest("show", {"storyline": "dod-dispute"})),
        ("show dod-dispute'", CommandRequest("show", {"storyline": "dod-dispute'"})),
    ],
)
def test_a_line_reads_as_the_person_meant_it(line: str, request_: CommandRequest) -> None:
    assert read_command(line) == request_


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("frobnicate", "Unknown command 'frobnicate'"),
        ("follow dod-dispute fable-suspension", "does not take 'fable-suspension'"),
        ("feeds bogus", "does not take 'bogus'"),
    ],
)
def test_what_cannot_be_read_says_why(line: str, says: str) -> None:
    with pytest.raises(CommandTextError, match=says):
        read_command(line)
