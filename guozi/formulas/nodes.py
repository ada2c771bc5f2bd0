"""The syntax tree of a formula. Positions are 1-based and take no part in equality."""

import json
from dataclasses import dataclass, field

from .refs import Ref

ARITHMETIC = ("+", "-", "*", "/")
COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
ORDERINGS = ("<", "<=", ">", ">=")
LOGICAL = ("and", "or")


@dataclass(frozen=True)
class Node:
    line: int = field(default=1, compare=False, kw_only=True, repr=False)
    column: int = field(default=1, compare=False, kw_only=True, repr=False)

    def children(self) -> tuple["Node", ...]:
        return ()


@dataclass(frozen=True)
class Number(Node):
    value: float
    text: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True)
class String(Node):
    value: str


@dataclass(frozen=True)
class Boolean(Node):
    value: bool


@dataclass(frozen=True)
class Name(Node):
    name: str


@dataclass(frozen=True)
class Reference(Node):
    """A name after compilation: the input series it reads."""

    ref: Ref


@dataclass(frozen=True)
class Unary(Node):
    op: str  # "-" or "not"
    operand: Node

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True)
class Binary(Node):
    """Arithmetic, comparison ("=" also stands for "==", "!=" for "<>") or "and" / "or"."""

    op: str
    left: Node
    right: Node
    op_line: int = field(default=1, compare=False, kw_only=True, repr=False)
    op_column: int = field(default=1, compare=False, kw_only=True, repr=False)

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True)
class Call(Node):
    function: str
    args: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.args


def walk(node: Node):
    """Every node of the tree, parents before children; a subtree shared by several parents (as
    expansions make them) is visited once.
    """
    seen = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        stack.extend(reversed(current.children()))


# Binding strength for printing; higher binds tighter.
_PRECEDENCE = {
    "or": 1,
    "and": 2,
    "not": 3,
    **dict.fromkeys(COMPARISONS, 4),
    "+": 5,
    "-": 5,
    "*": 6,
    "/": 6,
    "neg": 7,
}
_ATOM = 8


def to_text(node: Node) -> str:
    """The formula as text with only the parentheses it needs; parsing it gives the same tree.

    A compiled reference prints as its key in braces, which is for reading, not for parsing.
    """
    return _text(node)[0]


def _format_number(value: float) -> str:
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


def _text(node: Node) -> tuple[str, int]:
    match node:
        case Number(value=value):
            return _format_number(value), _ATOM
        case String(value=value):
            return json.dumps(value, ensure_ascii=False), _ATOM
        case Boolean(value=value):
            return ("true" if value else "false"), _ATOM
        case Name(name=name):
            return name, _ATOM
        case Reference(ref=ref):
            return "{" + ref.key + "}", _ATOM
        case Call(function=function, args=args):
            return f"{function}({', '.join(to_text(arg) for arg in args)})", _ATOM
        case Unary(op="not", operand=operand):
            return f"not {_wrap(operand, _PRECEDENCE['not'])}", _PRECEDENCE["not"]
        case Unary(op="-", operand=operand):
            return f"-{_wrap(operand, _PRECEDENCE['neg'])}", _PRECEDENCE["neg"]
        case Binary(op=op, left=left, right=right):
            strength = _PRECEDENCE[op]
            # Left-associative; comparisons do not chain, so both sides need a tighter binding.
            left_needs = strength + 1 if op in COMPARISONS else strength
            return f"{_wrap(left, left_needs)} {op} {_wrap(right, strength + 1)}", strength
    raise TypeError(f"not a formula node: {node!r}")


def _wrap(node: Node, needed: int) -> str:
    text, strength = _text(node)
    return text if strength >= needed else f"({text})"
