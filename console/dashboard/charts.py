"""Chart geometry for server-rendered SVG: numbers in, rectangles and ticks out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import format_date

WIDTH = 720
HEIGHT = 220
LEFT = 40
BOTTOM = 28
TOP = 10


@dataclass(frozen=True)
class Bar:
    """One rectangle with what it stands for."""

    x: float
    y: float
    width: float
    height: float
    value: int
    label: str


@dataclass(frozen=True)
class Tick:
    """A labelled position on an axis."""

    position: float
    label: str


@dataclass(frozen=True)
class DailyChart:
    """Two bars per day (sign-ins and failures) on one scale."""

    width: int
    height: int
    plot_top: int
    plot_bottom: int
    left: int
    series: list[tuple[str, str, list[Bar]]]
    y_ticks: list[Tick]
    x_ticks: list[Tick]


def nice_step(value: float) -> int:
    """The smallest whole 1/2/5 x 10^n at or above `value` (at least 1)."""
    magnitude = 1
    while magnitude * 10 < value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def nice_ticks(top: int, most: int = 5) -> list[int]:
    """Round axis values from 0 up to at least `top`, at most `most` steps apart from 0."""
    step = nice_step(max(top, 1) / most)
    # Ceiling division: the last tick is the first multiple of the step at or above `top`.
    steps = max(-(-top // step), 1)
    return [step * i for i in range(steps + 1)]


def daily_chart(days: list[Any], series: list[tuple[str, str, str]]) -> DailyChart:
    """Bars for `days` (objects with .day); `series` is (attribute, css class, name)."""
    plot_bottom = HEIGHT - BOTTOM
    plot_height = plot_bottom - TOP
    values = nice_ticks(max((getattr(d, attr) for d in days for attr, _, _ in series), default=0))
    top_value = values[-1]
    slot = (WIDTH - LEFT) / max(len(days), 1)
    bar_width = max(slot / (len(series) + 1), 1)
    drawn = []
    for index, (attr, css, name) in enumerate(series):
        bars = []
        for position, day in enumerate(days):
            value = getattr(day, attr)
            height = plot_height * value / top_value
            x = LEFT + position * slot + bar_width * (index + 0.5)
            bars.append(
                Bar(
                    round(x, 2),
                    round(plot_bottom - height, 2),
                    round(bar_width, 2),
                    round(height, 2),
                    value,
                    f"{format_date(day.day, 'medium')}: {value} {name}",
                )
            )
        drawn.append((css, name, bars))
    y_ticks = [Tick(round(plot_bottom - plot_height * v / top_value, 2), str(v)) for v in values]
    step = max(len(days) // 6, 1)
    x_ticks = [
        Tick(round(LEFT + i * slot + slot / 2, 2), format_date(days[i].day, "d MMM"))
        for i in range(0, len(days), step)
    ]
    return DailyChart(WIDTH, HEIGHT, TOP, plot_bottom, LEFT, drawn, y_ticks, x_ticks)


@dataclass(frozen=True)
class Meter:
    """A horizontal percentage bar."""

    label: str
    percent: int
    detail: str
    width: float


def meters(rows: list[tuple[str, int, str]], width: int = 300) -> list[Meter]:
    """(label, percent, detail) rows as bar widths out of `width`."""
    return [
        Meter(label, percent, detail, round(width * max(0, min(percent, 100)) / 100, 2))
        for label, percent, detail in rows
    ]
