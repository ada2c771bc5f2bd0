"""A plain Python interpreter for one row: the specification the vectorised engine must match.

Slow by design (one row at a time); use `Compiled.evaluate` for real data.
"""

import math
from collections.abc import Mapping

from .compiler import Compiled
from .engine import ROUND_EXACT_LIMIT
from .errors import EvaluationError
from .nodes import ARITHMETIC, Binary, Boolean, Call, Node, Number, Reference, String, Unary
from .refs import Ref
from .status import MISSING, OK, UNDEFINED

Result = tuple[object, int]


def evaluate_reference(formula: Compiled | Node, row: Mapping[str, object]) -> Result:
    """(value, status) of a compiled formula for one row of {ref key: value}; None is missing."""
    node = formula.node if isinstance(formula, Compiled) else formula
    return _evaluate(node, row)


def _evaluate(node: Node, row: Mapping[str, object]) -> Result:
    match node:
        case Number(value=value) | String(value=value) | Boolean(value=value):
            return value, OK
        case Reference(ref=ref):
            return _read(ref, row)
        case Unary(op="-", operand=operand):
            value, status = _evaluate(operand, row)
            return (-value, OK) if status == OK else (None, status)
        case Unary(op="not", operand=operand):
            value, status = _evaluate(operand, row)
            return (not value, OK) if status == OK else (None, status)
        case Binary(op="and" | "or" as op):
            return _logical(op, _evaluate(node.left, row), _evaluate(node.right, row))
        case Binary(op=op):
            left, right = _evaluate(node.left, row), _evaluate(node.right, row)
            status = max(left[1], right[1])
            if status != OK:
                return None, status
            if op in ARITHMETIC:
                return _arithmetic(op, left[0], right[0])
            return _compare(op, left[0], right[0]), OK
        case Call(function=function, args=args):
            return _CALLS[function](args, row)
    raise TypeError(f"cannot evaluate {node!r}; compile the formula first")


def _read(ref: Ref, row: Mapping[str, object]) -> Result:
    if ref.key not in row:
        raise EvaluationError(f"columns missing: {ref.key}", f"缺少列：{ref.key}")
    value = row[ref.key]
    if value is None:
        return None, MISSING
    if ref.kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise EvaluationError(
                f"{ref.key} must be a number, not {value!r}",
                f"{ref.key} 应为数值，而不是 {value!r}",
            )
        number = float(value)
        return (number, OK) if math.isfinite(number) else (None, UNDEFINED)
    expected = bool if ref.kind == "bool" else str
    if not isinstance(value, expected):
        raise EvaluationError(
            f"{ref.key} must be {ref.kind}, not {value!r}",
            f"{ref.key} 应为 {ref.kind}，而不是 {value!r}",
        )
    return value, OK


def _finite(value: float) -> Result:
    return (value, OK) if math.isfinite(value) else (None, UNDEFINED)


def _arithmetic(op: str, a: float, b: float) -> Result:
    if op == "+":
        return _finite(a + b)
    if op == "-":
        return _finite(a - b)
    if op == "*":
        return _finite(a * b)
    if b == 0:
        return None, UNDEFINED
    return _finite(a / b)


def _compare(op: str, a, b) -> bool:
    match op:
        case "=":
            return a == b
        case "!=":
            return a != b
        case "<":
            return a < b
        case "<=":
            return a <= b
        case ">":
            return a > b
        case ">=":
            return a >= b
    raise ValueError(op)


def _logical(op: str, left: Result, right: Result) -> Result:
    deciding = op == "or"  # the value that settles the result on its own: true for or
    if (left[1] == OK and left[0] is deciding) or (right[1] == OK and right[0] is deciding):
        return deciding, OK
    status = max(left[1], right[1])
    return (not deciding, OK) if status == OK else (None, status)


def _abs(args, row) -> Result:
    value, status = _evaluate(args[0], row)
    return (abs(value), OK) if status == OK else (None, status)


def _min_max(function):
    def evaluate(args, row) -> Result:
        results = [_evaluate(arg, row) for arg in args]
        status = max(s for _v, s in results)
        if status != OK:
            return None, status
        return function(v for v, _s in results), OK

    return evaluate


def round_half_away(value: float, digits: int) -> float:
    factor = 10.0 ** abs(digits)
    scaled = value * factor if digits >= 0 else value / factor
    if not abs(scaled) < ROUND_EXACT_LIMIT:
        return value
    whole = float(math.floor(scaled) if scaled >= 0 else math.ceil(scaled))
    fraction = scaled - whole
    rounded = whole + (1.0 if fraction >= 0.5 else -1.0 if fraction <= -0.5 else 0.0)
    return rounded / factor if digits >= 0 else rounded * factor


def _round(args, row) -> Result:
    value, status = _evaluate(args[0], row)
    if status != OK:
        return None, status
    return round_half_away(value, int(args[1].value)), OK


def _if(args, row) -> Result:
    condition, status = _evaluate(args[0], row)
    if status != OK:
        return None, status
    return _evaluate(args[1] if condition else args[2], row)


def _coalesce(args, row) -> Result:
    statuses = []
    for arg in args:
        value, status = _evaluate(arg, row)
        if status == OK:
            return value, OK
        statuses.append(status)
    return None, (UNDEFINED if all(s == UNDEFINED for s in statuses) else MISSING)


def _is_missing(args, row) -> Result:
    return _evaluate(args[0], row)[1] == MISSING, OK


_CALLS = {
    "abs": _abs,
    "min": _min_max(min),
    "max": _min_max(max),
    "round": _round,
    "if": _if,
    "coalesce": _coalesce,
    "is_missing": _is_missing,
}
