"""Unified social credit code (统一社会信用代码) checks to GB 32100-2015.

Layout: 1 registration authority, 2 entity category, 3-8 region (GB/T 2260), 9-16 organisation
code body and 17 its check character (GB 11714), 18 check character (GB/T 17710).
The 18th character is computed here with lookup tables, for speed (the demo data generator makes
many codes); the tests check it against python-stdnum's ``stdnum.cn.uscc.calc_check_digit``.
stdnum's ``validate()`` is not used: it rejects codes whose authority is a letter (A, N, Y) and
checks neither the region nor position 17.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from guozi.lib.codetables import regions

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ALLOWED = frozenset(ALPHABET)
_VALUES = {char: index for index, char in enumerate(ALPHABET)}
_WEIGHTS = tuple(3**index % 31 for index in range(17))  # 1, 3, 9, 27, 19, 26, ...

# Entity categories (position 2) allowed per registration authority (position 1), from the table
# of GB 32100-2015 as reproduced by public implementations. Those list only 1, 2 and 9 for 7
# (religion); 3 is accepted as well, since a valid code must not be rejected on a doubt.
CATEGORIES: dict[str, str] = {
    "1": "1239",
    "2": "19",
    "3": "123459",
    "4": "19",
    "5": "1239",
    "6": "129",
    "7": "1239",
    "8": "19",
    "9": "123",
    "A": "19",
    "N": "1239",
    "Y": "1",
}

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_VALUES = {char: int(char, 36) for char in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}  # A=10
_ORG_CHECKS = "0123456789X0"  # indexed by 11 - (sum mod 11), from 1 to 11
_SEPARATORS = re.compile(r"[\s\-]+")


@dataclass(frozen=True)
class UsccProblem:
    rule: str
    message_zh: str
    message_en: str


@dataclass(frozen=True)
class UsccResult:
    code: str
    errors: tuple[UsccProblem, ...]
    warnings: tuple[UsccProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


def normalise_uscc(value: str) -> str:
    """Strip, drop inner spaces and hyphens, uppercase."""
    return _SEPARATORS.sub("", value).upper()


def org_check_char(body: str) -> str:
    """GB 11714 check character of an 8-character organisation code body."""
    total = sum(_ORG_VALUES[char] * weight for char, weight in zip(body, _ORG_WEIGHTS, strict=True))
    return _ORG_CHECKS[11 - total % 11]


def uscc_check_char(first17: str) -> str:
    """GB/T 17710 check character (position 18) of the first 17 characters."""
    total = sum(_VALUES[char] * weight for char, weight in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[-total % 31]


def _problem(code: str, rule: str, zh: str, en: str) -> UsccProblem:
    return UsccProblem(rule, f"统一社会信用代码 {code} {zh}", f"USCC {code}: {en}")


def check_uscc(value: str) -> UsccResult:
    """Check a code against every rule; all errors found are reported, retired regions warn."""
    code = normalise_uscc(value)
    shown = code or '""'
    errors: list[UsccProblem] = []
    warnings: list[UsccProblem] = []

    if len(code) != 18:
        errors.append(
            _problem(
                shown,
                "length",
                f"长度应为 18 位，实为 {len(code)} 位",
                f"length should be 18 characters, found {len(code)}",
            )
        )
    for position, char in enumerate(code, start=1):
        if char not in _ALLOWED:
            errors.append(
                _problem(
                    shown,
                    "charset",
                    f"第{position}位字符“{char}”不允许（只用数字和除 I、O、Z、S、V 外的大写字母）",
                    f"character {char!r} at position {position} is not allowed "
                    "(digits and capital letters except I, O, Z, S, V only)",
                )
            )
    well_formed = not errors

    authority = code[:1]
    if authority and authority not in CATEGORIES:
        errors.append(
            _problem(
                shown,
                "authority",
                f"第1位登记管理部门码应为 1-9、A、N 或 Y，实为 {authority}",
                f"registration authority (position 1) should be 1-9, A, N or Y, found {authority}",
            )
        )
    elif len(code) >= 2 and code[1] not in CATEGORIES[authority]:
        allowed = CATEGORIES[authority]
        errors.append(
            _problem(
                shown,
                "category",
                f"第2位机构类别码 {code[1]} 不适用于登记管理部门码 {authority}"
                f"（可用：{'、'.join(allowed)}）",
                f"entity category (position 2) {code[1]} is not used with registration "
                f"authority {authority} (allowed: {', '.join(allowed)})",
            )
        )

    if len(code) >= 8:
        area = code[2:8]
        found = regions().get(area)
        if found is None:
            errors.append(
                _problem(
                    shown,
                    "region",
                    f"第3-8位登记管理机关行政区划码 {area} 不是 GB/T 2260 中的代码",
                    f"region (positions 3-8) {area} is not a GB/T 2260 administrative "
                    "division code",
                )
            )
        elif not found.current:
            warnings.append(
                _problem(
                    shown,
                    "region_retired",
                    f"第3-8位行政区划码 {area}（{found.name_zh}）已撤销，"
                    f"最后见于 {found.valid_to_year} 年",
                    f"region (positions 3-8) {area} ({found.name_zh}) is retired, "
                    f"last listed in {found.valid_to_year}",
                )
            )

    if well_formed:
        expected = org_check_char(code[8:16])
        if code[16] != expected:
            errors.append(
                _problem(
                    shown,
                    "org_code",
                    f"第17位组织机构代码校验码应为 {expected}，实为 {code[16]}",
                    f"organisation code check character (position 17) should be {expected}, "
                    f"found {code[16]}",
                )
            )
        expected = uscc_check_char(code[:17])
        if code[17] != expected:
            errors.append(
                _problem(
                    shown,
                    "check_char",
                    f"第18位校验码应为 {expected}，实为 {code[17]}",
                    f"check character (position 18) should be {expected}, found {code[17]}",
                )
            )

    return UsccResult(code, tuple(errors), tuple(warnings))


def is_valid_uscc(value: str) -> bool:
    return check_uscc(value).ok


def make_uscc(authority: str, category: str, region: str, org_body: str) -> str:
    """A valid code from its parts; org_body is the 8-character organisation code body.

    Raises ValueError for an unknown authority, a category not used with it, a region that
    never existed, or a body that is not 8 characters of the code's alphabet.
    """
    if len(category) != 1 or category not in CATEGORIES.get(authority, ""):
        raise ValueError(f"authority/category {authority!r}/{category!r} not allowed")
    if region not in regions():
        raise ValueError(f"region {region!r} is not a GB/T 2260 code")
    if len(org_body) != 8 or not _ALLOWED.issuperset(org_body):
        raise ValueError(f"organisation code body {org_body!r} is not 8 allowed characters")
    first17 = authority + category + region + org_body + org_check_char(org_body)
    return first17 + uscc_check_char(first17)
