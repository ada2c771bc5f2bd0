from datetime import date, datetime, timedelta

import chinese_calendar
import pytest

from guozi.lib.workdays import (
    DATA_DIR,
    CalendarMissing,
    Holiday,
    HolidayName,
    ScheduleError,
    WorkCalendar,
    YearSchedule,
    format_schedule,
    package_years,
    parse_schedule,
    schedule_from_package,
)

SAMPLE_2026 = DATA_DIR / "2026.yaml"

# A made-up schedule for a year the package does not cover; not the official one.
SCHEDULE_2027 = """\
year: 2027
source: test schedule
holidays:
  - {name_zh: 元旦, name_en: New Year's Day, from: 2027-01-01, to: 2027-01-03}
  - {name_zh: 春节, name_en: Spring Festival, from: 2027-02-06, to: 2027-02-14}
working_days: [2027-02-20]
"""

SPRING_FESTIVAL = HolidayName("春节", "Spring Festival")
NATIONAL_DAY = HolidayName("国庆节", "National Day")


@pytest.fixture(scope="module")
def calendar() -> WorkCalendar:
    return WorkCalendar()


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def _nth_working_day_by_package(day: date, n: int) -> date:
    """Independent check with the package's own predicate (its find_workday counts differently)."""
    following = _days(day + timedelta(days=1), day + timedelta(days=60))
    return [candidate for candidate in following if chinese_calendar.is_workday(candidate)][n - 1]


def _package_name(day: date) -> HolidayName | None:
    english = chinese_calendar.holidays.get(day)
    return HolidayName(chinese_calendar.Holiday(english).chinese, english) if english else None


# -- the shipped 2026 file and the package ------------------------------------------------------


def test_sample_file_agrees_with_the_package_on_every_day_of_2026() -> None:
    schedule = parse_schedule(SAMPLE_2026.read_text(encoding="utf-8"), year=2026)
    from_file = WorkCalendar(extra={2026: schedule})
    days = _days(date(2026, 1, 1), date(2026, 12, 31))
    assert len(days) == 365
    for day in days:
        assert from_file.is_working_day(day) == chinese_calendar.is_workday(day), day
        assert from_file.holiday_name(day) == _package_name(day), day
    assert sum(from_file.is_working_day(day) for day in days) == 248


def test_sample_file_is_what_the_generator_writes() -> None:
    text = SAMPLE_2026.read_text(encoding="utf-8")
    assert text.endswith(format_schedule(schedule_from_package(2026)))
    assert "国务院办公厅关于2026年部分节假日安排的通知" in text


def test_calendar_agrees_with_the_package_on_every_covered_day(calendar: WorkCalendar) -> None:
    assert calendar.years == tuple(range(2004, 2027))
    for day in _days(date(2004, 1, 1), date(2026, 12, 31)):
        assert calendar.is_working_day(day) == chinese_calendar.is_workday(day), day
        if not calendar.is_working_day(day) and day.weekday() < 5:
            assert calendar.holiday_name(day) == _package_name(day), day


@pytest.mark.parametrize("year", list(package_years()))
def test_every_package_year_survives_a_round_trip_through_the_file_format(year: int) -> None:
    schedule = schedule_from_package(year)
    assert parse_schedule(format_schedule(schedule), year=year) == schedule


def test_schedule_from_package_refuses_an_uncovered_year() -> None:
    with pytest.raises(CalendarMissing):
        schedule_from_package(2027)


# -- Spring Festival 2026 ------------------------------------------------------------------------


def test_spring_festival_2026_rest_days(calendar: WorkCalendar) -> None:
    for day in _days(date(2026, 2, 15), date(2026, 2, 23)):
        assert not calendar.is_working_day(day)
        assert calendar.holiday_name(day) == SPRING_FESTIVAL
    assert calendar.is_working_day(date(2026, 2, 24))
    assert calendar.holiday_name(date(2026, 2, 24)) is None


def test_deadline_eight_working_days_after_the_end_of_january_2026(
    calendar: WorkCalendar,
) -> None:
    # 31 January is a Saturday: 2–6 and 9–11 February are the eight working days.
    deadline = calendar.add_working_days(date(2026, 1, 31), 8)
    assert deadline == date(2026, 2, 11)
    assert deadline == _nth_working_day_by_package(date(2026, 1, 31), 8)


def test_deadline_eight_working_days_after_the_end_of_february_2026(
    calendar: WorkCalendar,
) -> None:
    # 28 February is an adjusted working Saturday, but the day itself never counts.
    deadline = calendar.add_working_days(date(2026, 2, 28), 8)
    assert deadline == date(2026, 3, 11)
    assert deadline == _nth_working_day_by_package(date(2026, 2, 28), 8)


def test_deadline_across_the_spring_festival(calendar: WorkCalendar) -> None:
    # Friday 13th, working Saturday 14th, rest 15th–23rd, back on Tuesday 24th.
    assert calendar.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert calendar.add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)
    deadline = calendar.add_working_days(date(2026, 2, 10), 8)
    assert deadline == date(2026, 2, 27)
    assert deadline == _nth_working_day_by_package(date(2026, 2, 10), 8)


def test_working_days_in_february_2026(calendar: WorkCalendar) -> None:
    # 20 weekdays, 6 of them holidays, plus the working Saturdays 14th and 28th.
    count = calendar.working_days_between(date(2026, 1, 31), date(2026, 2, 28))
    assert count == 16
    assert count == len(chinese_calendar.get_workdays(date(2026, 2, 1), date(2026, 2, 28)))


# -- adjusted working weekends (调休上班) ---------------------------------------------------------


@pytest.mark.parametrize(
    "day",
    [date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9), date(2026, 9, 20),
     date(2026, 10, 10)],
)  # fmt: skip
def test_adjusted_working_weekend_counts_as_a_working_day(
    calendar: WorkCalendar, day: date
) -> None:
    assert day.weekday() >= 5
    assert chinese_calendar.is_workday(day)
    assert calendar.is_working_day(day)
    assert calendar.holiday_name(day) is None
    assert calendar.working_days_between(day - timedelta(days=1), day) == 1


def test_a_plain_weekend_is_a_rest_day(calendar: WorkCalendar) -> None:
    assert not calendar.is_working_day(date(2026, 5, 10))  # Sunday
    assert calendar.holiday_name(date(2026, 5, 10)) is None
    # Friday 8 May → working Saturday 9th, rest Sunday 10th, Monday 11th.
    assert calendar.working_days_between(date(2026, 5, 8), date(2026, 5, 11)) == 2


# -- National Day golden week (国庆) -------------------------------------------------------------


def test_national_day_golden_week_2026(calendar: WorkCalendar) -> None:
    for day in _days(date(2026, 10, 1), date(2026, 10, 7)):
        assert not calendar.is_working_day(day)
        assert calendar.holiday_name(day) == NATIONAL_DAY
    assert calendar.is_working_day(date(2026, 9, 30))
    assert calendar.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    october = calendar.working_days_between(date(2026, 9, 30), date(2026, 10, 31))
    assert october == 18
    assert october == len(chinese_calendar.get_workdays(date(2026, 10, 1), date(2026, 10, 31)))


def test_mid_autumn_2026_comes_before_the_golden_week(calendar: WorkCalendar) -> None:
    assert calendar.holiday_name(date(2026, 9, 25)) == HolidayName("中秋", "Mid-autumn Festival")
    assert not calendar.is_working_day(date(2026, 9, 25))  # a Friday
    assert calendar.add_working_days(date(2026, 9, 24), 1) == date(2026, 9, 28)


# -- counting -----------------------------------------------------------------------------------


def test_working_days_between_inverts_add_working_days(calendar: WorkCalendar) -> None:
    start = date(2025, 12, 20)
    for n in (1, 5, 8, 30, 120):
        assert calendar.working_days_between(start, calendar.add_working_days(start, n)) == n


def test_working_days_between_is_zero_for_one_day_and_negative_backwards(
    calendar: WorkCalendar,
) -> None:
    assert calendar.working_days_between(date(2026, 3, 2), date(2026, 3, 2)) == 0
    assert calendar.working_days_between(date(2026, 3, 11), date(2026, 2, 28)) == -8


def test_working_days_in_a_whole_year_match_the_package(calendar: WorkCalendar) -> None:
    for year in (2015, 2020, 2025, 2026):
        expected = len(chinese_calendar.get_workdays(date(year, 1, 1), date(year, 12, 31)))
        counted = calendar.working_days_between(date(year - 1, 12, 31), date(year, 12, 31))
        assert counted == expected


@pytest.mark.parametrize("n", [0, -1, 1.5, True])
def test_add_working_days_needs_a_positive_whole_number(calendar: WorkCalendar, n: object) -> None:
    with pytest.raises(ValueError):
        calendar.add_working_days(date(2026, 3, 2), n)  # type: ignore[arg-type]


def test_a_datetime_is_refused(calendar: WorkCalendar) -> None:
    with pytest.raises(TypeError):
        calendar.is_working_day(datetime(2026, 3, 2, 9, 0))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        calendar.working_days_between(date(2026, 3, 2), "2026-03-09")  # type: ignore[arg-type]


# -- years without a schedule ----------------------------------------------------------------------


def test_2027_without_a_schedule_is_flagged(calendar: WorkCalendar) -> None:
    assert calendar.covers(2026)
    assert not calendar.covers(2027)
    with pytest.raises(CalendarMissing) as raised:
        calendar.is_working_day(date(2027, 3, 1))
    assert raised.value.year == 2027
    assert str(raised.value) == (
        "No official working-day schedule is loaded for 2027; load the State Council's schedule "
        "for that year / 尚未载入2027年的国务院节假日安排，请先载入该年度安排"
    )
    with pytest.raises(CalendarMissing):
        calendar.holiday_name(date(2027, 1, 1))
    with pytest.raises(CalendarMissing):
        calendar.schedule(2027)


def test_counting_into_an_uncovered_year_is_flagged(calendar: WorkCalendar) -> None:
    assert calendar.add_working_days(date(2026, 12, 30), 1) == date(2026, 12, 31)
    with pytest.raises(CalendarMissing) as raised:
        calendar.add_working_days(date(2026, 12, 30), 5)
    assert raised.value.year == 2027
    with pytest.raises(CalendarMissing):
        calendar.working_days_between(date(2026, 12, 1), date(2027, 1, 15))
    with pytest.raises(CalendarMissing) as raised:
        calendar.is_working_day(date(2003, 12, 31))
    assert raised.value.year == 2003


def test_2027_with_a_loaded_schedule_works() -> None:
    calendar = WorkCalendar(extra={2027: parse_schedule(SCHEDULE_2027, year=2027)})
    assert calendar.covers(2027)
    assert calendar.is_working_day(date(2027, 2, 20))  # adjusted Saturday
    assert not calendar.is_working_day(date(2027, 2, 8))  # Monday in the Spring Festival
    assert not calendar.is_working_day(date(2027, 1, 1))
    assert calendar.holiday_name(date(2027, 2, 14)) == SPRING_FESTIVAL
    assert calendar.is_working_day(date(2027, 3, 1))
    # 31 Dec 2026, then 4–7 Jan 2027 after the New Year's Day holiday.
    assert calendar.add_working_days(date(2026, 12, 30), 5) == date(2027, 1, 7)
    assert calendar.working_days_between(date(2026, 12, 30), date(2027, 1, 7)) == 5


def test_a_loaded_schedule_replaces_the_package_year() -> None:
    package = schedule_from_package(2026)
    corrected = YearSchedule(
        year=2026,
        holidays=package.holidays,
        working_days=tuple(day for day in package.working_days if day != date(2026, 10, 10)),
        source="corrected",
    )
    calendar = WorkCalendar(extra={2026: corrected})
    assert not calendar.is_working_day(date(2026, 10, 10))
    assert calendar.is_working_day(date(2026, 9, 20))
    assert calendar.schedule(2026) is corrected


def test_a_schedule_given_under_another_year_is_refused() -> None:
    with pytest.raises(ScheduleError, match="2027"):
        WorkCalendar(extra={2028: parse_schedule(SCHEDULE_2027)})


# -- the schedule ---------------------------------------------------------------------------------


def test_parse_schedule_reads_the_example() -> None:
    schedule = parse_schedule(SCHEDULE_2027)
    assert schedule.year == 2027
    assert schedule.source == "test schedule"
    assert schedule.holidays == (
        Holiday("元旦", "New Year's Day", date(2027, 1, 1), date(2027, 1, 3)),
        Holiday("春节", "Spring Festival", date(2027, 2, 6), date(2027, 2, 14)),
    )
    assert schedule.working_days == (date(2027, 2, 20),)


def test_to_days_lists_only_the_days_that_differ_from_monday_to_friday() -> None:
    days = parse_schedule(SCHEDULE_2027).to_days()
    # 2–3 January and 6–7, 13–14 February are weekends inside holidays: no change.
    assert days == {
        date(2027, 1, 1): False,
        date(2027, 2, 8): False,
        date(2027, 2, 9): False,
        date(2027, 2, 10): False,
        date(2027, 2, 11): False,
        date(2027, 2, 12): False,
        date(2027, 2, 20): True,
    }


def test_empty_lists_are_allowed() -> None:
    text = "year: 2030\nsource: none yet\nholidays: []\nworking_days: []\n"
    schedule = parse_schedule(text)
    assert schedule.to_days() == {}
    assert format_schedule(schedule) == text


def test_quoted_dates_and_block_style_are_read() -> None:
    text = """\
year: 2027
source: "国务院办公厅关于2027年部分节假日安排的通知"
holidays:
  - name_zh: 元旦
    name_en: "New Year's Day"
    from: "2027-01-01"
    to: 2027-01-03
working_days:
  - 2027-02-20
"""
    schedule = parse_schedule(text)
    assert schedule.holidays[0].last == date(2027, 1, 3)
    assert schedule.working_days == (date(2027, 2, 20),)


def _edit(old: str, new: str) -> str:
    assert old in SCHEDULE_2027
    return SCHEDULE_2027.replace(old, new)


SCHEDULE_ERRORS = {
    "holiday starts in another year": (
        _edit("from: 2027-01-01", "from: 2026-12-31"),
        4, "holidays.1.from", "outside the year 2027", "不在 2027 年内",
    ),
    "holiday ends in another year": (
        _edit("to: 2027-01-03", "to: 2028-01-03"),
        4, "holidays.1.to", "outside the year 2027", "不在 2027 年内",
    ),
    "working day in another year": (
        _edit("[2027-02-20]", "[2026-12-26]"),
        6, "working_days.1", "outside the year 2027", "不在 2027 年内",
    ),
    "working day not a weekend": (
        _edit("[2027-02-20]", "[2027-02-20, 2027-02-19]"),
        6, "working_days.2", "is a Friday", "是星期五",
    ),
    "working day inside a holiday": (
        _edit("[2027-02-20]", "[2027-02-13]"),
        6, "working_days.1", "inside the holiday Spring Festival", "位于春节假期之内",
    ),
    "working day listed twice": (
        _edit("[2027-02-20]", "[2027-02-20, 2027-02-20]"),
        6, "working_days.2", "listed twice", "重复",
    ),
    "overlapping holidays": (
        _edit("from: 2027-02-06", "from: 2027-01-03"),
        5, "holidays.2.from", "overlaps New Year's Day", "与元旦",
    ),
    "from after to": (
        _edit("from: 2027-02-06, to: 2027-02-14", "from: 2027-02-14, to: 2027-02-06"),
        5, "holidays.2.to", "before it starts", "早于开始日期",
    ),
    "unknown top-level key": (
        SCHEDULE_2027 + "remarks: approved\n",
        7, "remarks", "unknown key", "未知的键",
    ),
    "unknown holiday key": (
        _edit("to: 2027-01-03}", "to: 2027-01-03, days: 3}"),
        4, "holidays.1.days", "unknown key", "未知的键",
    ),
    "missing top-level key": (
        _edit("working_days: [2027-02-20]\n", ""),
        1, "working_days", "missing", "缺少",
    ),
    "missing source": (
        _edit("source: test schedule\n", ""),
        1, "source", "missing", "缺少",
    ),
    "missing holiday key": (
        _edit(", to: 2027-02-14", ""),
        5, "holidays.2.to", "missing", "缺少",
    ),
    "duplicate key": (
        _edit("source: test schedule\n", "source: test schedule\nyear: 2027\n"),
        3, "year", "appears twice", "重复",
    ),
    "year not four digits": (
        _edit("year: 2027", "year: 27"),
        1, "year", "four-digit year", "四位年份",
    ),
    "year not a number": (
        _edit("year: 2027", "year: next"),
        1, "year", "four-digit year", "四位年份",
    ),
    "impossible date": (
        _edit("[2027-02-20]", "[2027-02-30]"),
        6, "working_days.1", "not a date", "不是 YYYY-MM-DD",
    ),
    "date in another format": (
        _edit("to: 2027-01-03", "to: 2027/01/03"),
        4, "holidays.1.to", "not a date", "不是 YYYY-MM-DD",
    ),
    "empty name": (
        _edit("name_zh: 元旦", 'name_zh: ""'),
        4, "holidays.1.name_zh", "empty", "为空",
    ),
    "name that is not text": (
        _edit("name_en: Spring Festival", "name_en: 2027"),
        5, "holidays.2.name_en", "expected text", "应为文本",
    ),
    "holidays not a list": (
        "year: 2027\nsource: test schedule\nholidays: 元旦\nworking_days: []\n",
        3, "holidays", "expected a list", "应为列表",
    ),
    "holiday not a mapping": (
        _edit("  - {name_zh: 春节", "  - 春节\n  - {name_zh: 春节"),
        5, "holidays.2", "expected a mapping", "映射",
    ),
    "top level not a mapping": (
        "- 2027-01-01\n",
        1, None, "expected a mapping", "映射",
    ),
    "broken YAML": (
        _edit("[2027-02-20]", "[2027-02-20"),
        None, None, "not valid YAML", "不是有效的 YAML",
    ),
    "empty text": (
        "# nothing yet\n",
        1, None, "empty", "为空",
    ),
}  # fmt: skip


@pytest.mark.parametrize(
    ("text", "line", "key", "english", "chinese"),
    list(SCHEDULE_ERRORS.values()),
    ids=list(SCHEDULE_ERRORS),
)
def test_schedule_errors_name_the_line_and_key(
    text: str, line: int | None, key: str | None, english: str, chinese: str
) -> None:
    with pytest.raises(ScheduleError) as raised:
        parse_schedule(text)
    error = raised.value
    assert error.key == key
    if line is not None:
        assert error.line == line
    assert english in error.message_en
    assert chinese in error.message_zh
    message = str(error)
    assert english in message and chinese in message
    if error.line is not None:
        assert f"line {error.line}" in message and f"第{error.line}行" in message
    if key is not None:
        assert key in message


def test_broken_yaml_reports_a_line() -> None:
    with pytest.raises(ScheduleError) as raised:
        parse_schedule(_edit("[2027-02-20]", "[2027-02-20"))
    assert raised.value.line is not None and raised.value.line >= 6


def test_a_schedule_for_another_year_than_expected_is_refused() -> None:
    with pytest.raises(ScheduleError) as raised:
        parse_schedule(SCHEDULE_2027, year=2028)
    assert (raised.value.line, raised.value.key) == (1, "year")
    assert "for 2027, expected 2028" in str(raised.value)
    assert "这是 2027 年的安排，应为 2028 年" in str(raised.value)


def test_a_schedule_built_in_code_is_checked_too() -> None:
    with pytest.raises(ScheduleError) as raised:
        YearSchedule(
            year=2027,
            holidays=(),
            working_days=(date(2027, 3, 3),),  # a Wednesday
            source="code",
        )
    assert raised.value.line is None
    assert raised.value.key == "working_days.1"
    assert str(raised.value).startswith("working_days.1: 2027-03-03 is a Wednesday")
