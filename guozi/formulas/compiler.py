"""Compiling a syntax tree against a resolver: names become refs, time and scope functions are
pushed down into the refs, shorthand functions are expanded, and kinds are checked.
"""

from dataclasses import dataclass, replace
from functools import reduce
from typing import TYPE_CHECKING

from .errors import (
    KIND_NAMES,
    KIND_NAMES_ZH,
    FormulaError,
    ResolverError,
    UnknownName,
    join_en,
    join_zh,
    quoted,
    unknown_name_messages,
)
from .nodes import (
    ARITHMETIC,
    LOGICAL,
    ORDERINGS,
    Binary,
    Boolean,
    Call,
    Name,
    Node,
    Number,
    Reference,
    String,
    Unary,
    walk,
)
from .parser import parse
from .refs import PERIOD_INDEX, PERIODS_PER_YEAR, Expansion, Ref, Resolver, close_names
from .status import KINDS

if TYPE_CHECKING:
    import polars as pl

# Functions evaluated at run time: name -> (fewest, most) arguments (None: no limit).
RUNTIME_FUNCTIONS = {
    "abs": (1, 1),
    "min": (2, None),
    "max": (2, None),
    "round": (1, 2),
    "if": (3, 3),
    "coalesce": (2, None),
    "is_missing": (1, 1),
}
# Functions the compiler rewrites away.
COMPILE_TIME_FUNCTIONS = {
    "opening": (1, 1),
    "prior_year": (1, 1),
    "prior_period": (1, 1),
    "lag": (2, 2),
    "monthly": (1, 1),
    "annualized": (1, 1),
    "consecutive": (2, 2),
    "sum_children": (1, 1),
    "standalone": (1, 1),
}
FUNCTIONS = {**RUNTIME_FUNCTIONS, **COMPILE_TIME_FUNCTIONS}

MAX_LAG = 1000
MAX_CONSECUTIVE = 60
MAX_ROUND_DIGITS = 15
MAX_EXPANDED_NODES = 5000


@dataclass(frozen=True)
class Compiled:
    """A formula ready to evaluate: its tree after push-down, its kind and the refs it reads."""

    node: Node
    kind: str
    refs: frozenset[Ref]
    text: str | None = None

    @property
    def keys(self) -> list[str]:
        """The column names an evaluation frame must have, sorted."""
        return sorted({ref.key for ref in self.refs})

    def evaluate(self, frame: "pl.DataFrame") -> "pl.DataFrame":
        from .engine import evaluate

        return evaluate(self, frame)


def compile_formula(source: str | Node, resolver: Resolver, *, kind: str | None = None) -> Compiled:
    """Compile formula text (or a parsed tree); `kind`, if given, is the kind the result must be."""
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    text = source if isinstance(source, str) else None
    tree = parse(source) if isinstance(source, str) else source
    try:
        node, result_kind = _Compiler(resolver).compile(tree, _Shift())
    except RecursionError:
        raise _error(
            tree, "the formula is nested too deeply", "公式嵌套层数过多", "too_deep"
        ) from None
    if kind is not None and result_kind != kind:
        raise FormulaError(
            f"the formula must give {KIND_NAMES[kind]}, but it gives {KIND_NAMES[result_kind]}",
            f"公式的结果应为{KIND_NAMES_ZH[kind]}，但实际为{KIND_NAMES_ZH[result_kind]}",
            line=tree.line,
            column=tree.column,
            code="result_kind",
        )
    refs = frozenset(n.ref for n in walk(node) if isinstance(n, Reference))
    return Compiled(node=node, kind=result_kind, refs=refs, text=text)


@dataclass(frozen=True)
class _Shift:
    """The time and scope functions enclosing the part of the formula being compiled."""

    column: str = "current"
    column_by: str | None = None
    offset: int = 0
    scope: str | None = None
    aggregate: str | None = None
    scope_by: str | None = None

    def later(self, periods: int) -> "_Shift":
        return replace(self, offset=self.offset + periods)


def _error(node: Node, message_en: str, message_zh: str, code: str, **extra) -> FormulaError:
    return FormulaError(
        message_en, message_zh, line=node.line, column=node.column, code=code, **extra
    )


def _operator_error(node: Binary, message_en: str, message_zh: str) -> FormulaError:
    return FormulaError(
        message_en, message_zh, line=node.op_line, column=node.op_column, code="type"
    )


def _count_text(fewest: int, most: int | None) -> tuple[str, str]:
    if most == fewest:
        noun = "argument" if fewest == 1 else "arguments"
        return f"takes {fewest} {noun}", f"需要 {fewest} 个参数"
    if most is None:
        return f"takes at least {fewest} arguments", f"至少需要 {fewest} 个参数"
    return f"takes {fewest} or {most} arguments", f"需要 {fewest} 到 {most} 个参数"


def _integer_argument(call: Call, index: int, lowest: int, highest: int) -> int:
    arg = call.args[index]
    sign = 1
    if isinstance(arg, Unary) and arg.op == "-" and isinstance(arg.operand, Number):
        sign, arg = -1, arg.operand
    is_whole = isinstance(arg, Number) and arg.value.is_integer() and not arg.text.endswith("%")
    if is_whole and lowest <= sign * arg.value <= highest:
        return int(sign * arg.value)
    raise _error(
        call.args[index],
        f"argument {index + 1} of {call.function}() must be a whole number "
        f"from {lowest} to {highest}",
        f"{call.function}() 的第 {index + 1} 个参数应为 {lowest} 到 {highest} 之间的整数",
        "argument",
    )


def _literal_value(node: Node):
    if isinstance(node, Number | String | Boolean):
        return node.value
    if isinstance(node, Unary) and node.op == "-" and isinstance(node.operand, Number):
        return -node.operand.value
    return node


class _Compiler:
    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.steps = 0
        self.expanding: list[str] = []

    def compile(self, node: Node, shift: _Shift) -> tuple[Node, str]:
        # Expansions (monthly, consecutive) copy their argument; nesting them multiplies.
        self.steps += 1
        if self.steps > MAX_EXPANDED_NODES:
            raise _error(
                node,
                f"the formula is too large once expanded (more than {MAX_EXPANDED_NODES} parts); "
                "nest monthly(), annualized() and consecutive() less",
                f"公式展开后过大（超过 {MAX_EXPANDED_NODES} 个部分）；"
                "请减少 monthly()、annualized()、consecutive() 的嵌套",
                "too_large",
            )
        match node:
            case Number():
                return node, "number"
            case String():
                return node, "text"
            case Boolean():
                return node, "bool"
            case Name(name=name):
                try:
                    ref = self.resolver.resolve_name(name)
                except UnknownName as unknown:
                    en, zh = unknown_name_messages(name, unknown.suggestions)
                    raise _error(
                        node, en, zh, "unknown_name", suggestions=unknown.suggestions
                    ) from None
                if isinstance(ref, Expansion):
                    return self._expand(node, ref, shift)
                return self._reference(node, ref, shift, f"'{name}'")
            case Reference(ref=ref):
                return self._reference(node, ref, shift, f"'{ref.key}'")
            case Unary():
                return self._unary(node, shift)
            case Binary():
                return self._binary(node, shift)
            case Call():
                return self._call(node, shift)
        raise TypeError(f"not a formula node: {node!r}")

    # -- references and push-down -------------------------------------------------------------

    def _expand(self, node: Name, expansion: Expansion, shift: _Shift) -> tuple[Node, str]:
        """A named formula compiled in place; an error inside it is reported at the name."""
        if expansion.name in self.expanding:
            cycle = " → ".join([*self.expanding, expansion.name])
            raise _error(
                node,
                f"'{expansion.name}' is defined in terms of itself ({cycle})",
                f"'{expansion.name}' 的定义引用了自身（{cycle}）",
                "cycle",
            )
        self.expanding.append(expansion.name)
        try:
            return self.compile(expansion.node, shift)
        except FormulaError as inner:
            if inner.code in ("cycle", "too_large"):
                raise
            raise _error(
                node,
                f"in '{expansion.name}': {inner.message_en}",
                f"在 '{expansion.name}' 中：{inner.message_zh}",
                inner.code,
                suggestions=inner.suggestions,
            ) from None
        finally:
            self.expanding.pop()

    def _reference(self, node: Node, ref: Ref, shift: _Shift, label: str) -> tuple[Node, str]:
        if ref.source == "context":
            # The period's own position follows only the period offset.
            shifted = replace(ref, offset=ref.offset + shift.offset)
            return Reference(shifted, line=node.line, column=node.column), shifted.kind
        if shift.column_by and ref.column != "current":
            raise _error(
                node,
                f"{shift.column_by}() cannot be applied to {label}, "
                f"which already reads the {ref.column} column",
                f"{shift.column_by}() 不能用于 {label}：它已经取自 {ref.column} 列",
                "push_down",
            )
        if shift.scope_by and (ref.scope or ref.aggregate):
            raise _error(
                node,
                f"{shift.scope_by}() cannot be applied to {label}, which already has its own scope",
                f"{shift.scope_by}() 不能用于 {label}：它已有自己的口径",
                "push_down",
            )
        shifted = replace(
            ref,
            column=shift.column if shift.column_by else ref.column,
            offset=ref.offset + shift.offset,
            scope=shift.scope or ref.scope,
            aggregate=shift.aggregate or ref.aggregate,
        )
        if shifted.aggregate and shifted.kind != "number":
            raise _error(
                node,
                f"sum_children() adds numbers, but {label} is {KIND_NAMES[shifted.kind]}",
                f"sum_children() 只能汇总数值，但 {label} 是{KIND_NAMES_ZH[shifted.kind]}",
                "push_down",
            )
        return Reference(shifted, line=node.line, column=node.column), shifted.kind

    def _column_shift(self, call: Call, shift: _Shift, column: str) -> _Shift:
        if shift.column_by == call.function:
            raise self._twice(call)
        if shift.column_by:
            raise _error(
                call,
                f"{call.function}() cannot be combined with {shift.column_by}(): a value is read "
                "from one column only (current, prior year or opening)",
                f"{call.function}() 不能与 {shift.column_by}() 组合使用："
                "一个值只能取自一个列（本期、上年同期或年初数）",
                "push_down",
            )
        return replace(shift, column=column, column_by=call.function)

    def _scope_shift(self, call: Call, shift: _Shift, **change) -> _Shift:
        if shift.scope_by == call.function:
            raise self._twice(call)
        if shift.scope_by:
            raise _error(
                call,
                f"{call.function}() cannot be combined with {shift.scope_by}(): "
                "sum_children() adds up the children's consolidated figures",
                f"{call.function}() 不能与 {shift.scope_by}() 组合使用："
                "sum_children() 汇总的是下级企业的合并数",
                "push_down",
            )
        return replace(shift, scope_by=call.function, **change)

    @staticmethod
    def _twice(call: Call) -> FormulaError:
        return _error(
            call,
            f"{call.function}() cannot be applied twice",
            f"{call.function}() 不能重复使用",
            "push_down",
        )

    # -- operators ------------------------------------------------------------------------------

    def _unary(self, node: Unary, shift: _Shift) -> tuple[Node, str]:
        operand, kind = self.compile(node.operand, shift)
        wanted = "bool" if node.op == "not" else "number"
        if kind != wanted:
            raise _error(
                node,
                f"'{node.op}' needs {KIND_NAMES[wanted]}, not {KIND_NAMES[kind]}",
                f"'{node.op}' 需要{KIND_NAMES_ZH[wanted]}，而不是{KIND_NAMES_ZH[kind]}",
                "type",
            )
        return replace(node, operand=operand), kind

    def _binary(self, node: Binary, shift: _Shift) -> tuple[Node, str]:
        left, left_kind = self.compile(node.left, shift)
        right, right_kind = self.compile(node.right, shift)
        op = node.op
        if op in ARITHMETIC or op in LOGICAL:
            wanted = "number" if op in ARITHMETIC else "bool"
            for side, side_zh, kind in (("left", "左", left_kind), ("right", "右", right_kind)):
                if kind != wanted:
                    raise _operator_error(
                        node,
                        f"'{op}' needs {KIND_NAMES[wanted]} on both sides, "
                        f"but the {side} side is {KIND_NAMES[kind]}",
                        f"'{op}' 两边都应为{KIND_NAMES_ZH[wanted]}，"
                        f"但{side_zh}边是{KIND_NAMES_ZH[kind]}",
                    )
            return replace(node, left=left, right=right), wanted
        if op in ORDERINGS and (left_kind != "number" or right_kind != "number"):
            raise _operator_error(
                node,
                f"'{op}' compares numbers only; it cannot compare "
                f"{KIND_NAMES[left_kind]} with {KIND_NAMES[right_kind]}",
                f"'{op}' 只能比较数值，不能比较{KIND_NAMES_ZH[left_kind]}与"
                f"{KIND_NAMES_ZH[right_kind]}",
            )
        if left_kind != right_kind:
            raise _operator_error(
                node,
                f"'{op}' cannot compare {KIND_NAMES[left_kind]} with {KIND_NAMES[right_kind]}",
                f"'{op}' 不能比较{KIND_NAMES_ZH[left_kind]}与{KIND_NAMES_ZH[right_kind]}",
            )
        return replace(node, left=left, right=right), "bool"

    # -- functions ------------------------------------------------------------------------------

    def _call(self, call: Call, shift: _Shift) -> tuple[Node, str]:
        if call.function not in FUNCTIONS:
            return self._resolver_call(call, shift)
        fewest, most = FUNCTIONS[call.function]
        given = len(call.args)
        if given < fewest or (most is not None and given > most):
            en, zh = _count_text(fewest, most)
            raise _error(
                call,
                f"{call.function}() {en} ({given} given)",
                f"{call.function}() {zh}（给出了 {given} 个）",
                "argument_count",
            )
        return getattr(self, f"_fn_{call.function}")(call, shift)

    def _resolver_call(self, call: Call, shift: _Shift) -> tuple[Node, str]:
        args = [_literal_value(arg) for arg in call.args]
        try:
            ref = self.resolver.resolve_function(call.function, args)
        except ResolverError as refused:
            raise _error(call, refused.message_en, refused.message_zh, "argument") from None
        if ref is None:
            suggestions = close_names(call.function, FUNCTIONS)
            en = f"unknown function '{call.function}'"
            zh = f"未知函数 '{call.function}'"
            if suggestions:
                en += f"; did you mean {join_en(quoted(suggestions))}?"
                zh += f"，是否指 {join_zh(quoted(suggestions))}？"
            raise _error(call, en, zh, "unknown_function", suggestions=suggestions)
        return self._reference(call, ref, shift, f"{call.function}()")

    def _args(self, call: Call, shift: _Shift, *wanted: str | None) -> list[tuple[Node, str]]:
        """Compiles the arguments; `wanted` gives the kind of each (the last one repeats)."""
        compiled = []
        for index, arg in enumerate(call.args):
            node, kind = self.compile(arg, shift)
            want = wanted[min(index, len(wanted) - 1)]
            if want is not None and kind != want:
                raise _error(
                    arg,
                    f"argument {index + 1} of {call.function}() must be {KIND_NAMES[want]}, "
                    f"not {KIND_NAMES[kind]}",
                    f"{call.function}() 的第 {index + 1} 个参数应为{KIND_NAMES_ZH[want]}，"
                    f"而不是{KIND_NAMES_ZH[kind]}",
                    "type",
                )
            compiled.append((node, kind))
        return compiled

    @staticmethod
    def _same_kind(call: Call, compiled: list[tuple[Node, str]], first: int) -> str:
        kinds = [kind for _node, kind in compiled[first:]]
        if len(set(kinds)) > 1:
            listed_en = join_en([KIND_NAMES[k] for k in kinds], "and")
            listed_zh = join_zh([KIND_NAMES_ZH[k] for k in kinds], "和")
            raise _error(
                call,
                f"the values of {call.function}() must all be of one kind, not {listed_en}",
                f"{call.function}() 的各个取值应为同一类型，而不是{listed_zh}",
                "type",
            )
        return kinds[0]

    @staticmethod
    def _rebuilt(call: Call, compiled: list[tuple[Node, str]]) -> Call:
        return replace(call, args=tuple(node for node, _kind in compiled))

    def _fn_abs(self, call: Call, shift: _Shift) -> tuple[Node, str]:
        return self._rebuilt(call, self._args(call, shift, "number")), "number"

    _fn_min = _fn_max = _fn_abs

    def _fn_round(self, call: Call, shift: _Shift) -> tuple[Node, str]:
        (value,) = self._args(replace(call, args=call.args[:1]), shift, "number")
        digits = 0
        if len(call.args) == 2:
            digits = _integer_argument(call, 1, -MAX_ROUND_DIGITS, MAX_ROUND_DIGITS)
        return replace(call, args=(value[0], Number(float(digits), str(digits)))), "number"

    def _fn_if(self, call: Call, shift: _Shift) -> tuple[Node, str]:
        compiled = self._args(call, shift, "bool", None)
        return self._rebuilt(call, compiled), self._same_kind(call, compiled, 1)

    def _fn_coalesce(self, call: Call, shift: _Shift) -> tuple[Node, str]:
        compiled = self._args(call, shift, None)
        return self._rebuilt(call, compiled), self._same_kind(call, compiled, 0)

    def _fn_is_missing(self, call: Call, shift: _Shift) -> tuple[Node, str]:
        return self._rebuilt(call, self._args(call, shift, None)), "bool"

    def _fn_opening(self, call: Call, shift: _Shift) -> tuple[Node, str]:
        return self.compile(call.args[0], self._column_shift(call, shift, "opening"))

    def _fn_prior_year(self, call: Call, shift: _Shift) -> tuple[Node, str]:
        return self.compile(call.args[0], self._column_shift(call, shift, "prior_year"))

    def _fn_prior_period(self, call: Call, shift: _Shift) -> tuple[Node, str]:
        return self.compile(call.args[0], shift.later(1))

    def _fn_lag(self, call: Call, shift: _Shift) -> tuple[Node, str]:
        periods = _integer_argument(call, 1, 1, MAX_LAG)
        return self.compile(call.args[0], shift.later(periods))

    def _fn_sum_children(self, call: Call, shift: _Shift) -> tuple[Node, str]:
        inner = self._scope_shift(call, shift, aggregate="children")
        return self._args(call, inner, "number")[0][0], "number"

    def _fn_standalone(self, call: Call, shift: _Shift) -> tuple[Node, str]:
        return self.compile(call.args[0], self._scope_shift(call, shift, scope="standalone"))

    def _context(self, call: Call, ref: Ref, shift: _Shift) -> Node:
        return self._reference(call, ref, shift, ref.code)[0]

    def _fn_monthly(self, call: Call, shift: _Shift) -> tuple[Node, str]:
        """The period's own flow from a year-to-date one: YTD minus the previous period's YTD."""
        ((current, _kind),) = self._args(call, shift, "number")
        ((previous, _kind),) = self._args(call, shift.later(1), "number")
        at = _made_at(call)
        first = Binary("=", self._context(call, PERIOD_INDEX, shift), Number(1.0, "1"), **at)
        difference = Binary("-", current, previous, **at)
        expanded = Call("if", (first, current, difference), line=call.line, column=call.column)
        return expanded, "number"

    def _fn_annualized(self, call: Call, shift: _Shift) -> tuple[Node, str]:
        ((value, _kind),) = self._args(call, shift, "number")
        at = _made_at(call)
        per_year = self._context(call, PERIODS_PER_YEAR, shift)
        index = self._context(call, PERIOD_INDEX, shift)
        return Binary("/", Binary("*", value, per_year, **at), index, **at), "number"

    def _fn_consecutive(self, call: Call, shift: _Shift) -> tuple[Node, str]:
        """True when the condition holds now and in each of the n - 1 periods before."""
        periods = _integer_argument(call, 1, 1, MAX_CONSECUTIVE)
        condition = replace(call, args=call.args[:1])
        each = [self._args(condition, shift.later(back), "bool")[0][0] for back in range(periods)]
        at = _made_at(call)
        return reduce(lambda a, b: Binary("and", a, b, **at), each), "bool"


def _made_at(call: Call) -> dict[str, int]:
    """Operators written by an expansion carry the position of the call they expand."""
    return {
        "line": call.line,
        "column": call.column,
        "op_line": call.line,
        "op_column": call.column,
    }
