"""Code tables: GB/T 2260 regions (with retired codes) and GB/T 4754-2017 industries.

Current regions come from the shipped list of April 2019 (guozi/data/gb2260_2019-04.tsv); the
history of every code (first and last year, retired codes) comes from python-stdnum's
``stdnum/cn/loc.dat``, which records the yearly editions of the code list. Industries come from
guozi/data/gbt4754_2017.csv. Names are kept as the sources give them; no English names exist.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from stdnum import numdb

NATIONAL = "100000"
"""Registration region of bodies registered at national level (国家级); not a GB/T 2260 code."""

_DATA = files("guozi") / "data"

# One span of a loc.dat entry: "[1983-2013]东陵区" or a bare name; years may be left open.
_SPAN = re.compile(r"(?:\[(\d*)-(\d*)\])?([^,\[]+)")


@dataclass(frozen=True)
class Region:
    code: str
    name_zh: str
    level: str  # 'national' | 'province' | 'prefecture' | 'county'
    parent_code: str | None
    current: bool
    valid_from_year: int | None  # first year listed; None: listed since the earliest edition
    valid_to_year: int | None  # last year listed; None: still listed


@dataclass(frozen=True)
class Industry:
    code: str  # 'C', 'C31', 'C311' or 'C3110'
    section: str  # 'C'
    division: str | None  # 'C31'; None for a section
    level: int  # 1 section, 2 division, 3 group, 4 class
    name_zh: str


def _level(code: str) -> str:
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "prefecture"
    return "county"


def _span_history(value: str) -> tuple[str, int | None, int | None]:
    """Latest name, first year and last year of a loc.dat value like "[-1983]市区,[1984-]X区"."""
    spans = _SPAN.findall(value)
    starts = [start for start, _, _ in spans]
    ends = [end for _, end, _ in spans]
    first = None if "" in starts else min(int(year) for year in starts)
    last = None if "" in ends else max(int(year) for year in ends)
    return spans[-1][2], first, last


def _history() -> dict[str, tuple[str, int | None, int | None]]:
    """Every code in python-stdnum's loc.dat: code -> (latest name, first year, last year)."""
    history = {}
    for _, province, _, props, children in numdb.get("cn/loc").prefixes:
        history[province + "0000"] = _span_history(props["province"])
        # The province's own "0000" child, when present, carries its years.
        for _, rest, _, child_props, _ in children:
            history[province + rest] = _span_history(child_props["county"])
    return history


def _list_2019() -> dict[str, str]:
    with (_DATA / "gb2260_2019-04.tsv").open(encoding="utf-8") as stream:
        return {row["Code"]: row["Name"] for row in csv.DictReader(stream, delimiter="\t")}


@cache
def regions() -> dict[str, Region]:
    """Every code of some revision of GB/T 2260, plus the national pseudo-region 100000.

    A code is current unless the history says it stopped being listed. Codes of the 2019 list
    keep the 2019 name.
    """
    listed = _list_2019()
    history = _history()
    codes = listed.keys() | history.keys()
    result = {NATIONAL: Region(NATIONAL, "国家级", "national", None, True, None, None)}
    for code in sorted(codes):
        name, first, last = history.get(code, (listed.get(code, ""), None, None))
        parent = None
        if _level(code) == "county" and code[:4] + "00" in codes:
            parent = code[:4] + "00"
        elif _level(code) != "province":
            parent = code[:2] + "0000"
        result[code] = Region(
            code=code,
            name_zh=listed.get(code, name),
            level=_level(code),
            parent_code=parent,
            current=last is None,
            valid_from_year=first,
            valid_to_year=last,
        )
    return result


def region(code: str) -> Region | None:
    return regions().get(code)


def province_of(code: str) -> str | None:
    """The province-level code of a known region code, e.g. 210102 -> 210000."""
    found = region(code)
    if found is None or found.level == "national":
        return None
    return code[:2] + "0000" if code[:2] + "0000" in regions() else None


def prefecture_of(code: str) -> str | None:
    """The prefecture-level code of a known prefecture or county code, e.g. 210102 -> 210100."""
    found = region(code)
    if found is None or found.level in ("national", "province"):
        return None
    return code[:4] + "00" if code[:4] + "00" in regions() else None


# The source file lists class 3741 飞机制造 as a second level-3 row with code 374.
_INDUSTRY_FIXES = {("3", "374", "飞机制造"): ("4", "3741")}


@cache
def industries() -> dict[str, Industry]:
    """GB/T 4754-2017 sections, divisions, groups and classes, by canonical code."""
    result: dict[str, Industry] = {}
    with (_DATA / "gbt4754_2017.csv").open(encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            level_text, digits = row["level"], row["code"]
            level_text, digits = _INDUSTRY_FIXES.get(
                (level_text, digits, row["name"]), (level_text, digits)
            )
            level, section = int(level_text), row["section"]
            if level == 1:
                result[section] = Industry(section, section, None, 1, row["name"])
                continue
            division = section + digits[:2]
            group = section + digits[:3]
            if level == 4 and group not in result:
                # A group with a single class shares the class's name.
                result[group] = Industry(group, section, division, 3, row["name"])
            code = section + digits
            result[code] = Industry(code, section, division, level, row["name"])
    return result


@cache
def _industry_by_digits() -> dict[str, str]:
    return {code[1:]: code for code in industries() if len(code) > 1}


def normalise_industry_code(value: str) -> str | None:
    """The canonical code ('C31') for 'C31', 'c31', '31', ' 31 ', '3110' or 'C3110', else None."""
    text = "".join(value.split()).upper()
    if not text.isascii() or not text:
        return None
    letter, digits = (text[0], text[1:]) if text[0].isalpha() else ("", text)
    if not digits:
        return letter if letter in industries() else None
    code = _industry_by_digits().get(digits)
    if code is None or (letter and code[0] != letter):
        return None
    return code
