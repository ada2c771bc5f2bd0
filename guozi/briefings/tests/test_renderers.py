"""The server-side chart renderer and the CJK font lookup the documents share."""

import io

import pytest
from PIL import Image

from guozi.briefings import points
from guozi.lib.charts import Chart, Series, echarts_option, render_png, render_svg
from guozi.lib.errors import DomainError
from guozi.lib.pdf import cjk_font, html_to_pdf

CITIES = ["大连", "鞍山", "盘锦", "沈阳"]


def chart(values, **extra) -> Chart:
    return Chart(
        key="revenue",
        title="营业收入",
        categories=CITIES,
        series=[Series("2026", values), Series("2025", [1, 2, 3, 4], kind="line")],
        unit="万元",
        **extra,
    )


def test_png_draws_the_data_and_a_gap_for_missing_values():
    first = render_png(chart([5, 6, None, 8]), dpi=60)
    second = render_png(chart([8, 6, 5, 1]), dpi=60)
    image = Image.open(io.BytesIO(first))
    assert image.format == "PNG" and image.size[0] > 300
    assert first != second


def test_horizontal_and_stacked_charts_render():
    assert render_png(chart([1, 2, 3, 4], horizontal=True), dpi=50).startswith(b"\x89PNG")
    assert render_png(chart([1, 2, 3, 4], stacked=True), dpi=50).startswith(b"\x89PNG")


def test_svg_draws_text_as_outlines_with_the_web_charts_colours():
    svg = render_svg(chart([5, 6, None, 8]))
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "<text" not in svg  # glyphs are paths: the SVG shows Chinese without a font
    colours = echarts_option(chart([5, 6, None, 8]))["color"][:2]
    for colour in colours:
        assert colour.lower() in svg.lower()


def test_the_font_lookup_finds_a_cjk_font_or_names_the_package(settings, tmp_path):
    font = cjk_font()
    assert font.path.is_file() and "CJK" in font.family
    settings.GUOZI_CJK_FONT = str(tmp_path / "missing.otf")
    with pytest.raises(DomainError, match="fonts-noto-cjk"):
        cjk_font()
    with pytest.raises(DomainError, match="fonts-noto-cjk"):
        render_png(chart([1, 2, 3, 4]))
    with pytest.raises(DomainError, match="fonts-noto-cjk"):
        html_to_pdf("<p>大连</p>")


def test_a_weak_health_rating_is_a_point():
    point = points.rating_point(subject="辽钢", rating=5, score=4.6, period="2026-07", link="/x/")
    assert point.source == "indicator" and "5" in point.text and "4.60" in point.evidence
