"""Cell values: what a reporter types or a workbook holds → the stored integer, and back.

Stored integers are exact: money in fen, other numbers with the field's fixed decimals. Numbers
arrive as written by people and spreadsheets: thousands separators, full-width digits, a unit
suffix, accounting-style negatives in parentheses.
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from .definitions import FieldDef

FULL_WIDTH = str.maketrans("０１２３４５６７８９．，－（）％", "0123456789.,-()%")
PLAIN_NUMBER = re.compile(r"-?\d{1,15}(\.\d{1,6})?")
UNIT_SUFFIX = re.compile(r"\s*(元|万元|亿元|人|%)\s*$")
BOOLEAN_TEXT = {
    "是": True,
    "否": False,
    "true": True,
    "false": False,
    "yes": True,
    "no": False,
    "1": True,
    "0": False,
    "y": True,
    "n": False,
}


@dataclass(frozen=True)
class CellError(Exception):
    message: str

    def __str__(self) -> str:
        return self.message


def parse_number(raw) -> Decimal | None:
    """A number from a cell or a form input; None for an empty cell."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise CellError(_("“%(value)s” is not a number") % {"value": raw})
    if isinstance(raw, int | Decimal):
        return Decimal(raw)
    if isinstance(raw, float):
        return Decimal(repr(raw))
    text = str(raw).strip().translate(FULL_WIDTH).replace(" ", "").replace("\u00a0", "")
    if not text:
        return None
    text = UNIT_SUFFIX.sub("", text)
    negative = text.startswith("(") and text.endswith(")")
    if negative:
        text = text[1:-1]
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?", text):
        text = text.replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CellError(_("“%(value)s” is not a number") % {"value": raw}) from None
    if not number.is_finite():
        raise CellError(_("“%(value)s” is not a number") % {"value": raw})
    return -number if negative else number


def to_stored(field: FieldDef, raw) -> int | str | None:
    """The stored form of an entered value, checked against the field; raises CellError."""
    if field.numeric:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            fast = _stored_from_float(field, raw)
            if fast is not None:
                return fast
        elif isinstance(raw, str) and PLAIN_NUMBER.fullmatch(raw):
            fast = _stored_from_float(field, float(raw))
            if fast is not None:
                return fast
        number = parse_number(raw)
        if number is None:
            return None
        if field.min is not None and number < field.min:
            raise CellError(
                _("%(value)s is below the smallest allowed value %(min)s")
                % {"value": _plain(number), "min": _plain(field.min)}
            )
        if field.max is not None and number > field.max:
            raise CellError(
                _("%(value)s is above the largest allowed value %(max)s")
                % {"value": _plain(number), "max": _plain(field.max)}
            )
        scaled = number * field.unit_factor * field.scale
        return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    text = "" if raw is None else str(raw).strip()
    if not text:
        return None
    if field.kind == "boolean":
        flag = BOOLEAN_TEXT.get(text.lower())
        if flag is None:
            raise CellError(_("“%(value)s” is not yes or no (是/否)") % {"value": text})
        return 1 if flag else 0
    if field.kind == "date":
        try:
            return date.fromisoformat(text[:10]).isoformat()
        except ValueError:
            raise CellError(_("“%(value)s” is not a date (YYYY-MM-DD)") % {"value": text}) from None
    if field.kind == "choice" and text not in field.choices:
        raise CellError(
            _("“%(value)s” is not one of %(choices)s")
            % {"value": text, "choices": "、".join(field.choices)}
        )
    return text


def _stored_from_float(field: FieldDef, raw: float) -> int | None:
    """The stored integer of a spreadsheet number, without Decimal arithmetic, when that is
    exact: the scaled value lies within a millionth of a whole number (a value with more decimals
    than the field stores, or out of bounds, takes the exact path and its messages)."""
    if raw != raw or raw in (float("inf"), float("-inf")):
        return None
    if (field.min is not None and raw < field.min) or (field.max is not None and raw > field.max):
        return None
    scaled = raw * field.unit_factor * field.scale
    whole = round(scaled)
    if abs(scaled - whole) > 1e-6 or abs(whole) >= 2**53:
        return None
    return int(whole)


def from_stored(field: FieldDef, stored) -> Decimal | str | bool | None:
    """The value in the field's own unit (万元 for a 万元 field)."""
    if stored is None:
        return None
    if field.numeric:
        return Decimal(stored) / field.scale / field.unit_factor
    if field.kind == "boolean":
        return bool(stored)
    return stored


def formula_value(field: FieldDef, stored) -> float | str | bool | None:
    """The value formulas see: numbers in the field's unit, percentages as fractions."""
    value = from_stored(field, stored)
    if isinstance(value, Decimal):
        number = float(value)
        return number / 100 if field.unit == "%" else number
    return value


def display(field: FieldDef, stored) -> str:
    value = from_stored(field, stored)
    if value is None:
        return ""
    if isinstance(value, Decimal):
        places = min(field.decimals, 2) if field.money else field.decimals
        return f"{value:,.{places}f}"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)


def input_text(field: FieldDef, stored) -> str:
    """The value as an input box shows it: no thousands separators."""
    value = from_stored(field, stored)
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return _plain(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


# --- floating rows (浮动行) -------------------------------------------------------------------
# A row of a floating section is stored as "code#key.column"; "code.column" holds the total of
# the field's rows and is never entered directly.
ROW_MARK = "#"
MAX_KEY_LENGTH = 60


def split_cell(cell: str) -> tuple[str, str | None, str]:
    """ "code#key.column" → (code, key, column); "code.column" → (code, None, column)."""
    head, _dot, column = cell.rpartition(".")
    code, mark, key = head.partition(ROW_MARK)
    return code, (key if mark else None), column


def row_cell(code: str, key: str, column: str) -> str:
    return f"{code}{ROW_MARK}{key}.{column}"


def row_key_problem(key: str) -> str | None:
    if not key.strip():
        return _("A row needs its name.")
    if len(key) > MAX_KEY_LENGTH:
        return _("A row name is at most %(n)s characters.") % {"n": MAX_KEY_LENGTH}
    if ROW_MARK in key or "." in key:
        return _("A row name cannot contain “#” or “.”.")
    return None


def floating_keys(fields, cells: dict) -> list[str]:
    """The row names used by these floating fields, in the order they were first entered."""
    codes = {f.code for f in fields}
    keys: dict[str, None] = {}
    for cell in cells:
        code, key, _column = split_cell(cell)
        if key is not None and code in codes:
            keys.setdefault(key)
    return list(keys)


def floating_totals(definition, cells: dict) -> dict:
    """Each floating field's total per column: the sum of its rows, None when it has none."""
    totals: dict = {}
    floating = {f.code: f for f in definition.fields if f.floating}
    if not floating:
        return totals
    for field in floating.values():
        for column in field.columns:
            totals[f"{field.code}.{column}"] = None
    for cell, value in cells.items():
        code, key, column = split_cell(cell)
        if key is None or code not in floating or value is None:
            continue
        total_cell = f"{code}.{column}"
        totals[total_cell] = (totals.get(total_cell) or 0) + value
    return totals
