"""Errors of the formula language, each carrying its message in English and Simplified Chinese."""

from collections.abc import Sequence

KIND_NAMES = {"number": "a number", "bool": "a condition (true/false)", "text": "text"}
KIND_NAMES_ZH = {"number": "数值", "bool": "条件（真/假）", "text": "文本"}


def join_en(items: Sequence[str], conjunction: str = "or") -> str:
    """'a', 'a or b', 'a, b or c'."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def join_zh(items: Sequence[str], conjunction: str = "或") -> str:
    """'甲', '甲或乙', '甲、乙或丙'."""
    if len(items) <= 1:
        return "".join(items)
    return f"{'、'.join(items[:-1])}{conjunction}{items[-1]}"


def quoted(items: Sequence[str]) -> list[str]:
    return [f"'{item}'" for item in items]


class FormulaError(Exception):
    """A formula cannot be parsed or compiled. Positions are 1-based."""

    def __init__(
        self,
        message_en: str,
        message_zh: str,
        *,
        line: int = 1,
        column: int = 1,
        code: str = "syntax",
        expected: Sequence[str] = (),
        expected_zh: Sequence[str] = (),
        suggestions: Sequence[str] = (),
    ) -> None:
        self.message_en = message_en
        self.message_zh = message_zh
        self.line = line
        self.column = column
        self.code = code
        self.expected = list(expected)
        self.expected_zh = list(expected_zh)
        self.suggestions = list(suggestions)
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message_en}"

    def describe(self, language: str = "en") -> str:
        """The full message with its position, in Chinese for any `zh*` language code."""
        if language.lower().startswith("zh"):
            return f"第 {self.line} 行第 {self.column} 列：{self.message_zh}"
        return str(self)


class UnknownName(Exception):
    """Raised by a resolver for a name it does not know, with close names to suggest."""

    def __init__(self, name: str, suggestions: Sequence[str] = ()) -> None:
        self.name = name
        self.suggestions = list(suggestions)
        super().__init__(name)


class ResolverError(Exception):
    """Raised by a resolver that refuses a function call, e.g. a parameter that does not exist."""

    def __init__(self, message_en: str, message_zh: str) -> None:
        self.message_en = message_en
        self.message_zh = message_zh
        super().__init__(message_en)


class EvaluationError(ValueError):
    """The data handed to an evaluation does not fit the formulas (a column absent or mistyped)."""

    def __init__(self, message_en: str, message_zh: str) -> None:
        self.message_en = message_en
        self.message_zh = message_zh
        super().__init__(f"{message_en} / {message_zh}")


def unknown_name_messages(name: str, suggestions: Sequence[str]) -> tuple[str, str]:
    en = f"unknown name '{name}'"
    zh = f"未知名称 '{name}'"
    if suggestions:
        en += f"; did you mean {join_en(quoted(suggestions))}?"
        zh += f"，是否指 {join_zh(quoted(suggestions))}？"
    return en, zh
