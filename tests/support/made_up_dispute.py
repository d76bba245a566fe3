"""A made-up dispute reported in English and Italian, among other news: the
items storyline drafting is tested on (no corpus needed).

A transport ministry bans Skylark's Kestrel X drone; a court lifts the ban and
the drone returns. Beside it: a second dispute one outlet alone reports, and
everyday news that names no government body or no act.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)

#: (id, outlet, days after T0, title, summary)
DISPUTE = [
    (
        "k1",
        "dailywire.example",
        0,
        "Transport Ministry bans Skylark's Kestrel X drone",
        "The ministry grounded the Kestrel X after two mid-air failures.",
    ),
    (
        "k2",
        "notizie.example",
        0.2,
        "Il Ministero dei Trasporti blocca il drone Kestrel X di Skylark",
        "Il ministero ha bloccato il Kestrel X dopo due guasti in volo.",
    ),
    (
        "k3",
        "techbeat.example",
        1,
        "Skylark suspends Kestrel X deliveries as the ministry ban bites",
        "Skylark said it suspended every Kestrel X delivery after the Transport Ministry order.",
    ),
    (
        "k4",
        "notizie.example",
        2,
        "Kestrel X sospeso: Skylark ricorre al tribunale",
        "Skylark contesta il blocco deciso dal Ministero dei Trasporti.",
    ),
    (
        "k5",
        "courts.example",
        12,
        "Court lifts the Transport Ministry ban on Skylark's Kestrel X",
        "A judge lifted the ban on the Kestrel X pending a full hearing.",
    ),
    (
        "k6",
        "notizie.example",
        12.5,
        "Kestrel X di nuovo disponibile: il tribunale annulla il blocco",
        "Il tribunale ha sospeso il provvedimento del Ministero dei Trasporti contro Skylark.",
    ),
    (
        "k7",
        "techbeat.example",
        13,
        "Skylark restores Kestrel X flights after the court ruling",
        "Skylark restored Kestrel X deliveries a day after the Transport Ministry ban was lifted.",
    ),
]
#: Reported by one outlet only: not a story for a draft yet.
LONE = [
    (f"h{i}", "portnews.example", i, title, "The Harbour Authority acted against Bluefin Shipping.")
    for i, title in enumerate(
        [
            "Harbour Authority blocks Bluefin Shipping's Orca ferry",
            "Bluefin Shipping suspends Orca sailings after Harbour Authority order",
            "Harbour Authority bans Orca ferry from the Old Port",
        ],
        start=3,
    )
]
OTHER = [
    ("o1", "sports.example", 1, "Riverside United win the Harbour Cup final", "A late goal."),
    ("o2", "sports.example", 5, "Marathon closes roads in the Old Town on Sunday", ""),
    ("o3", "weather.example", 6, "Heatwave expected in the Po Valley", "Temperatures rise."),
]


def rows(items: list[tuple[str, str, float, str, str]] | None = None) -> list[dict[str, Any]]:
    """The items as labelled-corpus rows (``--corpus`` JSONL fields)."""
    chosen = items if items is not None else [*DISPUTE, *LONE, *OTHER]
    return [
        {
            "id": ident,
            "source": outlet,
            "source_domain": outlet,
            "url": f"https://{outlet}/{ident}",
            "published": (T0 + timedelta(days=days)).isoformat(),
            "title": title,
            "summary": summary,
        }
        for ident, outlet, days, title, summary in chosen
    ]
