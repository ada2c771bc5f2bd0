"""One description of a chart, drawn by ECharts in the browser and on the server for PDF and
Word: the pages and the documents show the same numbers from the same data.

A chart is categories (x) and series of values (missing is None, never 0). The colours are the
Okabe–Ito palette, which readers with the common colour-vision deficiencies can tell apart; lines
also differ by dash so no reading depends on colour alone.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

# Okabe & Ito (2008), "Color Universal Design": blue, vermillion, bluish green, orange,
# reddish purple, sky blue, yellow, black.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
DASHES = ("solid", "dashed", "dotted")


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float | None]
    kind: str = "bar"  # "bar" or "line"


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    categories: list[str]
    series: list[Series]
    unit: str = ""  # shown on the value axis, e.g. "万元" or "%"
    horizontal: bool = False  # bars along the x axis (rankings)
    stacked: bool = False
    notes: list[str] = field(default_factory=list)


def echarts_option(chart: Chart) -> dict:
    """The ECharts option that draws the chart (JSON-serialisable)."""
    category_axis = {"type": "category", "data": list(chart.categories)}
    value_axis = {"type": "value", "name": chart.unit}
    series = []
    for index, item in enumerate(chart.series):
        entry = {
            "name": item.name,
            "type": item.kind,
            "data": list(item.values),
            "itemStyle": {"color": PALETTE[index % len(PALETTE)]},
        }
        if item.kind == "line":
            entry["lineStyle"] = {"type": DASHES[index % len(DASHES)]}
            entry["connectNulls"] = False
        if chart.stacked:
            entry["stack"] = "total"
        series.append(entry)
    return {
        "color": list(PALETTE),
        "tooltip": {"trigger": "axis"},
        "legend": {"type": "scroll", "top": 0},
        "grid": {"left": 56, "right": 16, "top": 40, "bottom": 32, "containLabel": True},
        "xAxis": value_axis if chart.horizontal else category_axis,
        "yAxis": category_axis if chart.horizontal else value_axis,
        "series": series,
    }


# -- drawn on the server (PDF and Word) ---------------------------------------------------------

# matplotlib's names of the dash styles above
MPL_DASHES = {"solid": "-", "dashed": "--", "dotted": ":"}
MAX_CATEGORY_LABELS = 18  # more categories than this: every n-th one is labelled


def render_svg(chart: Chart, *, width: float = 7.0, height: float = 3.4) -> str:
    """The chart as an SVG document (text drawn as outlines, so it needs no font to show)."""
    import io

    stream = io.StringIO()
    with _style():
        _figure(chart, width, height).savefig(stream, format="svg")
    return stream.getvalue()


def render_png(chart: Chart, *, dpi: int = 150, width: float = 7.0, height: float = 3.4) -> bytes:
    """The chart as a PNG image (for Word, and the brief's HTML and PDF)."""
    import io

    stream = io.BytesIO()
    with _style():
        _figure(chart, width, height).savefig(stream, format="png", dpi=dpi)
    return stream.getvalue()


@lru_cache(maxsize=4)
def _font_family(path: str) -> str:
    """Register the font file with matplotlib once (reading a CJK font takes a while)."""
    from matplotlib.font_manager import FontProperties, fontManager

    fontManager.addfont(path)
    return FontProperties(fname=path).get_name()


@contextmanager
def _style():
    """matplotlib settings for a chart: the CJK font (a missing one is a DomainError naming the
    package), text as outlines in SVG, a plain hyphen-minus (CJK fonts may lack U+2212)."""
    from matplotlib import rc_context

    from .pdf import cjk_font

    family = _font_family(str(cjk_font().path))
    style = {
        "font.family": [family, "DejaVu Sans"],
        "axes.unicode_minus": False,
        "svg.fonttype": "path",
        "svg.hashsalt": "guozi",
        "font.size": 8,
    }
    with rc_context(style):
        yield


def _figure(chart: Chart, width: float, height: float):
    """A matplotlib figure drawn from the same data, colours and dashes as `echarts_option`."""
    import math

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    if chart.title:
        axes.set_title(chart.title, fontsize=10)
    positions = list(range(len(chart.categories)))
    bars = [s for s in chart.series if s.kind == "bar"]
    bar_width = 0.8 if chart.stacked or len(bars) <= 1 else 0.8 / len(bars)
    base = [0.0] * len(positions)
    bar_number = 0
    for index, item in enumerate(chart.series):
        values = [math.nan if v is None else float(v) for v in item.values]
        colour = PALETTE[index % len(PALETTE)]
        if item.kind == "line":
            axes.plot(
                positions,
                values,
                color=colour,
                linestyle=MPL_DASHES[DASHES[index % len(DASHES)]],
                marker="o",
                markersize=3,
                label=item.name,
            )
            continue
        if chart.stacked:
            offsets, shifted = base, positions
            base = [b + (0.0 if math.isnan(v) else v) for b, v in zip(base, values, strict=True)]
        else:
            offsets = [0.0] * len(positions)
            shift = (bar_number - (len(bars) - 1) / 2) * bar_width
            shifted = [p + shift for p in positions]
        bar_number += 1
        if chart.horizontal:
            axes.barh(shifted, values, height=bar_width, left=offsets, color=colour,
                      label=item.name)  # fmt: skip
        else:
            axes.bar(shifted, values, width=bar_width, bottom=offsets, color=colour,
                     label=item.name)  # fmt: skip
    category_axis, value_axis = (
        (axes.yaxis, axes.xaxis) if chart.horizontal else (axes.xaxis, axes.yaxis)
    )
    step = max(1, math.ceil(len(positions) / MAX_CATEGORY_LABELS))
    # Counted from the last category, so that the latest period always has its label.
    labelled = positions[::-1][::step][::-1]
    category_axis.set_ticks(labelled, labels=[chart.categories[i] for i in labelled])
    if chart.horizontal:
        axes.invert_yaxis()  # the first category on top, as in a ranking
    elif len(labelled) > 8:
        for label in axes.get_xticklabels():
            label.set_rotation(45)
            label.set_horizontalalignment("right")
    value_axis.set_label_text(chart.unit)
    axes.grid(axis="x" if chart.horizontal else "y", color="#dddddd", linewidth=0.5)
    axes.set_axisbelow(True)
    if len(chart.series) > 1:
        figure.legend(loc="outside lower center", ncols=4, frameon=False, fontsize=7)
    return figure
