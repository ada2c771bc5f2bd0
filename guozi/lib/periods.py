"""Reporting periods: months, quarters, halves and years.

Canonical forms: ``2024-03`` (month), ``2024Q1`` (quarter), ``2024H1`` (half), ``2024`` (year).
``Period.parse`` also reads ``2024-3``, ``2024年3月`` and ``2024M03`` as months, and nothing else
(surrounding spaces aside). Periods of one type sort chronologically; periods of different types
sort by first day, then by last day (``2024-01 < 2024Q1 < 2024H1 < 2024``).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import total_ordering
from typing import Literal

PeriodType = Literal["month", "quarter", "half", "year"]

PER_YEAR: dict[str, int] = {"month": 12, "quarter": 4, "half": 2, "year": 1}
MIN_YEAR, MAX_YEAR = 1000, 9999  # four-digit years, so that str() and parse() round-trip

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_HALVES_ZH = ("上半年", "下半年")

_FORMS: tuple[tuple[re.Pattern[str], PeriodType], ...] = (
    (re.compile(r"(\d{4})-(\d{1,2})", re.ASCII), "month"),
    (re.compile(r"(\d{4})年(\d{1,2})月", re.ASCII), "month"),
    (re.compile(r"(\d{4})M(\d{2})", re.ASCII), "month"),
    (re.compile(r"(\d{4})Q(\d)", re.ASCII), "quarter"),
    (re.compile(r"(\d{4})H(\d)", re.ASCII), "half"),
    (re.compile(r"(\d{4})()", re.ASCII), "year"),
)


def _not_a_period(text: object) -> ValueError:
    return ValueError(
        f"Not a period: {text!r}; expected 2024-03, 2024Q1, 2024H1 or 2024 / "
        f"不是有效的期间：“{text}”；应为 2024-03、2024Q1、2024H1 或 2024"
    )


@total_ordering
@dataclass(frozen=True)
class Period:
    """One reporting period: ``index`` is 1-based within ``year`` (2024Q3 has index 3)."""

    year: int
    type: PeriodType
    index: int

    def __post_init__(self) -> None:
        if self.type not in PER_YEAR:
            raise ValueError(
                f"Unknown period type {self.type!r}; expected month, quarter, half or year / "
                f"未知的期间类型“{self.type}”；应为 month、quarter、half 或 year"
            )
        if not MIN_YEAR <= self.year <= MAX_YEAR:
            raise ValueError(
                f"Year {self.year} is outside {MIN_YEAR}–{MAX_YEAR} / "
                f"年份 {self.year} 超出 {MIN_YEAR}–{MAX_YEAR} 的范围"
            )
        if not 1 <= self.index <= self.per_year:
            raise ValueError(
                f"A {self.type} index must be between 1 and {self.per_year}, not {self.index} / "
                f"{self.type} 期间序号应在 1 到 {self.per_year} 之间，实为 {self.index}"
            )

    # -- reading and writing -------------------------------------------------------------------

    @classmethod
    def parse(cls, text: str) -> Period:
        if not isinstance(text, str):
            raise TypeError(f"Period.parse takes a str, not {type(text).__name__}")
        stripped = text.strip()
        for pattern, period_type in _FORMS:
            match = pattern.fullmatch(stripped)
            if match is None:
                continue
            year, index = int(match[1]), int(match[2] or 1)
            try:
                return cls(year, period_type, index)
            except ValueError:
                raise _not_a_period(text) from None
        raise _not_a_period(text)

    def __str__(self) -> str:
        if self.type == "month":
            return f"{self.year}-{self.index:02d}"
        if self.type == "quarter":
            return f"{self.year}Q{self.index}"
        if self.type == "half":
            return f"{self.year}H{self.index}"
        return str(self.year)

    def label(self, lang: str) -> str:
        """Display label; ``lang`` is a language code such as "zh", "zh-hans" or "en"."""
        if lang.lower().startswith("zh"):
            return self._label_zh()
        if lang.lower().startswith("en"):
            return self._label_en()
        raise ValueError(f"No period labels for language {lang!r} / 不支持语言“{lang}”的期间名称")

    def _label_zh(self) -> str:
        if self.type == "month":
            return f"{self.year}年{self.index}月"
        if self.type == "quarter":
            return f"{self.year}年第{self.index}季度"
        if self.type == "half":
            return f"{self.year}年{_HALVES_ZH[self.index - 1]}"
        return f"{self.year}年"

    def _label_en(self) -> str:
        if self.type == "month":
            return f"{_MONTHS_EN[self.index - 1]} {self.year}"
        if self.type == "quarter":
            return f"{self.year} Q{self.index}"
        if self.type == "half":
            return f"{self.year} H{self.index}"
        return str(self.year)

    # -- calendar ------------------------------------------------------------------------------

    @property
    def per_year(self) -> int:
        return PER_YEAR[self.type]

    @property
    def _months(self) -> int:
        return 12 // self.per_year

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, (self.index - 1) * self._months + 1, 1)

    @property
    def end(self) -> dt.date:
        last_month = self.index * self._months
        return dt.date(self.year, last_month, calendar.monthrange(self.year, last_month)[1])

    @classmethod
    def containing(cls, date: dt.date, type: PeriodType) -> Period:
        if type not in PER_YEAR:
            raise ValueError(f"Unknown period type {type!r} / 未知的期间类型“{type}”")
        months = 12 // PER_YEAR[type]
        return cls(date.year, type, (date.month - 1) // months + 1)

    # -- arithmetic ----------------------------------------------------------------------------

    def shift(self, n: int) -> Period:
        """The period ``n`` periods later (earlier when ``n`` is negative), of the same type."""
        year, position = divmod(self.year * self.per_year + self.index - 1 + n, self.per_year)
        return Period(year, self.type, position + 1)

    def next(self) -> Period:
        return self.shift(1)

    def previous(self) -> Period:
        return self.shift(-1)

    def prior_year(self) -> Period:
        """The same period one year earlier (上年同期)."""
        return Period(self.year - 1, self.type, self.index)

    def first_of_year(self) -> Period:
        """The first period of this type in the same year (2024-03 → 2024-01)."""
        return Period(self.year, self.type, 1)

    @classmethod
    def range(cls, first: Period, last: Period) -> list[Period]:
        """Every period from ``first`` to ``last`` inclusive; empty when ``last`` is earlier."""
        if first.type != last.type:
            raise ValueError(
                f"A range needs two periods of one type, not {first} and {last} / "
                f"期间范围的起止应为同一类型，而 {first} 与 {last} 不同"
            )
        count = (last.year - first.year) * first.per_year + last.index - first.index + 1
        return [first.shift(offset) for offset in range(count)]

    # -- ordering ------------------------------------------------------------------------------

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return (self.start, self.end) < (other.start, other.end)


def last_closed(today: dt.date, type: PeriodType) -> Period:
    """The last period of ``type`` that ended before ``today`` (on 2026-08-28: 2026-07)."""
    return Period.containing(today, type).previous()
