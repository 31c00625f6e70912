"""Chart geometry for the statistics page: numbers in, SVG coordinates out; the template draws them."""

import math
from dataclasses import dataclass

PLOT_LEFT = 40  # room for the y-axis labels
PLOT_TOP = 10
PLOT_BOTTOM = 24  # room for the x-axis labels
MAX_BAR_WIDTH = 36


def nice_ceiling(value):
    """The smallest of 1, 2, 5 × 10^k (k ≥ 0) that is at least `value` (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power  # not reached


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int
    show_label: bool  # whether the x-axis names this bar (crowded axes name some)

    @property
    def centre(self):
        return self.x + self.width / 2


@dataclass
class Tick:
    y: float
    value: int


@dataclass
class BarChart:
    width: int
    height: int
    bars: list
    ticks: list
    plot_left: int
    plot_right: int
    baseline: float
    label_y: float


def bar_chart(values, labels, *, width=560, height=200, max_axis_labels=12):
    """Vertical bars for `values` named by `labels`, on a y axis from 0 to a round number."""
    top = nice_ceiling(max(values, default=0))
    plot_height = height - PLOT_TOP - PLOT_BOTTOM
    plot_width = width - PLOT_LEFT - 8
    slot = plot_width / max(len(values), 1)
    baseline = PLOT_TOP + plot_height
    every = max(1, math.ceil(len(values) / max_axis_labels))
    bars = []
    bar_width = min(max(slot * 0.7, 1), MAX_BAR_WIDTH)  # a few days' bars stay bars, not slabs
    for index, (value, label) in enumerate(zip(values, labels)):
        bar_height = plot_height * value / top
        bars.append(
            Bar(
                x=round(PLOT_LEFT + index * slot + (slot - bar_width) / 2, 2),
                y=round(baseline - bar_height, 2),
                width=round(bar_width, 2),
                height=round(bar_height, 2),
                label=str(label),
                value=value,
                show_label=index % every == 0,
            )
        )
    ticks = [
        Tick(y=round(baseline - plot_height * fraction, 2), value=round(top * fraction))
        for fraction in (0, 0.5, 1)
        if top * fraction == round(top * fraction)
    ]
    return BarChart(
        width=width,
        height=height,
        bars=bars,
        ticks=ticks,
        plot_left=PLOT_LEFT,
        plot_right=width - 8,
        baseline=baseline,
        label_y=height - 6,
    )


@dataclass
class Cell:
    x: int
    y: int
    count: int
    true_digit: int
    predicted_digit: int
    opacity: float
    correct: bool
    size: int

    @property
    def centre_x(self):
        return self.x + self.size / 2

    @property
    def centre_y(self):
        return self.y + self.size / 2


@dataclass
class Heatmap:
    size: int
    cell: int
    offset: int  # room for the axis digits and titles
    cells: list
    digits: list  # (digit, centre coordinate of its row / column)


def confusion_heatmap(matrix, *, cell=30, offset=44):
    """A cell per (true digit, predicted digit): rows true, columns predicted, darker for more."""
    largest = max((count for row in matrix for count in row), default=0)
    cells = []
    for true_digit, row in enumerate(matrix):
        for predicted_digit, count in enumerate(row):
            # Square root: a few mistakes stay visible beside hundreds of right answers.
            opacity = math.sqrt(count / largest) if largest and count else 0.0
            cells.append(
                Cell(
                    x=offset + predicted_digit * cell,
                    y=offset + true_digit * cell,
                    count=count,
                    true_digit=true_digit,
                    predicted_digit=predicted_digit,
                    opacity=round(0.12 + 0.88 * opacity, 3) if count else 0.0,
                    correct=true_digit == predicted_digit,
                    size=cell,
                )
            )
    digits = [(digit, offset + digit * cell + cell // 2) for digit in range(len(matrix))]
    return Heatmap(size=offset + cell * len(matrix) + 4, cell=cell, offset=offset, cells=cells, digits=digits)
