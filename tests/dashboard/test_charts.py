"""The sign-in chart's axis: round ticks from zero to just above the largest bar."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from console.dashboard.charts import BOTTOM, HEIGHT, TOP, daily_chart, nice_ticks
from console.dashboard.figures import Day


@pytest.mark.parametrize(
    ("top", "ticks"),
    [
        (0, [0, 1]),
        (1, [0, 1]),
        (3, [0, 1, 2, 3]),
        (7, [0, 2, 4, 6, 8]),
        (13, [0, 5, 10, 15]),
        (37, [0, 10, 20, 30, 40]),
        (50, [0, 10, 20, 30, 40, 50]),
        (99, [0, 20, 40, 60, 80, 100]),
        (1234, [0, 500, 1000, 1500]),
        (25_000, [0, 5000, 10_000, 15_000, 20_000, 25_000]),
    ],
)
def test_ticks_are_round_steps_covering_the_largest_value(top, ticks):
    assert nice_ticks(top) == ticks


@pytest.mark.parametrize("top", range(0, 2001, 7))
def test_every_step_is_one_two_or_five_times_a_power_of_ten(top):
    ticks = nice_ticks(top)
    step = ticks[1] - ticks[0]
    assert ticks[0] == 0 and ticks[-1] >= top
    assert ticks == [step * i for i in range(len(ticks))]
    assert ticks[-2] < max(top, 1), "no empty step above the largest value"
    assert str(step).rstrip("0") in {"1", "2", "5"}
    assert len(ticks) <= 6


def test_the_chart_labels_round_ticks_and_the_tallest_bar_reaches_the_top(app):
    first = date(2026, 1, 1)
    days = [Day(first + timedelta(days=i), sign_ins=i * 10, failures=0) for i in range(6)]
    with app.test_request_context():
        chart = daily_chart(days, [("sign_ins", "chart-sign-ins", "sign-ins")])
    assert [t.label for t in chart.y_ticks] == ["0", "10", "20", "30", "40", "50"]
    assert chart.y_ticks[0].position == HEIGHT - BOTTOM
    assert chart.y_ticks[-1].position == TOP
    tallest = chart.series[0][2][-1]
    assert (tallest.value, tallest.y) == (50, TOP)
