"""Vectorised evaluation with polars: every formula over every row (enterprise) at once.

Each node of a formula becomes two columns, its value and its status (see `status`), computed in
stages by height so that every polars expression stays small and shared sub-formulas are
computed once. The invariant throughout: the value is null exactly when the status is not OK, and
an OK number is always finite.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

from .compiler import Compiled
from .errors import EvaluationError
from .nodes import ARITHMETIC, Binary, Boolean, Call, Node, Number, Reference, String, Unary
from .status import MISSING, OK, UNDEFINED

DTYPES = {"number": pl.Float64, "bool": pl.Boolean, "text": pl.String}
STATUS_DTYPE = pl.UInt8
# Beyond 2**52 every float is a whole number, so rounding leaves it as it is.
ROUND_EXACT_LIMIT = 2.0**52
STATUS_SUFFIX = "__status"

_OK = pl.lit(OK, STATUS_DTYPE)
_MISSING = pl.lit(MISSING, STATUS_DTYPE)
_UNDEFINED = pl.lit(UNDEFINED, STATUS_DTYPE)


def evaluate(compiled: Compiled, frame: pl.DataFrame) -> pl.DataFrame:
    """Columns "value" and "status" (UInt8: OK, MISSING, UNDEFINED), one row per frame row."""
    both = evaluate_many({"value": compiled}, frame)
    return both.rename({f"value{STATUS_SUFFIX}": "status"})


def evaluate_many(
    formulas: Mapping[str, Compiled], frame: pl.DataFrame, *, keep: Sequence[str] = ()
) -> pl.DataFrame:
    """Columns "<name>" and "<name>__status" for every formula, computed in one polars plan.

    `keep` names frame columns (e.g. the enterprise id) to carry in front of the results.
    """
    return plan_many(formulas, frame.lazy(), frame.schema, keep=keep).collect()


def plan_many(
    formulas: Mapping[str, Compiled],
    frame: pl.LazyFrame,
    schema: Mapping | None = None,
    *,
    keep: Sequence[str] = (),
) -> pl.LazyFrame:
    """The lazy plan behind `evaluate_many`, for callers who add their own steps to it."""
    schema = schema if schema is not None else frame.collect_schema()
    check_frame(formulas.values(), schema)
    outputs = [(name, f"{name}{STATUS_SUFFIX}") for name in formulas]
    names = [*keep, *(column for pair in outputs for column in pair)]
    if len(set(names)) != len(names):
        raise ValueError(f"output columns clash: {names}")
    builder = _PlanBuilder()
    roots = [builder.add(compiled.node) for compiled in formulas.values()]
    for root in roots:
        builder.keep_to_the_end(root)
    for stage in builder.stages():
        frame = frame.with_columns(stage.exprs)
        if stage.dead:
            frame = frame.drop(stage.dead)
    final = []
    for (value_name, status_name), root, compiled in zip(
        outputs, roots, formulas.values(), strict=True
    ):
        final.append(root.value.cast(DTYPES[compiled.kind]).alias(value_name))
        final.append(root.status.cast(STATUS_DTYPE).alias(status_name))
    return frame.with_columns(final).select(names)


def check_frame(formulas, schema: Mapping) -> None:
    """Every ref has a column, of a type that fits its kind."""
    absent, mistyped = set(), set()
    for compiled in formulas:
        for ref in compiled.refs:
            dtype = schema.get(ref.key)
            if dtype is None:
                absent.add(ref.key)
            elif not _fits(dtype, ref.kind):
                mistyped.add(f"{ref.key} ({dtype}, {ref.kind})")
    if absent:
        listed = ", ".join(sorted(absent))
        raise EvaluationError(f"columns missing: {listed}", f"缺少列：{listed}")
    if mistyped:
        listed = ", ".join(sorted(mistyped))
        raise EvaluationError(f"columns of the wrong type: {listed}", f"列的类型不符：{listed}")


def _fits(dtype, kind: str) -> bool:
    if dtype == pl.Null:
        return True
    if kind == "number":
        return dtype.is_numeric()
    if kind == "bool":
        return dtype == pl.Boolean
    return dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum)


@dataclass
class _Operand:
    """A node's value and status, as expressions a parent can use."""

    value: pl.Expr
    status: pl.Expr
    height: int = 0
    columns: tuple[str, ...] = ()
    signature: tuple = ()


@dataclass
class _Stage:
    exprs: list[pl.Expr] = field(default_factory=list)
    dead: list[str] = field(default_factory=list)


class _PlanBuilder:
    def __init__(self) -> None:
        self.known: dict[tuple, _Operand] = {}
        # Expansions share subtrees; visiting each shared object once keeps planning linear.
        self.seen: dict[int, tuple[Node, _Operand]] = {}
        self.exprs_by_height: dict[int, list[pl.Expr]] = {}
        self.last_use: dict[str, float] = {}

    def add(self, node: Node) -> _Operand:
        if id(node) in self.seen:
            return self.seen[id(node)][1]
        operand = self._add(node)
        self.seen[id(node)] = (node, operand)
        return operand

    def _add(self, node: Node) -> _Operand:
        literal = _literal(node)
        if literal is not None:
            return literal
        children = [self.add(child) for child in node.children()]
        signature = (_own_signature(node), tuple(child.signature for child in children))
        if signature in self.known:
            return self.known[signature]
        height = 1 + max((child.height for child in children), default=0)
        for child in children:
            for column in child.columns:
                self.last_use[column] = max(self.last_use.get(column, 0), height)
        value, status = _node_exprs(node, children)
        number = len(self.known)
        value_name, status_name = f"__formula_{number}_value", f"__formula_{number}_status"
        self.exprs_by_height.setdefault(height, []).extend(
            [value.alias(value_name), status.alias(status_name)]
        )
        columns = (value_name, status_name)
        operand = _Operand(pl.col(value_name), pl.col(status_name), height, columns, columns)
        self.known[signature] = operand
        return operand

    def keep_to_the_end(self, operand: _Operand) -> None:
        for column in operand.columns:
            self.last_use[column] = float("inf")

    def stages(self) -> list[_Stage]:
        heights = sorted(self.exprs_by_height)
        stages = {height: _Stage(exprs=self.exprs_by_height[height]) for height in heights}
        for column, last in self.last_use.items():
            if last != float("inf"):
                stages[int(last)].dead.append(column)
        return [stages[height] for height in heights]


def _own_signature(node: Node) -> tuple:
    """What identifies a node apart from its children (positions excluded)."""
    match node:
        case Reference(ref=ref):
            return ("ref", ref)
        case Unary(op=op) | Binary(op=op):
            return (type(node).__name__, op)
        case Call(function=function):
            return ("call", function)
    raise TypeError(f"cannot evaluate {node!r}")


def _literal(node: Node) -> _Operand | None:
    match node:
        case Number(value=value):
            return _Operand(pl.lit(value, pl.Float64), _OK, signature=("number", value))
        case String(value=value):
            return _Operand(pl.lit(value, pl.String), _OK, signature=("text", value))
        case Boolean(value=value):
            return _Operand(pl.lit(value, pl.Boolean), _OK, signature=("bool", value))
    return None


def _worst(operands: list[_Operand]) -> pl.Expr:
    if len(operands) == 1:
        return operands[0].status
    return pl.max_horizontal(*(operand.status for operand in operands))


def _node_exprs(node: Node, children: list[_Operand]) -> tuple[pl.Expr, pl.Expr]:
    match node:
        case Reference(ref=ref):
            return _reference(ref.key, ref.kind)
        case Unary(op="-"):
            return -children[0].value, children[0].status
        case Unary(op="not"):
            return ~children[0].value, children[0].status
        case Binary(op=op) if op in ARITHMETIC:
            return _arithmetic(op, *children)
        case Binary(op="and" | "or" as op):
            left, right = children
            value = left.value & right.value if op == "and" else left.value | right.value
            # Kleene logic on nulls: a decided result is non-null even with one side unknown.
            status = pl.when(value.is_not_null()).then(_OK).otherwise(_worst(children))
            return value, status
        case Binary(op=op):
            return _comparison(op, *children), _worst(children)
        case Call(function=function):
            return _CALLS[function](node, children)
    raise TypeError(f"cannot evaluate {node!r}")


def _reference(key: str, kind: str) -> tuple[pl.Expr, pl.Expr]:
    column = pl.col(key).cast(DTYPES[kind])
    if kind != "number":
        return column, pl.when(column.is_null()).then(_MISSING).otherwise(_OK)
    finite = column.is_finite()
    value = pl.when(finite).then(column)
    status = pl.when(column.is_null()).then(_MISSING).when(finite).then(_OK).otherwise(_UNDEFINED)
    return value, status


def _arithmetic(op: str, left: _Operand, right: _Operand) -> tuple[pl.Expr, pl.Expr]:
    a, b = left.value, right.value
    raw = {"+": a + b, "-": a - b, "*": a * b, "/": a / b}[op]
    finite = raw.is_finite()
    worst = _worst([left, right])
    # Both inputs OK but the result not finite: a division by zero or an overflow.
    status = pl.when(finite).then(_OK).when(worst == OK).then(_UNDEFINED).otherwise(worst)
    return pl.when(finite).then(raw), status


def _comparison(op: str, left: _Operand, right: _Operand) -> pl.Expr:
    a, b = left.value, right.value
    return {"=": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _abs(node: Call, children: list[_Operand]):
    return children[0].value.abs(), children[0].status


def _min_max(node: Call, children: list[_Operand]):
    worst = _worst(children)
    combine = pl.min_horizontal if node.function == "min" else pl.max_horizontal
    values = combine(*(child.value for child in children))
    return pl.when(worst == OK).then(values), worst


def _round(node: Call, children: list[_Operand]):
    value = children[0].value
    digits = int(node.args[1].value)
    factor = 10.0 ** abs(digits)
    scaled = value * factor if digits >= 0 else value / factor
    whole = pl.when(scaled >= 0).then(scaled.floor()).otherwise(scaled.ceil())
    fraction = scaled - whole
    step = pl.when(fraction >= 0.5).then(1.0).when(fraction <= -0.5).then(-1.0).otherwise(0.0)
    rounded = whole + step
    unscaled = rounded / factor if digits >= 0 else rounded * factor
    return pl.when(scaled.abs() < ROUND_EXACT_LIMIT).then(unscaled).otherwise(value), children[
        0
    ].status


def _if(node: Call, children: list[_Operand]):
    condition, when_true, when_false = children
    value = (
        pl.when(condition.value)
        .then(when_true.value)
        .when(condition.value.not_())
        .then(when_false.value)
    )
    status = (
        pl.when(condition.status != OK)
        .then(condition.status)
        .when(condition.value)
        .then(when_true.status)
        .otherwise(when_false.status)
    )
    return value, status


def _coalesce(node: Call, children: list[_Operand]):
    value = pl.coalesce(*(child.value for child in children))
    all_undefined = pl.min_horizontal(*(child.status for child in children)) == UNDEFINED
    status = (
        pl.when(value.is_not_null())
        .then(_OK)
        .when(all_undefined)
        .then(_UNDEFINED)
        .otherwise(_MISSING)
    )
    return value, status


def _is_missing(node: Call, children: list[_Operand]):
    return children[0].status == MISSING, _OK


_CALLS = {
    "abs": _abs,
    "min": _min_max,
    "max": _min_max,
    "round": _round,
    "if": _if,
    "coalesce": _coalesce,
    "is_missing": _is_missing,
}
