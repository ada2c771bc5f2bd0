import pytest

from guozi.formulas import Binary, Boolean, Call, FormulaError, Name, Number, String, Unary, parse
from guozi.formulas.nodes import to_text


def sexpr(node) -> str:
    """A fully parenthesised rendering, so that tests see exactly how the parser grouped."""
    match node:
        case Number(value=value):
            return repr(value)
        case String(value=value):
            return repr(value)
        case Boolean(value=value):
            return str(value).lower()
        case Name(name=name):
            return name
        case Unary(op=op, operand=operand):
            return f"({op} {sexpr(operand)})"
        case Binary(op=op, left=left, right=right):
            return f"({op} {sexpr(left)} {sexpr(right)})"
        case Call(function=function, args=args):
            return f"({function}{''.join(' ' + sexpr(arg) for arg in args)})"
    raise TypeError(node)


def error_of(text: str) -> FormulaError:
    with pytest.raises(FormulaError) as caught:
        parse(text)
    return caught.value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12", 12.0),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        ("2.5E-2", 0.025),
        (".5", 0.5),
        ("5%", 0.05),
        ("12.5%", 0.125),
        ("1e2%", 1.0),
    ],
)
def test_numbers(text, value):
    node = parse(text)
    assert isinstance(node, Number)
    assert node.value == pytest.approx(value, rel=1e-15)
    assert node.text == text


def test_a_number_too_large_for_a_float_is_an_error():
    error = error_of("1 + 1e400")
    assert (error.line, error.column) == (1, 5)
    assert "too large" in error.message_en
    assert "过大" in error.message_zh


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('"abc"', "abc"),
        ("'abc'", "abc"),
        ('"it\'s"', "it's"),
        ("'say \"hi\"'", 'say "hi"'),
        (r'"a\"b"', 'a"b'),
        (r"'a\\b'", "a\\b"),
        ('"国有资本"', "国有资本"),
        ('""', ""),
    ],
)
def test_strings_in_either_quote(text, value):
    assert parse(text) == String(value)


def test_booleans_names_and_dotted_names():
    assert parse("true") == Boolean(True)
    assert parse("false") == Boolean(False)
    assert parse("total_assets") == Name("total_assets")
    assert parse("ind.roe") == Name("ind.roe")
    assert parse("_x1.y_2.z") == Name("_x1.y_2.z")


@pytest.mark.parametrize("name", ["android", "order", "nothing", "true_value", "falsehood", "or_"])
def test_names_that_start_with_a_keyword_are_names(name):
    assert parse(name) == Name(name)


def test_keywords_are_lower_case():
    error = error_of("a AND b")
    assert error.message_en.startswith("unexpected 'AND'")


@pytest.mark.parametrize(
    ("text", "grouped"),
    [
        ("a or b and c", "(or a (and b c))"),
        ("a and b or c and d", "(or (and a b) (and c d))"),
        ("a or b or c", "(or (or a b) c)"),
        ("not a and b", "(and (not a) b)"),
        ("not a = b", "(not (= a b))"),
        ("not not a", "(not (not a))"),
        ("a = b + c", "(= a (+ b c))"),
        ("a + b * c", "(+ a (* b c))"),
        ("a * b + c", "(+ (* a b) c)"),
        ("a - b - c", "(- (- a b) c)"),
        ("a / b / c", "(/ (/ a b) c)"),
        ("a - b + c", "(+ (- a b) c)"),
        ("(a + b) * c", "(* (+ a b) c)"),
        ("-a * b", "(* (- a) b)"),
        ("- - a", "(- (- a))"),
        ("-f(x)", "(- (f x))"),
        ("a * -b", "(* a (- b))"),
        ("f()", "(f)"),
        ("f(a, b + 1, g(c))", "(f a (+ b 1.0) (g c))"),
        ("a >= b * 2 and c < 1", "(and (>= a (* b 2.0)) (< c 1.0))"),
        ("x = 'a' or not y", "(or (= x 'a') (not y))"),
    ],
)
def test_precedence_and_grouping(text, grouped):
    assert sexpr(parse(text)) == grouped


@pytest.mark.parametrize(
    ("text", "op"),
    [
        ("a = b", "="),
        ("a == b", "="),
        ("a != b", "!="),
        ("a <> b", "!="),
        ("a < b", "<"),
        ("a <= b", "<="),
        ("a > b", ">"),
        ("a >= b", ">="),
    ],
)
def test_comparison_operators_and_their_synonyms(text, op):
    node = parse(text)
    assert isinstance(node, Binary)
    assert node.op == op


def test_positions_of_nodes_on_several_lines():
    node = parse("a +\n  foo(b,\n      c * 2)")
    assert (node.line, node.column) == (1, 1)
    assert (node.op_line, node.op_column) == (1, 3)
    call = node.right
    assert (call.line, call.column) == (2, 3)
    product = call.args[1]
    assert (product.line, product.column) == (3, 7)
    assert (product.op_line, product.op_column) == (3, 9)


def test_error_position_in_a_multi_line_formula():
    error = error_of("total_assets\n  - total_liabilities\n  * )")
    assert (error.line, error.column) == (3, 5)
    assert str(error).startswith("line 3, column 5: unexpected ')'")
    assert "a number" in error.expected
    assert "a name" in error.expected
    assert "'('" in error.expected
    assert "')'" not in error.expected


def test_unexpected_end_points_after_the_last_character():
    error = error_of("a +\n  b *\n\n   ")
    assert (error.line, error.column) == (2, 6)
    assert error.message_en.startswith("unexpected end of the formula; expected a number")
    assert error.message_zh.startswith("公式意外结束，应为 数字")


def test_expected_after_an_open_call():
    error = error_of("max(a, b")
    assert "')'" in error.expected
    assert "','" in error.expected
    assert "a number" not in error.expected
    assert error.expected_zh[error.expected.index("')'")] == "')'"


def test_expected_after_a_complete_operand_lists_operators():
    error = error_of("a b")
    assert (error.line, error.column) == (1, 3)
    assert error.expected[-1] == "the end of the formula"
    assert "'+'" in error.expected
    assert "'and'" in error.expected
    assert "a comparison ('=', '<', ...)" in error.expected
    assert "a name" not in error.expected


def test_comparisons_do_not_chain():
    error = error_of("a < b < c")
    assert (error.line, error.column) == (1, 7)
    assert "a comparison ('=', '<', ...)" not in error.expected


def test_unexpected_character():
    error = error_of("a # b")
    assert (error.line, error.column) == (1, 3)
    assert error.message_en.startswith("unexpected character '#'")
    assert error.message_zh.startswith("无法识别的字符 '#'")


def test_operators_that_are_not_part_of_the_language():
    for text in ("a && b", "a || b", "!a", "a ^ 2", "a % 2"):
        error = error_of(text)
        assert error.code == "syntax"


def test_unclosed_string():
    error = error_of("name = 'abc")
    assert (error.line, error.column) == (1, 8)
    assert error.message_en == "the string has no closing quote"
    assert error.expected == ["a closing quote (')"]


def test_empty_formula():
    for text in ("", "   \n\t"):
        error = error_of(text)
        assert error.code == "empty"
        assert error.message_zh == "公式为空"


def test_missing_closing_parenthesis():
    error = error_of("(a + b")
    assert "')'" in error.expected


def test_error_text_in_both_languages():
    error = error_of("1 +")
    assert str(error) == f"line 1, column 4: {error.message_en}"
    assert error.describe("zh-hans") == f"第 1 行第 4 列：{error.message_zh}"
    assert error.describe("en") == str(error)


def test_not_text_is_refused():
    with pytest.raises(TypeError):
        parse(42)


def test_very_deep_nesting_is_an_error_not_a_crash():
    assert isinstance(parse("a" + " + a" * 199), Binary)
    for text in ("a" + " + a" * 200, "-" * 500 + "a", "f(" * 101 + "a" + ")" * 101):
        error = error_of(text)
        assert error.code == "too_deep"
        assert "200" in error.message_en


def test_a_formula_has_a_length_limit():
    error = error_of("a" + " + a" * 5000)
    assert error.code == "too_long"


@pytest.mark.parametrize(
    "text",
    [
        "a or b and not c",
        "(a or b) and c",
        "not (a and b)",
        "-(a + b) * c / (d - e)",
        "a - (b - c)",
        "a / (b / c)",
        "(a = b) = c",
        "(not a) = b",
        "f(a, -b, 'x\"y', 5%, 1e-07, true)",
        "- -a",
    ],
)
def test_to_text_round_trips(text):
    tree = parse(text)
    assert parse(to_text(tree)) == tree
