"""China's official working-day calendar (法定工作日历).

Monday to Friday are working days and weekends are rest days, except as each year's notice of the
General Office of the State Council (国务院办公厅关于××年部分节假日安排的通知) decides: statutory
holidays with their bridging days are rest days, and some weekends become working days (调休上班).
Years 2004–2026 come from the ``chinesecalendar`` package; each later year's schedule is loaded by
the supervisor when the notice is published. A year with no schedule raises ``CalendarMissing``:
it is flagged, never guessed from the plain Monday-to-Friday rule.

Schedule file format (YAML, one file per year, e.g. ``guozi/data/workdays/2026.yaml``)::

    year: 2027                          # four digits
    source: 国务院办公厅关于2027年部分节假日安排的通知 (国办发明电〔2026〕N号)
    holidays:                           # may be empty: []
      - {name_zh: 元旦, name_en: New Year's Day, from: 2027-01-01, to: 2027-01-03}
      - {name_zh: 春节, name_en: Spring Festival, from: 2027-02-05, to: 2027-02-13}
    working_days: [2027-02-20]          # adjusted working weekends; may be empty: []

All four top-level keys and all four holiday keys are required; no other key is allowed. Dates
are written YYYY-MM-DD. Every day from ``from`` to ``to`` inclusive is a rest day, weekends inside
the range included. Rules: every date lies in ``year``; ``from`` is not after ``to``; holidays do
not overlap; a working day is a Saturday or Sunday, is listed once and lies in no holiday.
A file that breaks a rule raises ``ScheduleError`` naming the line and the key; items of a list
are numbered from 1 (``holidays.2.to`` is the ``to`` of the second holiday).

A file can be written from the package's data with ``python -m guozi.lib.workdays 2026``.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import NamedTuple

import chinese_calendar
import yaml

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "workdays"

_TOP_KEYS = ("year", "source", "holidays", "working_days")
_HOLIDAY_KEYS = ("name_zh", "name_en", "from", "to")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_YEAR = re.compile(r"\d{4}", re.ASCII)
_WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKDAYS_ZH = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")


class CalendarMissing(LookupError):
    """No official schedule is loaded for ``year``."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"No official working-day schedule is loaded for {year}; load the State Council's "
            f"schedule for that year / 尚未载入{year}年的国务院节假日安排，请先载入该年度安排"
        )


class ScheduleError(ValueError):
    """A schedule breaks the format or a rule; ``line`` is 1-based, None when not from a file."""

    def __init__(
        self, message_en: str, message_zh: str, *, key: str | None = None, line: int | None = None
    ) -> None:
        self.message_en = message_en
        self.message_zh = message_zh
        self.key = key
        self.line = line
        super().__init__(self._text())

    def _text(self) -> str:
        where_en = ", ".join(
            part for part in (self.line and f"line {self.line}", self.key and str(self.key)) if part
        )
        where_zh = "，".join(part for part in (self.line and f"第{self.line}行", self.key) if part)
        english = f"{where_en}: {self.message_en}" if where_en else self.message_en
        chinese = f"{where_zh}：{self.message_zh}" if where_zh else self.message_zh
        return f"{english} / {chinese}"

    def at_line(self, line: int | None) -> ScheduleError:
        return ScheduleError(self.message_en, self.message_zh, key=self.key, line=line)


class HolidayName(NamedTuple):
    zh: str
    en: str


@dataclass(frozen=True)
class Holiday:
    """A statutory holiday as the notice gives it: rest from ``first`` to ``last`` inclusive."""

    name_zh: str
    name_en: str
    first: dt.date
    last: dt.date

    def days(self) -> Iterator[dt.date]:
        day = self.first
        while day <= self.last:
            yield day
            day += dt.timedelta(days=1)


@dataclass(frozen=True)
class YearSchedule:
    """One year's official schedule; checked on creation (raises ScheduleError)."""

    year: int
    holidays: tuple[Holiday, ...]
    working_days: tuple[dt.date, ...]
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "holidays", tuple(self.holidays))
        object.__setattr__(self, "working_days", tuple(self.working_days))
        _check_schedule(self)

    def to_days(self) -> dict[dt.date, bool]:
        """The days that differ from the Monday-to-Friday rule: True = working, False = rest."""
        changed = {
            day: False for holiday in self.holidays for day in holiday.days() if day.weekday() < 5
        }
        changed.update((day, True) for day in self.working_days)
        return changed

    def holiday_names(self) -> dict[dt.date, HolidayName]:
        """Every rest day of a holiday, weekends inside its range included, with its name."""
        return {
            day: HolidayName(holiday.name_zh, holiday.name_en)
            for holiday in self.holidays
            for day in holiday.days()
        }


# -- rules -------------------------------------------------------------------------------------


def _rule_broken(key: str, english: str, chinese: str) -> ScheduleError:
    return ScheduleError(english, chinese, key=key)


def _check_schedule(schedule: YearSchedule) -> None:
    year = schedule.year
    if not isinstance(year, int) or not 1000 <= year <= 9999:
        raise _rule_broken("year", f"{year!r} is not a four-digit year", f"{year!r} 不是四位年份")
    for number, holiday in enumerate(schedule.holidays, start=1):
        _check_holiday(year, f"holidays.{number}", holiday)
    _check_overlaps(schedule.holidays)
    _check_working_days(schedule)


def _check_in_year(year: int, key: str, day: dt.date) -> None:
    if day.year != year:
        raise _rule_broken(
            key, f"{day} lies outside the year {year}", f"日期 {day} 不在 {year} 年内"
        )


def _check_holiday(year: int, key: str, holiday: Holiday) -> None:
    for name_key in ("name_zh", "name_en"):
        if not getattr(holiday, name_key).strip():
            raise _rule_broken(f"{key}.{name_key}", "the name is empty", "名称为空")
    _check_in_year(year, f"{key}.from", holiday.first)
    _check_in_year(year, f"{key}.to", holiday.last)
    if holiday.first > holiday.last:
        raise _rule_broken(
            f"{key}.to",
            f"{holiday.name_en} ends on {holiday.last}, before it starts on {holiday.first}",
            f"{holiday.name_zh}的结束日期 {holiday.last} 早于开始日期 {holiday.first}",
        )


def _check_overlaps(holidays: tuple[Holiday, ...]) -> None:
    numbered = sorted(enumerate(holidays, start=1), key=lambda pair: pair[1].first)
    for (_, earlier), (number, later) in zip(numbered, numbered[1:], strict=False):
        if later.first <= earlier.last:
            raise _rule_broken(
                f"holidays.{number}.from",
                f"{later.name_en} ({later.first} to {later.last}) overlaps {earlier.name_en} "
                f"({earlier.first} to {earlier.last})",
                f"{later.name_zh}（{later.first} 至 {later.last}）与{earlier.name_zh}"
                f"（{earlier.first} 至 {earlier.last}）重叠",
            )


def _check_working_days(schedule: YearSchedule) -> None:
    rest_days = schedule.holiday_names()
    seen: set[dt.date] = set()
    for number, day in enumerate(schedule.working_days, start=1):
        key = f"working_days.{number}"
        _check_in_year(schedule.year, key, day)
        if day.weekday() < 5:
            raise _rule_broken(
                key,
                f"{day} is a {_WEEKDAYS_EN[day.weekday()]}; only a Saturday or Sunday can be "
                "an adjusted working day",
                f"{day} 是{_WEEKDAYS_ZH[day.weekday()]}，只有星期六或星期日才能调休上班",
            )
        if day in seen:
            raise _rule_broken(key, f"{day} is listed twice", f"{day} 重复列出")
        if day in rest_days:
            name = rest_days[day]
            raise _rule_broken(
                key,
                f"{day} lies inside the holiday {name.en}",
                f"{day} 位于{name.zh}假期之内",
            )
        seen.add(day)


# -- reading a schedule file -------------------------------------------------------------------


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _fail(node: yaml.Node, key: str | None, english: str, chinese: str) -> ScheduleError:
    return ScheduleError(english, chinese, key=key, line=_line(node))


def _mapping(
    node: yaml.Node, key: str | None, allowed: tuple[str, ...]
) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """A mapping node's entries by key name (with the key node, for its line); checks keys."""
    if not isinstance(node, yaml.MappingNode):
        raise _fail(node, key, "expected a mapping of keys to values", "应为“键: 值”的映射")
    entries: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in node.value:
        name = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.tag)
        full = f"{key}.{name}" if key else name
        if name not in allowed:
            raise _fail(
                key_node,
                full,
                f"unknown key; allowed keys: {', '.join(allowed)}",
                f"未知的键；允许的键为：{'、'.join(allowed)}",
            )
        if name in entries:
            raise _fail(key_node, full, "the key appears twice", "该键重复出现")
        entries[name] = (key_node, value_node)
    for name in allowed:
        if name not in entries:
            full = f"{key}.{name}" if key else name
            raise _fail(node, full, "this key is missing", "缺少该键")
    return entries


def _sequence(node: yaml.Node, key: str) -> list[yaml.Node]:
    if not isinstance(node, yaml.SequenceNode):
        raise _fail(node, key, "expected a list (may be empty: [])", "应为列表（可为空：[]）")
    return node.value


def _text(node: yaml.Node, key: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:str":
        raise _fail(node, key, "expected text", "应为文本")
    if not node.value.strip():
        raise _fail(node, key, "the text is empty", "文本为空")
    return node.value


def _date(node: yaml.Node, key: str) -> dt.date:
    raw = node.value if isinstance(node, yaml.ScalarNode) else None
    if raw is not None and _ISO_DATE.fullmatch(raw):
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            pass
    shown = raw if raw is not None else "…"
    raise _fail(
        node,
        key,
        f"{shown!r} is not a date written YYYY-MM-DD",
        f"“{shown}”不是 YYYY-MM-DD 格式的日期",
    )


def _year(node: yaml.Node) -> int:
    if isinstance(node, yaml.ScalarNode) and _YEAR.fullmatch(node.value):
        return int(node.value)
    shown = node.value if isinstance(node, yaml.ScalarNode) else "…"
    raise _fail(node, "year", f"{shown!r} is not a four-digit year", f"“{shown}”不是四位年份")


def parse_schedule(text: str, *, year: int | None = None) -> YearSchedule:
    """Read a schedule file's text; with ``year``, the file must be that year's schedule."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        raise ScheduleError(
            f"not valid YAML: {problem}",
            f"不是有效的 YAML：{problem}",
            line=mark.line + 1 if mark else None,
        ) from None
    if root is None:
        raise ScheduleError("the schedule is empty", "节假日安排为空", line=1)

    entries = _mapping(root, None, _TOP_KEYS)
    lines = {name: _line(key_node) for name, (key_node, _) in entries.items()}
    year_node = entries["year"][1]
    schedule_year = _year(year_node)
    if year is not None and schedule_year != year:
        raise _fail(
            year_node,
            "year",
            f"this is the schedule for {schedule_year}, expected {year}",
            f"这是 {schedule_year} 年的安排，应为 {year} 年",
        )

    holidays = []
    for number, item in enumerate(_sequence(entries["holidays"][1], "holidays"), start=1):
        key = f"holidays.{number}"
        fields = _mapping(item, key, _HOLIDAY_KEYS)
        lines.update({f"{key}.{name}": _line(node) for name, (node, _) in fields.items()})
        holidays.append(
            Holiday(
                name_zh=_text(fields["name_zh"][1], f"{key}.name_zh"),
                name_en=_text(fields["name_en"][1], f"{key}.name_en"),
                first=_date(fields["from"][1], f"{key}.from"),
                last=_date(fields["to"][1], f"{key}.to"),
            )
        )
    working_days = []
    for number, item in enumerate(_sequence(entries["working_days"][1], "working_days"), start=1):
        key = f"working_days.{number}"
        lines[key] = _line(item)
        working_days.append(_date(item, key))

    try:
        return YearSchedule(
            year=schedule_year,
            holidays=tuple(holidays),
            working_days=tuple(working_days),
            source=_text(entries["source"][1], "source"),
        )
    except ScheduleError as error:
        raise error.at_line(lines.get(error.key or "")) from None


# -- writing a schedule file -------------------------------------------------------------------


def _yaml_scalar(text: str) -> str:
    """``text`` bare when YAML reads it back as the same text inside a flow mapping, else quoted."""
    try:
        if yaml.safe_load(f"{{k: {text}}}") == {"k": text}:
            return text
    except yaml.YAMLError:
        pass
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_schedule(schedule: YearSchedule) -> str:
    """The schedule as a file, dates in order; ``parse_schedule`` reads it back unchanged."""
    lines = [f"year: {schedule.year}", f"source: {_yaml_scalar(schedule.source)}"]
    holidays = sorted(schedule.holidays, key=lambda holiday: holiday.first)
    lines.append("holidays:" if holidays else "holidays: []")
    lines.extend(
        f"  - {{name_zh: {_yaml_scalar(holiday.name_zh)}, name_en: {_yaml_scalar(holiday.name_en)}"
        f", from: {holiday.first}, to: {holiday.last}}}"
        for holiday in holidays
    )
    lines.append(f"working_days: [{', '.join(str(day) for day in sorted(schedule.working_days))}]")
    return "\n".join(lines) + "\n"


# -- the package's data ------------------------------------------------------------------------


def _package_name(english: str) -> HolidayName:
    return HolidayName(chinese_calendar.Holiday(english).chinese, english)


def _package_holidays(year: int) -> list[Holiday]:
    """The package lists single rest days; runs of consecutive days with one name are holidays."""
    holidays: list[Holiday] = []
    days = sorted(day for day in chinese_calendar.holidays if day.year == year)
    for day in days:
        name = _package_name(chinese_calendar.holidays[day])
        previous = holidays[-1] if holidays else None
        if (
            previous is not None
            and (previous.name_zh, previous.name_en) == name
            and previous.last + dt.timedelta(days=1) == day
        ):
            holidays[-1] = Holiday(previous.name_zh, previous.name_en, previous.first, day)
        else:
            holidays.append(Holiday(name.zh, name.en, day, day))
    return holidays


def package_years() -> range:
    years = [day.year for day in chinese_calendar.holidays]
    return range(min(years), max(years) + 1)


def schedule_from_package(year: int) -> YearSchedule:
    """The year's schedule as the ``chinesecalendar`` package records it."""
    if year not in package_years():
        raise CalendarMissing(year)
    return YearSchedule(
        year=year,
        holidays=tuple(_package_holidays(year)),
        working_days=tuple(sorted(day for day in chinese_calendar.workdays if day.year == year)),
        source=f"国务院办公厅关于{year}年部分节假日安排的通知"
        f"（据 chinesecalendar {version('chinesecalendar')} 数据转录）",
    )


@cache
def _package_schedules() -> dict[int, YearSchedule]:
    return {year: schedule_from_package(year) for year in package_years()}


# -- the calendar ------------------------------------------------------------------------------


def _monday_to_friday_through(day: dt.date) -> int:
    """Monday-to-Friday days from 0001-01-01 (a Monday) to ``day`` inclusive."""
    weeks, extra_days = divmod(day.toordinal(), 7)
    return weeks * 5 + min(extra_days, 5)


def _require_date(day: object) -> dt.date:
    if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
        raise TypeError(f"expected a date, not {type(day).__name__}")
    return day


class WorkCalendar:
    """The package's years plus loaded schedules; a loaded year replaces the package's."""

    def __init__(self, extra: Mapping[int, YearSchedule] | None = None) -> None:
        schedules = dict(_package_schedules())
        for year, schedule in (extra or {}).items():
            if schedule.year != year:
                raise ScheduleError(
                    f"the schedule for {schedule.year} was given as the schedule for {year}",
                    f"{schedule.year} 年的安排被当作 {year} 年的安排载入",
                    key="year",
                )
            schedules[year] = schedule
        self._schedules = schedules
        self._changed_by_year = {year: s.to_days() for year, s in schedules.items()}
        self._changed = {
            day: working for days in self._changed_by_year.values() for day, working in days.items()
        }
        self._names = {
            day: name for s in schedules.values() for day, name in s.holiday_names().items()
        }

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(sorted(self._schedules))

    def covers(self, year: int) -> bool:
        return year in self._schedules

    def schedule(self, year: int) -> YearSchedule:
        if year not in self._schedules:
            raise CalendarMissing(year)
        return self._schedules[year]

    def _covered(self, day: object) -> dt.date:
        checked = _require_date(day)
        if checked.year not in self._schedules:
            raise CalendarMissing(checked.year)
        return checked

    def is_working_day(self, day: dt.date) -> bool:
        day = self._covered(day)
        return self._changed.get(day, day.weekday() < 5)

    def holiday_name(self, day: dt.date) -> HolidayName | None:
        """The holiday whose rest days include ``day``; None on other days (working days too)."""
        return self._names.get(self._covered(day))

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        """The ``n``-th working day after ``day`` (n ≥ 1); ``day`` itself never counts."""
        day = _require_date(day)
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(
                f"n must be a whole number of at least 1, not {n!r} / n 应为不小于 1 的整数"
            )
        found = 0
        while found < n:
            day += dt.timedelta(days=1)
            found += self.is_working_day(day)
        return day

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """Working days after ``a`` up to and including ``b``; negative when ``b`` is before ``a``.

        So ``working_days_between(a, add_working_days(a, n)) == n``, and for a deadline and a
        later day it is the number of working days late.
        """
        a, b = _require_date(a), _require_date(b)
        if b < a:
            return -self.working_days_between(b, a)
        if a == b:
            return 0
        first_counted = a + dt.timedelta(days=1)
        for year in range(first_counted.year, b.year + 1):
            if year not in self._schedules:
                raise CalendarMissing(year)
        count = _monday_to_friday_through(b) - _monday_to_friday_through(a)
        for year in range(first_counted.year, b.year + 1):
            for day, working in self._changed_by_year[year].items():
                if a < day <= b:
                    count += 1 if working else -1
        return count


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not _YEAR.fullmatch(argv[0]):
        print("usage: python -m guozi.lib.workdays YEAR", file=sys.stderr)
        return 2
    year = int(argv[0])
    print(
        f"# Official working-day schedule for {year}, written from the chinesecalendar "
        f"{version('chinesecalendar')} package\n# by `python -m guozi.lib.workdays {year}`.",
    )
    print(format_schedule(schedule_from_package(year)), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
