"""The fact-timeline picture itself: its size, its bands, their colours and labels.

Built from a hand-made history (three states, one disputed) and reports that
did not move the fact, drawn by the real matplotlib painter; the PNG's pixels
are read back and compared with the layout the painter says it drew.
"""

from __future__ import annotations

import io
import itertools
import struct
import zlib
from datetime import timedelta

from bot.core.fact_lanes import TimelinePicture, fact_lane
from bot.core.facts import FactView
from bot.render_png.timeline import (
    MIN_FONT_PT,
    PALETTE,
    MatplotlibTimelinePainter,
    lane_colours,
    render,
)
from tests.core.builders import ACCESS, DAYS, T0, claim

NOW = T0 + timedelta(days=20)


def view(value: str, *, days: float, source: str, disputed: bool = False) -> FactView:
    return FactView(
        "widget-ban", "access_status", value, T0 + timedelta(days=days), source, None, disputed
    )


HISTORY = [
    view("available", days=0, source="Acme blog"),
    view("suspended", days=3, source="Reuters"),
    view("restored", days=12, source="AP", disputed=True),
]
CLAIMS = [
    claim("available", hours=0, source="Acme blog"),
    claim("suspended", hours=72, source="Reuters"),
    # A lone outlet says it is back, a week before it was: unconfirmed.
    claim("restored", hours=5 * 24, source="The Verge"),
    claim("restored", hours=12 * 24, source="AP"),
    # While "restored" is disputed, one outlet still says suspended.
    claim("suspended", hours=14 * 24, source="Bloomberg"),
]


def picture() -> TimelinePicture:
    lanes = (
        fact_lane(ACCESS, HISTORY, CLAIMS, NOW),
        fact_lane(DAYS, [], [], NOW),
    )
    return TimelinePicture("widget-ban", "Widget 5 export ban", lanes, NOW)


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGBA rows of a PNG as matplotlib writes it (8-bit RGBA)."""
    stream = io.BytesIO(data)
    assert stream.read(8) == b"\x89PNG\r\n\x1a\n"
    width = height = 0
    idat = b""
    while True:
        length, kind = struct.unpack(">I4s", stream.read(8))
        chunk = stream.read(length)
        stream.read(4)
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            assert (depth, colour) == (8, 6)
        elif kind == b"IDAT":
            idat += chunk
        elif kind == b"IEND":
            break
    raw = zlib.decompress(idat)
    stride = width * 4
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        filt = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - 4] if i >= 4 else 0
            b = prev[i]
            c = prev[i - 4] if i >= 4 else 0
            if filt == 1:
                line[i] = (line[i] + a) & 0xFF
            elif filt == 2:
                line[i] = (line[i] + b) & 0xFF
            elif filt == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif filt == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, rows


def pixel(rows: list[bytes], x: int, y: int) -> str:
    r, g, b = rows[y][4 * x : 4 * x + 3]
    return f"#{r:02X}{g:02X}{b:02X}"


def test_the_picture_is_chat_sized_with_a_band_per_state_in_order() -> None:
    rendered = render(picture())
    width, height, _ = png_pixels(rendered.png)

    assert (width, height) == (1200, 200 + 120 * 2)
    bands = rendered.layout.bands
    assert [(b.value, b.caption) for b in bands] == [
        ("available", "Available — Acme blog"),
        ("suspended", "Suspended — Reuters"),
        ("restored", "Restored — AP"),
    ]
    # Left to right, each band ending where the next starts, today's at the right edge.
    assert [b.box.x0 for b in bands] == sorted(b.box.x0 for b in bands)
    for left, right in itertools.pairwise(bands):
        assert abs(left.box.x1 - right.box.x0) <= 1
    assert bands[-1].box.x1 >= max(b.box.x1 for b in bands)
    assert bands[-1].disputed and not bands[0].disputed


def test_each_band_is_drawn_in_its_values_colour() -> None:
    rendered = render(picture())
    _, _, rows = png_pixels(rendered.png)

    for band in rendered.layout.bands:
        # A point inside the band but away from its caption and hatching edges.
        x = (band.box.x0 + band.box.x1) // 2
        y = band.box.y0 + 3
        if band.disputed:
            # Hatched: most of the band's top row is still its colour.
            row = [pixel(rows, xx, y) for xx in range(band.box.x0 + 2, band.box.x1 - 2)]
            assert row.count(band.colour.upper()) > len(row) // 2
        else:
            assert pixel(rows, x, y) == band.colour.upper()
    colours = [b.colour for b in rendered.layout.bands]
    assert len(set(colours)) == 3


def test_a_value_has_one_colour_in_every_picture() -> None:
    declared = [v.value for v in ACCESS.values]
    alone = lane_colours(declared)
    # Another picture of the same fact, where only some values were ever seen.
    again = render(
        TimelinePicture(
            "widget-ban",
            "t",
            (fact_lane(ACCESS, HISTORY[1:2], CLAIMS[1:2], NOW),),
            NOW,
        )
    )
    assert again.layout.bands[0].colour == alone["suspended"]
    assert render(picture()).layout.bands[1].colour == alone["suspended"]
    assert set(alone.values()) <= set(PALETTE) and len(set(alone.values())) == len(declared)


def test_reports_that_did_not_move_the_fact_are_marked_with_their_outlet() -> None:
    rendered = render(picture())

    marks = [(m.kind, m.value, m.caption) for m in rendered.layout.marks]
    assert marks == [
        ("unconfirmed", "restored", "Restored? The Verge"),
        ("disputed", "suspended", "Suspended? Bloomberg"),
    ]
    [verge, bloomberg] = rendered.layout.marks
    suspended, restored = rendered.layout.bands[1], rendered.layout.bands[2]
    # Each sits over the band of its time, above the bar.
    assert suspended.box.x0 < verge.box.x0 < suspended.box.x1
    assert restored.box.x0 < bloomberg.box.x0
    assert verge.box.y1 <= suspended.box.y0


def test_every_label_is_legible_and_inside_the_picture() -> None:
    rendered = render(picture())
    layout = rendered.layout

    assert layout.min_font_size >= MIN_FONT_PT
    texts = dict(layout.texts)
    assert texts["Widget 5 export ban"] >= 12
    assert "no reports yet" in texts  # the lane of a fact nobody reported
    for band in layout.bands:
        box = band.caption_box
        assert band.font_size >= MIN_FONT_PT
        assert box.x0 >= 0 and box.x1 <= layout.width and box.y0 >= 0 and box.y1 <= layout.height
        if band.caption_inside:
            assert band.box.x0 <= box.x0 and box.x1 <= band.box.x1
        else:  # below its bar, never over another band
            assert box.y0 >= band.box.y1


def test_the_painter_port_gives_png_bytes() -> None:
    data = MatplotlibTimelinePainter().paint(picture())
    assert data.startswith(b"\x89PNG")


def test_dollar_signs_in_news_text_are_drawn_as_written() -> None:
    # Read as mathtext, "$\\x$" is an unknown TeX command and drawing fails.
    history = [view("suspended", days=0, source=r"Fund $\x$ Weekly")]
    lane = fact_lane(ACCESS, history, [claim("restored", hours=5, source=r"Cost $\y$")], NOW)
    rendered = render(TimelinePicture("widget-ban", r"A $\z$ fine", (lane,), NOW))

    assert r"A $\z$ fine" in dict(rendered.layout.texts)
    assert rendered.layout.bands[0].caption == r"Suspended — Fund $\x$ Weekly"
    assert rendered.layout.marks[0].caption == r"Restored? Cost $\y$"
