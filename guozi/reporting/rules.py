"""Validation rules compiled from a form definition, and their plain-language messages.

A rule whose check is a comparison (`a = b + c`, `a <= b`) is evaluated side by side, so that the
tolerance applies to the difference and the message can show both sides with the real numbers:
"资产总额 1,250.30 ≠ 负债总额 800.00 + 所有者权益 420.00 = 1,220.00；差额 30.30 万元".
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from guozi.formulas import ChainResolver, ContextResolver, FieldResolver, compile_formula, parse
from guozi.formulas.errors import FormulaError
from guozi.formulas.nodes import (
    COMPARISONS,
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

from .definitions import FieldDef, RuleDef

FORMULA_KIND = {"boolean": "bool", "text": "text", "choice": "text", "date": "text"}


def resolver_for(fields: dict[str, FieldDef]):
    kinds = {code: FORMULA_KIND.get(f.kind, "number") for code, f in fields.items()}
    return ChainResolver([FieldResolver(kinds), ContextResolver()])


@dataclass(frozen=True)
class CompiledRule:
    rule: RuleDef
    whole: object  # Compiled
    left: object | None  # Compiled side of a top-level comparison between numbers
    right: object | None
    op: str | None

    @property
    def refs(self):
        return self.whole.refs


def _missing_as_zero(node: Node) -> Node:
    """Every name wrapped in coalesce(name, 0): for rules over optional lines."""
    match node:
        case Name():
            return Call(
                "coalesce", (node, Number(0.0, text="0")), line=node.line, column=node.column
            )
        case Binary(op=op, left=left, right=right):
            return Binary(
                op,
                _missing_as_zero(left),
                _missing_as_zero(right),
                line=node.line,
                column=node.column,
            )
        case Unary(op=op, operand=operand):
            return Unary(op, _missing_as_zero(operand), line=node.line, column=node.column)
        case Call(function=function, args=args):
            return Call(
                function,
                tuple(_missing_as_zero(a) for a in args),
                line=node.line,
                column=node.column,
            )
    return node


def compile_rule(rule: RuleDef, fields: dict[str, FieldDef]) -> CompiledRule:
    resolver = resolver_for(fields)
    node = parse(rule.check)
    if rule.missing == "zero":
        node = _missing_as_zero(node)
    whole = compile_formula(node, resolver)
    if whole.kind != "bool":
        raise FormulaError(
            "a rule's check must be a condition (true or false)",
            "审核公式必须是一个条件（真或假）",
            code="type",
        )
    left = right = op = None
    if isinstance(node, Binary) and node.op in COMPARISONS:
        left_c = compile_formula(node.left, resolver)
        right_c = compile_formula(node.right, resolver)
        if left_c.kind == right_c.kind == "number":
            left, right, op = left_c, right_c, node.op
    if rule.tolerance and op is None:
        raise FormulaError(
            "a tolerance needs a check that compares two numbers",
            "容差只适用于比较两个数值的审核公式",
            code="type",
        )
    return CompiledRule(rule, whole, left, right, op)


def rule_problems(rule: RuleDef, fields: dict[str, FieldDef]) -> list[str]:
    """Why a rule cannot be used, in the user's language; empty when it can."""
    from django.utils.translation import get_language

    if rule.kind == "history_outlier":
        field = fields.get(rule.field)
        if field is None:
            return [_("no such field “%(value)s”") % {"value": rule.field}]
        if field.kind != "flow":
            return [_("a history check needs a flow field")]
        return []
    try:
        compile_rule(rule, fields)
    except FormulaError as error:
        return [error.describe(get_language() or "zh")]
    return []


_COMPILED: dict[tuple[str, str], tuple[CompiledRule, ...]] = {}


def compiled_rules(definition) -> tuple[CompiledRule, ...]:
    """The definition's formula rules, compiled once per form version."""
    key = (definition.form, definition.version)
    if key not in _COMPILED:
        fields = definition.fields_by_code
        _COMPILED[key] = tuple(
            compile_rule(rule, fields) for rule in definition.rules if rule.kind == "formula"
        )
    return _COMPILED[key]


# --- messages -------------------------------------------------------------------------------

COLUMN_LABELS = {
    "prior_year": ("上年同期", "prior-year"),
    "opening": ("年初数", "opening"),
}
OP_FAILED = {  # the relation that holds when the rule fails
    "=": "≠",
    "!=": "=",
    "<": "≥",
    "<=": ">",
    ">": "≤",
    ">=": "<",
}


def ref_label(ref, fields: dict[str, FieldDef], language: str) -> str:
    zh = language == "zh"
    if ref.source == "context":
        return {
            "period_index": ("期次", "period number"),
            "periods_per_year": ("年内期数", "periods per year"),
        }.get(ref.code, (ref.code, ref.code))[0 if zh else 1]
    field = fields.get(ref.code)
    name = (field.name_zh if zh else field.name_en) if field else ref.code
    parts = []
    if ref.scope == "standalone":
        parts.append("本部" if zh else "standalone")
    if ref.aggregate == "children":
        parts.append("下级企业合计" if zh else "subsidiaries' total")
    if ref.offset:
        parts.append(f"前{ref.offset}期" if zh else f"{ref.offset} period(s) earlier")
    if ref.column in COLUMN_LABELS:
        parts.append(COLUMN_LABELS[ref.column][0 if zh else 1])
    if not parts:
        return name
    return f"{name}（{'，'.join(parts)}）" if zh else f"{name} ({', '.join(parts)})"


def fmt_number(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float | int):
        return f"{value:,.2f}"
    return str(value)


def render(node, row: dict, fields: dict[str, FieldDef], language: str) -> str:
    """The expression with each reference shown as its label and its value in this row."""
    match node:
        case Reference(ref=ref):
            return f"{ref_label(ref, fields, language)} {fmt_number(row.get(ref.key))}"
        case Number(value=value, text=text):
            return text or fmt_number(value)
        case String(value=value):
            return f"“{value}”"
        case Boolean(value=value):
            return "true" if value else "false"
        case Unary(op=op, operand=operand):
            return f"{'-' if op == '-' else op + ' '}{render(operand, row, fields, language)}"
        case Binary(op=op, left=left, right=right):
            inner = f"{render(left, row, fields, language)} {op} " + render(
                right, row, fields, language
            )
            return f"({inner})" if op in ("and", "or") else inner
        case Call(function=function, args=args):
            return f"{function}({', '.join(render(a, row, fields, language) for a in args)})"
    return str(node)


def side_text(node, value, row, fields, language) -> str:
    rendered = render(node, row, fields, language)
    if isinstance(node, Reference):
        return rendered
    return f"{rendered} = {fmt_number(value)}"


def cells_of(compiled: CompiledRule) -> list[str]:
    """The cells of the submission itself that the rule reads (for marking them on the form)."""
    cells = set()
    for node in walk(compiled.whole.node):
        if isinstance(node, Reference):
            ref = node.ref
            if ref.source == "field" and not ref.offset and not ref.scope and not ref.aggregate:
                cells.add(f"{ref.code}.{ref.column}")
    return sorted(cells)
