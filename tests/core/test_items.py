"""Entry and RawEntry are built through their slots (``_stored_through_slots``)
exactly as the ``__init__`` dataclasses generates would build them."""

from __future__ import annotations

import dataclasses
import inspect
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.core.items import Entry, RawEntry

WHEN = datetime(2026, 5, 2, 6, 13, tzinfo=UTC)


def _generated(cls: type) -> type:
    """The same class as plain ``dataclass`` makes it."""
    fields = [(f.name, f.type, f) for f in dataclasses.fields(cls)]
    return dataclasses.make_dataclass(cls.__name__, fields, frozen=True, slots=True)


@pytest.mark.parametrize("cls", [Entry, RawEntry])
def test_the_constructor_takes_what_the_generated_one_takes(cls: type) -> None:
    assert inspect.signature(cls) == inspect.signature(_generated(cls))


@pytest.mark.parametrize(
    ("cls", "args", "kwargs"),
    [
        (RawEntry, ("g", "https://a.example/", "T", "<p>s</p>", WHEN), {}),
        (RawEntry, (None, None, "", "", None), {"title_is_html": False}),
        (RawEntry, (), {"guid": "g", "link": None, "title": "t", "summary_html": "",
                        "published": None, "published_text": "x"}),
        (Entry, (1, "k", "g", "https://a.example/", "T", "S", WHEN, WHEN, "Src"), {}),
        (Entry, (1, "k", None, None, "T", "", WHEN, WHEN, "Src"),
         {"published_text": "p", "date_was_replaced": True, "title_made": True}),
    ],
)  # fmt: skip
def test_an_instance_holds_what_the_generated_constructor_stores(
    cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    made = cls(*args, **kwargs)
    reference = _generated(cls)(*args, **kwargs)
    assert dataclasses.astuple(made) == dataclasses.astuple(reference)
    assert made == cls(*args, **kwargs)
    assert hash(made) == hash(cls(*args, **kwargs))
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.title = "changed"


def test_a_missing_or_unknown_argument_is_refused_as_before() -> None:
    with pytest.raises(TypeError):
        RawEntry("g", "l", "t")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        RawEntry("g", "l", "t", "s", None, colour="red")  # type: ignore[call-arg]
