"""Pure rules of the R&D register (no Django): amounts, years, and how key-project spend is set
beside the R&D expenditure an enterprise reported.

Problems come back as codes (`AmountError.code`, the strings of `year_problem`), which the
services turn into messages in the user's language.
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

FIRST_YEAR, LAST_YEAR = 2000, 2100
FEN_PER_YUAN = 100
MAX_YUAN = Decimal(10) ** 12  # 1 万亿元: above any single project's figures
FULL_WIDTH = str.maketrans("０１２３４５６７８９．，－", "0123456789.,-")
UNITS = (("亿元", 100_000_000), ("亿", 100_000_000), ("万元", 10_000), ("万", 10_000), ("元", 1))
GROUPED = re.compile(r"\d{1,3}(,\d{3})+(\.\d*)?")


class AmountError(ValueError):
    """`code`: not_a_number, negative, too_precise or too_large."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def parse_amount(text) -> Decimal | None:
    """An amount in 元 from what a person or a spreadsheet wrote: "1,250,000", "１２５万",
    "125万元", "0.5亿", 1250000.0. None for an empty cell; AmountError otherwise."""
    if text is None:
        return None
    if isinstance(text, bool):
        raise AmountError("not_a_number")
    if isinstance(text, Decimal | int):
        return checked_amount(Decimal(text))
    if isinstance(text, float):
        return checked_amount(Decimal(repr(text)))
    cleaned = str(text).translate(FULL_WIDTH).replace(" ", "").replace("\u00a0", "")
    if not cleaned:
        return None
    factor = 1
    for suffix, unit in UNITS:
        if cleaned.endswith(suffix):
            cleaned, factor = cleaned[: -len(suffix)], unit
            break
    if GROUPED.fullmatch(cleaned.lstrip("-")):
        cleaned = cleaned.replace(",", "")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise AmountError("not_a_number") from None
    if not number.is_finite():
        raise AmountError("not_a_number")
    return checked_amount(number * factor)


def checked_amount(amount: Decimal) -> Decimal:
    """The amount if it is a whole number of fen, not negative and not absurdly large."""
    if not amount.is_finite():
        raise AmountError("not_a_number")
    if amount < 0:
        raise AmountError("negative")
    if amount != amount.quantize(Decimal("0.01")):
        raise AmountError("too_precise")
    if amount > MAX_YUAN:
        raise AmountError("too_large")
    return amount


def to_fen(amount: Decimal | None) -> int | None:
    if amount is None:
        return None
    return int(checked_amount(amount) * FEN_PER_YUAN)


def yuan(fen: int | None) -> Decimal | None:
    if fen is None:
        return None
    return (Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01"))


def wan(fen: int | None) -> Decimal | None:
    """An amount in 万元, two decimals, as the tables show it."""
    if fen is None:
        return None
    return (Decimal(fen) / (FEN_PER_YUAN * 10_000)).quantize(Decimal("0.01"))


def parse_year(text) -> int | None:
    """A year from a cell or an input ("2025", 2025.0, "2025年"); None for an empty one,
    ValueError for anything else."""
    if text is None:
        return None
    value = str(text).strip().translate(FULL_WIDTH).removesuffix("年")
    if not value:
        return None
    if value.endswith(".0"):
        value = value[:-2]
    if not value.isdigit() or len(value) != 4:
        raise ValueError(value)
    return int(value)


LOOSE_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def parse_date(text) -> date | None:
    """A date as spreadsheets and people write it: 2026-12-31 (with a time after it or not),
    2026/12/31, 2026.12.31, 2026年12月31日. None for an empty cell; ValueError otherwise."""
    value = str(text or "").strip().translate(FULL_WIDTH)
    if not value:
        return None
    found = LOOSE_DATE.fullmatch(value.split(" ")[0])
    if found is None:
        raise ValueError(value)
    year, month, day = (int(part) for part in found.groups())
    return date(year, month, day)


def year_problem(year: int, *, start: int | None = None, end: int | None = None) -> str:
    """ "" when `year` may be used; else out_of_range (outside FIRST_YEAR–LAST_YEAR) or
    outside_project (outside the project's start and end years)."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return "out_of_range"
    if start is not None and end is not None and not start <= year <= end:
        return "outside_project"
    return ""


def span_problem(start: int, end: int) -> str:
    """ "" for a valid start and end year; else out_of_range or end_before_start."""
    if year_problem(start) or year_problem(end):
        return "out_of_range"
    if end < start:
        return "end_before_start"
    return ""


# --- spend beside the fast report ------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """Key-project spend of an enterprise in a year beside the R&D expenditure it reported.

    `status`: ok (a share is computed), missing (no approved report: shown as missing, never
    0), no_spend (no spend recorded on the projects), undefined (reported R&D is 0 while
    projects spent something, so no share exists).
    """

    spend_fen: int | None
    reported_fen: int | None
    status: str
    share: float | None  # spend / reported, 1.0 = 100 %

    @property
    def exceeds(self) -> bool:
        """The projects spent more than the enterprise reported for all of its R&D: an
        inconsistency to ask the enterprise about."""
        return (
            self.spend_fen is not None
            and self.reported_fen is not None
            and self.spend_fen > self.reported_fen
        )


def coverage(spend_fen: int | None, reported_fen: int | None) -> Coverage:
    if reported_fen is None:
        return Coverage(spend_fen, None, "missing", None)
    if spend_fen is None:
        return Coverage(None, reported_fen, "no_spend", None)
    if reported_fen == 0:
        status = "undefined" if spend_fen else "ok"
        return Coverage(spend_fen, 0, status, None if spend_fen else 0.0)
    return Coverage(spend_fen, reported_fen, "ok", spend_fen / reported_fen)


def total_coverage(pairs: list[tuple[int | None, int | None]]) -> Coverage:
    """The share over several enterprises: the summed spend over the summed reported R&D of
    the enterprises that have both (a ratio of sums, never a mean of ratios)."""
    reported = [r for _spend, r in pairs if r is not None]
    if not reported:
        return Coverage(None, None, "missing", None)
    both = [(s, r) for s, r in pairs if s is not None and r is not None]
    if not both:
        return Coverage(None, sum(reported), "no_spend", None)
    return coverage(sum(s for s, _r in both), sum(r for _s, r in both))
