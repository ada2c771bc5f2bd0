"""The register's pure rules: amounts as people write them, years, and the share of reported
R&D that key-project spend covers."""

from datetime import date
from decimal import Decimal

import pytest

from guozi.ledgers.rnd import rules


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1250000", Decimal("1250000")),
        ("1,250,000.50", Decimal("1250000.50")),
        ("１２５万", Decimal("1250000")),
        ("125万元", Decimal("1250000")),
        ("0.5亿", Decimal("50000000")),
        ("3.2亿元", Decimal("320000000")),
        ("800元", Decimal("800")),
        (" 42 ", Decimal("42")),
        (1250000.0, Decimal("1250000.0")),
        (Decimal("0"), Decimal("0")),
        (7, Decimal("7")),
        ("", None),
        (None, None),
    ],
)
def test_amounts_are_read_as_people_write_them(text, expected):
    assert rules.parse_amount(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("abc", "not_a_number"),
        ("12,34", "not_a_number"),
        ("NaN", "not_a_number"),
        ("Infinity", "not_a_number"),
        (True, "not_a_number"),
        ("-5", "negative"),
        ("-1万", "negative"),
        ("1.005", "too_precise"),
        ("0.0000001万", "too_precise"),
        ("2万亿", "not_a_number"),
        ("1000000000001", "too_large"),
    ],
)
def test_bad_amounts_say_why(text, code):
    with pytest.raises(rules.AmountError) as refused:
        rules.parse_amount(text)
    assert refused.value.code == code


def test_fen_and_back_are_exact():
    assert rules.to_fen(Decimal("1234567.89")) == 123456789
    assert rules.yuan(123456789) == Decimal("1234567.89")
    assert rules.wan(123456789) == Decimal("123.46")
    assert rules.to_fen(None) is None and rules.yuan(None) is None and rules.wan(None) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025", 2025),
        (2025, 2025),
        ("2025.0", 2025),
        ("2025年", 2025),
        ("２０２５", 2025),
        ("", None),
    ],
)
def test_years(text, expected):
    assert rules.parse_year(text) == expected


@pytest.mark.parametrize("text", ["25", "20251", "二〇二五", "2025-01", "abcd"])
def test_not_years(text):
    with pytest.raises(ValueError):
        rules.parse_year(text)


@pytest.mark.parametrize(
    "text", ["2026-12-31", "2026-12-31 00:00:00", "2026/12/31", "2026.12.31", "2026年12月31日"]
)
def test_dates_as_spreadsheets_write_them(text):
    assert rules.parse_date(text) == date(2026, 12, 31)


@pytest.mark.parametrize("text", ["明年", "2026-13-01", "2026-02-30", "31/12/2026"])
def test_not_dates(text):
    with pytest.raises(ValueError):
        rules.parse_date(text)


def test_year_problems():
    assert rules.year_problem(2025) == ""
    assert rules.year_problem(1999) == "out_of_range"
    assert rules.year_problem(2101) == "out_of_range"
    assert rules.year_problem(2024, start=2025, end=2027) == "outside_project"
    assert rules.year_problem(2027, start=2025, end=2027) == ""
    assert rules.span_problem(2025, 2024) == "end_before_start"
    assert rules.span_problem(2025, 2025) == ""
    assert rules.span_problem(1990, 2025) == "out_of_range"


def test_share_of_reported_rd():
    found = rules.coverage(spend_fen=300, reported_fen=1200)
    assert (found.status, found.share, found.exceeds) == ("ok", 0.25, False)
    above = rules.coverage(spend_fen=1500, reported_fen=1200)
    assert above.status == "ok" and above.share == 1.25 and above.exceeds


def test_a_missing_report_is_missing_never_zero():
    found = rules.coverage(spend_fen=300, reported_fen=None)
    assert (found.status, found.share, found.reported_fen, found.exceeds) == (
        "missing",
        None,
        None,
        False,
    )


def test_no_spend_and_zero_reported():
    assert rules.coverage(None, 1200).status == "no_spend"
    undefined = rules.coverage(300, 0)
    assert (undefined.status, undefined.share, undefined.exceeds) == ("undefined", None, True)
    nothing = rules.coverage(0, 0)
    assert (nothing.status, nothing.share) == ("ok", 0.0)


def test_the_total_share_is_a_ratio_of_sums():
    total = rules.total_coverage([(100, 1000), (900, 1000), (500, None), (None, 700)])
    # Only the enterprises with both figures: (100 + 900) / (1000 + 1000), not the mean of
    # 10 % and 90 %, and without the one whose report is missing.
    assert (total.spend_fen, total.reported_fen, total.share) == (1000, 2000, 0.5)
    assert rules.total_coverage([(100, None)]).status == "missing"
    assert rules.total_coverage([(None, 700)]).status == "no_spend"
    assert rules.total_coverage([]).status == "missing"
