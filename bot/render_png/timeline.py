"""A storyline's fact timeline as a PNG, drawn with matplotlib (Agg, headless).

One lane per fact; each state a band from its start to the next (captioned
with the value and the outlet that moved it, hatched while disputed); each
report that did not move the fact a marker with its outlet (``x`` unconfirmed,
diamond disputed); today's state runs to the right edge. 1200 px wide and
200 + 120 px per lane high: readable in a chat window without zooming.

matplotlib is imported inside ``render``, never at import time, so nothing
that merely imports this module pays for it, and the figure goes straight to
an Agg canvas: no pyplot, no global backend, no display.
"""

from __future__ import annotations

import hashlib
import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.fact_lanes import TimelinePicture

WIDTH_PX = 1200
BASE_HEIGHT_PX = 200
LANE_HEIGHT_PX = 120
DPI = 100
CAPTION_PT = 10.0
MARK_PT = 9.0
MIN_FONT_PT = 9.0  # nothing smaller is drawn: legible at chat sizes
BAR_HEIGHT = 0.34  # in lane units (one lane = 1.0)
CAPTION_TIERS = 3  # captions too long for their band go below it, staggered

# Colour-blind-safe first (Okabe–Ito), then distinct extras; a value's colour is
# picked by a hash of the value, so it is the same in every picture and run.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#7F3C8D",
    "#11A579",
    "#3969AC",
    "#F2B701",
    "#E73F74",
    "#80BA5A",
    "#E68310",
    "#008695",
    "#CF1C90",
    "#4B4B8F",
    "#A5AA99",
)


def _preferred(value: str) -> int:
    digest = hashlib.sha256(value.strip().casefold().encode()).digest()
    return int.from_bytes(digest[:4], "big") % len(PALETTE)


def lane_colours(values: Sequence[str]) -> dict[str, str]:
    """A colour per value of one lane: each value's preferred colour (a hash of
    the value, the same in every run), or, when an earlier value of the lane
    has it, the next free one. ``values`` come in the fact's declared order, so
    a value has one colour in every picture of its fact and two values of one
    lane never share a colour (up to the palette's size)."""
    colours: dict[str, str] = {}
    taken: set[int] = set()
    for value in values:
        if value in colours:
            continue
        index = _preferred(value)
        for step in range(len(PALETTE)):
            if (index + step) % len(PALETTE) not in taken:
                index = (index + step) % len(PALETTE)
                break
        taken.add(index)
        colours[value] = PALETTE[index]
    return colours


@dataclass(frozen=True, slots=True)
class Box:
    """A drawn thing's pixel box in the PNG (origin top-left, y down)."""

    x0: int
    y0: int
    x1: int
    y1: int


@dataclass(frozen=True, slots=True)
class DrawnBand:
    fact: str
    value: str
    caption: str
    colour: str
    disputed: bool
    box: Box
    caption_box: Box
    caption_inside: bool
    font_size: float


@dataclass(frozen=True, slots=True)
class DrawnMark:
    fact: str
    kind: str
    value: str
    caption: str
    colour: str
    box: Box
    font_size: float


@dataclass(frozen=True, slots=True)
class PictureLayout:
    """What was drawn where: for tests and for anyone checking a picture."""

    width: int
    height: int
    bands: tuple[DrawnBand, ...]
    marks: tuple[DrawnMark, ...]
    texts: tuple[tuple[str, float], ...]  # every visible text and its size in points

    @property
    def min_font_size(self) -> float:
        return min((size for _, size in self.texts), default=MIN_FONT_PT)


@dataclass(frozen=True, slots=True)
class RenderedPicture:
    png: bytes
    layout: PictureLayout


def picture_size(lanes: int) -> tuple[int, int]:
    return WIDTH_PX, BASE_HEIGHT_PX + LANE_HEIGHT_PX * max(lanes, 1)


class MatplotlibTimelinePainter:
    """The ``TimelinePainter`` the commands use (see ``bot.service.pictures``)."""

    def paint(self, picture: TimelinePicture) -> bytes:
        return render(picture).png


def _box(extent: Any, height: int) -> Box:
    return Box(
        round(extent.x0), round(height - extent.y1), round(extent.x1), round(height - extent.y0)
    )


def _text_colour(background: str) -> str:
    r, g, b = (int(background[i : i + 2], 16) for i in (1, 3, 5))
    return "#111111" if 0.299 * r + 0.587 * g + 0.114 * b > 150 else "white"


def render(picture: TimelinePicture) -> RenderedPicture:
    """Draw ``picture``; return the PNG and what was drawn where."""
    from matplotlib import dates as mdates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.text import Text

    width, height = picture_size(len(picture.lanes))
    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    canvas = FigureCanvasAgg(figure)
    top = 1 - 70 / height
    bottom = 80 / height
    ax = figure.add_axes((0.19, bottom, 0.785, top - bottom))
    figure.text(
        0.01,
        1 - 28 / height,
        picture.title,
        fontsize=14,
        fontweight="bold",
        parse_math=False,
        va="center",
        ha="left",
    )
    figure.text(
        0.01,
        1 - 52 / height,
        f"{picture.storyline} · fact timeline to {picture.now:%Y-%m-%d %H:%M} UTC",
        fontsize=MIN_FONT_PT + 1,
        color="#444444",
        parse_math=False,
        va="center",
        ha="left",
    )

    def num(when: datetime) -> float:
        return float(mdates.date2num(when))

    start, now = num(picture.start), num(picture.now)
    span = max(now - start, 1.0)
    left_edge = start - span * 0.02
    ax.set_xlim(left_edge, now)
    lanes = len(picture.lanes)
    ax.set_ylim(-0.5, max(lanes, 1) - 0.5)
    ax.set_yticks(
        [lanes - 1 - i for i in range(lanes)],
        [textwrap.fill(lane.label, 24) for lane in picture.lanes],
        fontsize=11,
    )
    # Outlets and values are news text: a "$" must be a dollar, never mathtext.
    for label in ax.get_yticklabels():
        label.set_parse_math(False)
    locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.tick_params(axis="x", labelsize=MIN_FONT_PT + 1)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)

    pending_bands: list[tuple[str, Any, Any, str, str, bool, float]] = []
    pending_marks: list[tuple[str, Any, str, str, str, str]] = []
    mark_at: list[float] = []
    for i, lane in enumerate(picture.lanes):
        y = lanes - 1 - i
        colours = lane_colours(
            [*lane.values, *(b.value for b in lane.bands), *(m.value for m in lane.marks)]
        )
        if not lane.bands:
            ax.text(
                left_edge + span * 0.01,
                y,
                "no reports yet",
                fontsize=CAPTION_PT,
                parse_math=False,
                color="#666666",
                va="center",
            )
        for band in lane.bands:
            colour = colours[band.value]
            b0 = num(band.start)
            bar = ax.barh(
                y,
                max(num(band.end) - b0, span * 0.002),
                left=b0,
                height=BAR_HEIGHT,
                color=colour,
                edgecolor="white",
                linewidth=1.5,
                hatch="///" if band.disputed else None,
            )[0]
            text = ax.text(
                b0 + span * 0.004,
                y,
                band.caption,
                fontsize=CAPTION_PT,
                parse_math=False,
                color=_text_colour(colour),
                # A solid backing keeps the caption readable over a hatched band.
                bbox={"facecolor": colour, "edgecolor": "none", "pad": 1.5}
                if band.disputed
                else None,
                va="center",
                ha="left",
                clip_on=False,
            )
            pending_bands.append(
                (lane.fact, bar, text, band.value, colour, band.disputed, b0),
            )
        for k, mark in enumerate(lane.marks):
            colour = colours[mark.value]
            # Above the band, alternating two heights so neighbours do not collide.
            my = y + BAR_HEIGHT / 2 + 0.1 + (k % 2) * 0.14
            at = num(mark.at)
            ax.plot(
                [at],
                [my],
                marker="X" if mark.kind == "unconfirmed" else "D",
                markersize=8,
                color=colour,
                markeredgecolor="#222222" if mark.kind == "unconfirmed" else "#C00000",
                markeredgewidth=1.2,
                linestyle="none",
            )
            caption = f"{mark.label}? {mark.source}"
            mtext = ax.text(
                at + span * 0.009,
                my,
                caption,
                fontsize=MARK_PT,
                parse_math=False,
                color="#222222",
                va="center",
                ha="left",
            )
            pending_marks.append((lane.fact, mtext, mark.kind, mark.value, caption, colour))
            mark_at.append(at)
    ax.axvline(now, color="#333333", linewidth=1.2, linestyle="--")
    ax.text(
        now,
        lanes - 0.5,
        "today ",
        fontsize=MIN_FONT_PT,
        parse_math=False,
        ha="right",
        va="bottom",
        color="#333333",
    )
    figure.legend(
        handles=[
            Patch(facecolor="#bbbbbb", edgecolor="white", hatch="///", label="disputed state"),
            Line2D(
                [],
                [],
                marker="X",
                linestyle="none",
                color="#999999",
                markeredgecolor="#222222",
                label="unconfirmed report",
            ),
            Line2D(
                [],
                [],
                marker="D",
                linestyle="none",
                color="#999999",
                markeredgecolor="#C00000",
                label="disputed report",
            ),
        ],
        loc="lower right",
        ncols=3,
        fontsize=MIN_FONT_PT,
        frameon=False,
    )

    canvas.draw()
    renderer = canvas.get_renderer()
    # Captions that do not fit in their band go below the lane, staggered over
    # a few tiers with a tick to their band, so none is cut or overlaps a band.
    tier_of_lane: dict[str, int] = {}
    drawn_bands: list[DrawnBand] = []
    for fact, bar, text, value, colour, disputed, b0 in pending_bands:
        bar_box = bar.get_window_extent(renderer)
        text_box = text.get_window_extent(renderer)
        inside = bool(text_box.x1 <= bar_box.x1 - 3)
        if not inside:
            tier = tier_of_lane.get(fact, 0)
            tier_of_lane[fact] = (tier + 1) % CAPTION_TIERS
            y = bar.get_y()
            ty = y - 0.06 - tier * 0.13
            text.set_position((b0, ty))
            if bar_box.x0 + text_box.width > width - 8:
                # It would run off the right edge: end it at its band's end instead.
                text.set_position((b0 + bar.get_width(), ty))
                text.set_ha("right")
            text.set_va("top")
            text.set_color("#222222")
            text.set_bbox(None)
            ax.plot([b0, b0], [y, ty], color="#666666", linewidth=0.8)
        drawn_bands.append(
            DrawnBand(
                fact=fact,
                value=value,
                caption=text.get_text(),
                colour=colour,
                disputed=disputed,
                box=_box(bar_box, height),
                caption_box=Box(0, 0, 0, 0),
                caption_inside=inside,
                font_size=float(text.get_fontsize()),
            )
        )
    for (_fact, mtext, *_rest), at in zip(pending_marks, mark_at, strict=True):
        if mtext.get_window_extent(renderer).x1 > width - 8:
            # Past the right edge: put the caption to the left of its marker.
            mtext.set_position((at - span * 0.009, mtext.get_position()[1]))
            mtext.set_ha("right")
    canvas.draw()
    renderer = canvas.get_renderer()
    drawn_bands = [
        DrawnBand(
            **{
                **{f: getattr(d, f) for f in DrawnBand.__dataclass_fields__},
                "caption_box": _box(text.get_window_extent(renderer), height),
            }
        )
        for d, (_f, _b, text, *_rest) in zip(drawn_bands, pending_bands, strict=True)
    ]
    drawn_marks = tuple(
        DrawnMark(
            fact=fact,
            kind=kind,
            value=value,
            caption=caption,
            colour=colour,
            box=_box(mtext.get_window_extent(renderer), height),
            font_size=float(mtext.get_fontsize()),
        )
        for fact, mtext, kind, value, caption, colour in pending_marks
    )
    texts = tuple(
        (t.get_text(), float(t.get_fontsize()))
        for t in figure.findobj(Text)
        if isinstance(t, Text) and t.get_visible() and t.get_text().strip()
    )
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return RenderedPicture(
        buffer.getvalue(),
        PictureLayout(width, height, tuple(drawn_bands), drawn_marks, texts),
    )
