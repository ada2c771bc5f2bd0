"""Parsing formula text into the syntax tree (lark, LALR), with readable errors in two languages."""

import math
from functools import cache
from pathlib import Path

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError

from .errors import FormulaError, join_en, join_zh
from .nodes import Binary, Boolean, Call, Name, Node, Number, String, Unary

GRAMMAR = Path(__file__).with_name("grammar.lark")

# Terminals in the order they are listed in "expected ..." messages, with their readable names.
_TERMINALS = {
    "NUMBER": ("a number", "数字"),
    "NAME": ("a name", "名称"),
    "STRING": ("a string", "字符串"),
    "TRUE": ("'true'", "'true'"),
    "FALSE": ("'false'", "'false'"),
    "LPAR": ("'('", "'('"),
    "MINUS": ("'-'", "'-'"),
    "NOT": ("'not'", "'not'"),
    "PLUS": ("'+'", "'+'"),
    "STAR": ("'*'", "'*'"),
    "SLASH": ("'/'", "'/'"),
    "COMPARE": ("a comparison ('=', '<', ...)", "比较运算符（'='、'<' 等）"),
    "AND": ("'and'", "'and'"),
    "OR": ("'or'", "'or'"),
    "COMMA": ("','", "','"),
    "RPAR": ("')'", "')'"),
    "$END": ("the end of the formula", "公式结尾"),
}
_COMPARE_OPS = {"==": "=", "<>": "!="}
_MAX_TEXT_LENGTH = 20_000
# Levels of the parse tree: an operator takes one, a function call two.
MAX_DEPTH = 200


@cache
def _parser() -> Lark:
    return Lark(
        GRAMMAR.read_text(encoding="utf-8"),
        parser="lalr",
        lexer="basic",
        propagate_positions=True,
        maybe_placeholders=True,
    )


def _position(item) -> dict[str, int]:
    return {"line": item.line, "column": item.column}


def _unescape(body: str) -> str:
    out = []
    chars = iter(body)
    for char in chars:
        out.append(next(chars, "") if char == "\\" else char)
    return "".join(out)


class _ToNodes(Transformer):
    def number(self, items):
        (token,) = items
        text = str(token)
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        if not math.isfinite(value):
            raise FormulaError(
                f"the number {text} is too large",
                f"数字 {text} 过大",
                code="number",
                **_position(token),
            )
        return Number(value, text, **_position(token))

    def string(self, items):
        (token,) = items
        return String(_unescape(str(token)[1:-1]), **_position(token))

    def true(self, items):
        return Boolean(True, **_position(items[0]))

    def false(self, items):
        return Boolean(False, **_position(items[0]))

    def name(self, items):
        return Name(str(items[0]), **_position(items[0]))

    def call(self, items):
        name, _open, arguments, _close = items
        return Call(str(name), tuple(arguments or ()), **_position(name))

    def arguments(self, items):
        return [item for item in items if not isinstance(item, Token)]

    @v_args(meta=True)
    def group(self, meta, items):
        return items[1]

    def unary(self, items):
        op, operand = items
        return Unary(str(op), operand, **_position(op))

    def binary(self, items):
        left, op, right = items
        symbol = _COMPARE_OPS.get(str(op), str(op))
        return Binary(
            symbol,
            left,
            right,
            line=left.line,
            column=left.column,
            op_line=op.line,
            op_column=op.column,
        )


def parse(text: str) -> Node:
    """The syntax tree of `text`; raises `FormulaError` with the position and what was expected."""
    if not isinstance(text, str):
        raise TypeError(f"a formula is text, not {type(text).__name__}")
    if len(text) > _MAX_TEXT_LENGTH:
        raise FormulaError(
            f"the formula is longer than {_MAX_TEXT_LENGTH} characters",
            f"公式超过 {_MAX_TEXT_LENGTH} 个字符",
            code="too_long",
        )
    try:
        tree = _parser().parse(text)
    except UnexpectedInput:
        raise _syntax_error(text) from None
    _check_depth(tree)
    try:
        return _ToNodes().transform(tree)
    except VisitError as error:
        raise error.orig_exc from None


def _check_depth(tree: Tree) -> None:
    """Refuses absurdly deep nesting before the recursive steps that follow could overflow."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise FormulaError(
                f"the formula is nested more than {MAX_DEPTH} levels deep",
                f"公式嵌套超过 {MAX_DEPTH} 层",
                code="too_deep",
                line=node.meta.line,
                column=node.meta.column,
            )
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))


def _syntax_error(text: str) -> FormulaError:
    """Re-runs the parse step by step to learn what the parser would have accepted."""
    if not text.strip():
        return FormulaError("the formula is empty", "公式为空", code="empty")
    interactive = _parser().parse_interactive(text)
    before = interactive.copy()
    try:
        for _token in interactive.iter_parse():
            before = interactive.copy()
        before = interactive.copy()
        interactive.feed_eof()
    except UnexpectedCharacters as error:
        char = text[error.pos_in_stream]
        if char in "\"'":
            return FormulaError(
                "the string has no closing quote",
                "字符串缺少结束引号",
                line=error.line,
                column=error.column,
                expected=[f"a closing quote ({char})"],
                expected_zh=[f"结束引号（{char}）"],
            )
        found = (f"unexpected character '{char}'", f"无法识别的字符 '{char}'")
        return _error_at(found, interactive.accepts(), error.line, error.column)
    except UnexpectedToken as error:
        if error.token.type == "$END":
            found = ("unexpected end of the formula", "公式意外结束")
            return _error_at(found, before.accepts(), *_end_position(text))
        found = (f"unexpected '{error.token}'", f"此处不应出现 '{error.token}'")
        return _error_at(found, before.accepts(), error.line, error.column)
    raise AssertionError("a formula that failed to parse parsed on the second attempt")


def _end_position(text: str) -> tuple[int, int]:
    lines = text.rstrip().split("\n")
    return len(lines), len(lines[-1]) + 1


def _error_at(found: tuple[str, str], accepted, line: int, column: int) -> FormulaError:
    known = [name for name in _TERMINALS if name in accepted]
    expected = [_TERMINALS[name][0] for name in known]
    expected_zh = [_TERMINALS[name][1] for name in known]
    message_en, message_zh = found
    if expected:
        message_en += f"; expected {join_en(expected)}"
        message_zh += f"，应为 {join_zh(expected_zh)}"
    return FormulaError(
        message_en,
        message_zh,
        line=line,
        column=column,
        code="syntax",
        expected=expected,
        expected_zh=expected_zh,
    )
