from datetime import date

import pytest

from guozi.lib.periods import Period, last_closed


def test_parses_the_four_canonical_forms() -> None:
    assert Period.parse("2024-03") == Period(2024, "month", 3)
    assert Period.parse("2024Q1") == Period(2024, "quarter", 1)
    assert Period.parse("2024H2") == Period(2024, "half", 2)
    assert Period.parse("2024") == Period(2024, "year", 1)


@pytest.mark.parametrize("text", ["2024-3", "2024年3月", "2024年03月", "2024M03", " 2024-03 "])
def test_parses_other_month_spellings(text: str) -> None:
    assert Period.parse(text) == Period(2024, "month", 3)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2024-13",
        "2024-00",
        "2024-003",
        "2024Q5",
        "2024Q0",
        "2024H3",
        "2024q1",
        "2024M3",
        "2024M13",
        "24-03",
        "0999",
        "2024/03",
        "2024-03-01",
        "2024年第1季度",
        "2024年",
        "Mar 2024",
        "２０２４-03",  # full-width digits
        "2024-03x",
    ],
)
def test_rejects_anything_else_with_a_bilingual_message(text: str) -> None:
    with pytest.raises(ValueError) as raised:
        Period.parse(text)
    message = str(raised.value)
    assert message.startswith(f"Not a period: {text!r}; expected 2024-03, 2024Q1, 2024H1 or 2024")
    assert f"不是有效的期间：“{text}”；应为 2024-03、2024Q1、2024H1 或 2024" in message


def test_parse_refuses_a_non_string() -> None:
    with pytest.raises(TypeError):
        Period.parse(2024)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("year", "period_type", "index"),
    [(2024, "week", 1), (2024, "month", 0), (2024, "month", 13), (2024, "quarter", 5),
     (2024, "half", 3), (2024, "year", 2), (999, "year", 1), (10000, "year", 1)],
)  # fmt: skip
def test_constructor_rejects_impossible_periods(year: int, period_type: str, index: int) -> None:
    with pytest.raises(ValueError):
        Period(year, period_type, index)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["2024-03", "2024-12", "2024Q1", "2024Q4", "2024H1", "2024"])
def test_str_is_canonical_and_round_trips(text: str) -> None:
    assert str(Period.parse(text)) == text


def test_str_pads_the_month() -> None:
    assert str(Period.parse("2024年3月")) == "2024-03"


@pytest.mark.parametrize(
    ("text", "period_type", "per_year", "index", "start", "end"),
    [
        ("2024-02", "month", 12, 2, date(2024, 2, 1), date(2024, 2, 29)),  # leap year
        ("2023-02", "month", 12, 2, date(2023, 2, 1), date(2023, 2, 28)),
        ("2024-12", "month", 12, 12, date(2024, 12, 1), date(2024, 12, 31)),
        ("2024Q1", "quarter", 4, 1, date(2024, 1, 1), date(2024, 3, 31)),
        ("2024Q3", "quarter", 4, 3, date(2024, 7, 1), date(2024, 9, 30)),
        ("2024H1", "half", 2, 1, date(2024, 1, 1), date(2024, 6, 30)),
        ("2024H2", "half", 2, 2, date(2024, 7, 1), date(2024, 12, 31)),
        ("2024", "year", 1, 1, date(2024, 1, 1), date(2024, 12, 31)),
    ],
)
def test_attributes_and_dates(
    text: str, period_type: str, per_year: int, index: int, start: date, end: date
) -> None:
    period = Period.parse(text)
    assert period.year == int(text[:4])
    assert (period.type, period.per_year, period.index) == (period_type, per_year, index)
    assert (period.start, period.end) == (start, end)


def test_next_and_previous_cross_year_ends() -> None:
    assert Period.parse("2024-12").next() == Period.parse("2025-01")
    assert Period.parse("2025-01").previous() == Period.parse("2024-12")
    assert Period.parse("2024Q4").next() == Period.parse("2025Q1")
    assert Period.parse("2024H1").previous() == Period.parse("2023H2")
    assert Period.parse("2024").next() == Period.parse("2025")


def test_shift_moves_both_ways() -> None:
    month = Period.parse("2024-03")
    assert month.shift(0) == month
    assert month.shift(-3) == Period.parse("2023-12")
    assert month.shift(22) == Period.parse("2026-01")
    assert month.shift(-27) == Period.parse("2021-12")
    assert Period.parse("2024Q2").shift(-6) == Period.parse("2022Q4")
    assert Period.parse("2024").shift(-4) == Period.parse("2020")


def test_shift_beyond_four_digit_years_is_refused() -> None:
    with pytest.raises(ValueError):
        Period.parse("9999-12").next()


def test_prior_year_and_first_of_year() -> None:
    assert Period.parse("2024-03").prior_year() == Period.parse("2023-03")
    assert Period.parse("2024Q3").prior_year() == Period.parse("2023Q3")
    assert Period.parse("2024-03").first_of_year() == Period.parse("2024-01")
    assert Period.parse("2024Q3").first_of_year() == Period.parse("2024Q1")
    assert Period.parse("2024H2").first_of_year() == Period.parse("2024H1")
    assert Period.parse("2024").first_of_year() == Period.parse("2024")


@pytest.mark.parametrize(
    ("day", "period_type", "expected"),
    [
        (date(2024, 3, 31), "month", "2024-03"),
        (date(2024, 3, 31), "quarter", "2024Q1"),
        (date(2024, 4, 1), "quarter", "2024Q2"),
        (date(2024, 6, 30), "half", "2024H1"),
        (date(2024, 7, 1), "half", "2024H2"),
        (date(2024, 12, 31), "year", "2024"),
    ],
)
def test_containing(day: date, period_type: str, expected: str) -> None:
    period = Period.containing(day, period_type)  # type: ignore[arg-type]
    assert str(period) == expected
    assert period.start <= day <= period.end


def test_containing_rejects_an_unknown_type() -> None:
    with pytest.raises(ValueError):
        Period.containing(date(2024, 3, 1), "week")  # type: ignore[arg-type]


def test_range_is_inclusive_and_crosses_years() -> None:
    months = Period.range(Period.parse("2024-11"), Period.parse("2025-02"))
    assert [str(month) for month in months] == ["2024-11", "2024-12", "2025-01", "2025-02"]
    one = Period.parse("2024Q2")
    assert Period.range(one, one) == [one]
    assert Period.range(Period.parse("2025"), Period.parse("2024")) == []


def test_range_refuses_mixed_types() -> None:
    with pytest.raises(ValueError, match="同一类型"):
        Period.range(Period.parse("2024-01"), Period.parse("2024Q2"))


def test_periods_are_hashable_and_ordered() -> None:
    months = [Period.parse(text) for text in ["2024-10", "2023-12", "2024-02"]]
    assert [str(month) for month in sorted(months)] == ["2023-12", "2024-02", "2024-10"]
    assert Period.parse("2024-03") < Period.parse("2024-04") <= Period.parse("2024-04")
    assert Period.parse("2025-01") > Period.parse("2024-12")
    assert {Period.parse("2024-3"), Period.parse("2024-03"), Period.parse("2024M03")} == {
        Period(2024, "month", 3)
    }
    assert Period.parse("2024Q1") != Period.parse("2024-01")


def test_mixed_types_sort_by_first_then_last_day() -> None:
    mixed = [Period.parse(text) for text in ["2024", "2024H1", "2024Q1", "2024-01", "2023-12"]]
    assert [str(period) for period in sorted(mixed)] == [
        "2023-12",
        "2024-01",
        "2024Q1",
        "2024H1",
        "2024",
    ]


def test_ordering_against_other_types_is_refused() -> None:
    with pytest.raises(TypeError):
        _ = Period.parse("2024") < "2025"  # type: ignore[operator]


def test_periods_are_immutable() -> None:
    period = Period.parse("2024-03")
    with pytest.raises(AttributeError):
        period.index = 4  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "zh", "en"),
    [
        ("2024-03", "2024年3月", "Mar 2024"),
        ("2024-12", "2024年12月", "Dec 2024"),
        ("2024Q1", "2024年第1季度", "2024 Q1"),
        ("2024H1", "2024年上半年", "2024 H1"),
        ("2024H2", "2024年下半年", "2024 H2"),
        ("2024", "2024年", "2024"),
    ],
)
def test_labels(text: str, zh: str, en: str) -> None:
    period = Period.parse(text)
    assert period.label("zh") == zh
    assert period.label("zh-hans") == zh
    assert period.label("en") == en
    assert period.label("en-gb") == en


def test_label_refuses_an_unknown_language() -> None:
    with pytest.raises(ValueError):
        Period.parse("2024-03").label("fr")


def test_last_closed() -> None:
    today = date(2026, 8, 28)
    assert last_closed(today, "month") == Period.parse("2026-07")
    assert last_closed(today, "quarter") == Period.parse("2026Q2")
    assert last_closed(today, "half") == Period.parse("2026H1")
    assert last_closed(today, "year") == Period.parse("2025")


def test_last_closed_on_the_first_day_and_the_last_day_of_a_period() -> None:
    assert last_closed(date(2026, 8, 1), "month") == Period.parse("2026-07")
    assert last_closed(date(2026, 7, 31), "month") == Period.parse("2026-06")
    assert last_closed(date(2026, 1, 1), "month") == Period.parse("2025-12")
    assert last_closed(date(2026, 1, 1), "quarter") == Period.parse("2025Q4")
    for today in (date(2026, 8, 1), date(2026, 7, 31), date(2026, 1, 1)):
        assert last_closed(today, "month").end < today
        assert last_closed(today, "month").next().end >= today
