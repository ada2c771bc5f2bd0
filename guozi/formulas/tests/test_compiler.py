import pytest

from guozi.formulas import (
    Binary,
    ChainResolver,
    ContextResolver,
    FieldResolver,
    FormulaError,
    Number,
    Ref,
    Reference,
    ResolverError,
    compile_formula,
    parse,
)

FIELDS = {
    "total_assets": "number",
    "total_liabilities": "number",
    "owners_equity": "number",
    "revenue": "number",
    "industry": "text",
    "is_listed": "bool",
}
RESOLVER = FieldResolver(FIELDS)


def field(code, **changes):
    return Ref("field", code, kind=FIELDS[code], **changes)


def compiled(text, resolver=RESOLVER, **options):
    return compile_formula(text, resolver, **options)


def error_of(text, resolver=RESOLVER, **options) -> FormulaError:
    with pytest.raises(FormulaError) as caught:
        compile_formula(text, resolver, **options)
    return caught.value


class ParamResolver:
    """Knows param("name") for a few names; refuses anything else that calls param."""

    known = {"debt_line": "number", "region": "text"}

    def resolve_name(self, name):
        from guozi.formulas import UnknownName

        raise UnknownName(name)

    def resolve_function(self, name, args):
        if name != "param":
            return None
        if len(args) != 1 or args[0] not in self.known:
            raise ResolverError("param() takes the name of a parameter", "param() 需要参数名称")
        return Ref("param", args[0], kind=self.known[args[0]])


# -- references ---------------------------------------------------------------------------------


def test_ref_keys_are_stable_and_readable():
    assert Ref("field", "total_assets").key == "field:total_assets"
    assert Ref("field", "total_assets", column="prior_year", offset=1).key == (
        "field:total_assets@prior_year-1"
    )
    assert Ref("field", "x", scope="standalone").key == "field:x/standalone"
    assert Ref("field", "x", column="opening", aggregate="children").key == (
        "field:x@opening/children"
    )
    assert Ref("context", "period_index", offset=2).key == "context:period_index-2"


@pytest.mark.parametrize(
    "changes",
    [
        {"column": "last_year"},
        {"offset": -1},
        {"scope": "group"},
        {"aggregate": "sum"},
        {"kind": "date"},
    ],
)
def test_ref_refuses_values_outside_its_vocabulary(changes):
    with pytest.raises(ValueError):
        Ref("field", "x", **changes)


def test_field_resolver_refuses_unknown_kinds():
    with pytest.raises(ValueError):
        FieldResolver({"x": "money"})


def test_names_become_refs_and_the_kind_follows_the_field():
    result = compiled("total_assets - total_liabilities")
    assert result.kind == "number"
    assert result.refs == {field("total_assets"), field("total_liabilities")}
    assert result.keys == ["field:total_assets", "field:total_liabilities"]
    assert result.text == "total_assets - total_liabilities"
    assert compiled("industry").kind == "text"
    assert compiled("is_listed and total_assets > 0").kind == "bool"


def test_a_parsed_tree_compiles_like_its_text():
    text = "prior_year(total_assets) > 0"
    assert compiled(parse(text)).node == compiled(text).node
    assert compiled(parse(text)).text is None


def test_compiling_a_compiled_tree_again_changes_nothing():
    first = compiled("lag(prior_year(revenue), 2) / monthly(revenue)")
    assert compiled(first.node).node == first.node


def test_unknown_name_suggests_close_names():
    error = error_of("total_aset - 1")
    assert error.message_en == "unknown name 'total_aset'; did you mean 'total_assets'?"
    assert error.message_zh == "未知名称 'total_aset'，是否指 'total_assets'？"
    assert (error.line, error.column) == (1, 1)
    assert error.code == "unknown_name"
    assert error.suggestions == ["total_assets"]


def test_unknown_name_without_anything_close():
    error = error_of("1 +\n  zzz")
    assert error.message_en == "unknown name 'zzz'"
    assert (error.line, error.column) == (2, 3)


def test_chain_resolver_tries_each_and_merges_suggestions():
    chain = ChainResolver([RESOLVER, ContextResolver(), ParamResolver()])
    assert compiled("period_index", chain).refs == {Ref("context", "period_index")}
    assert compiled("revenue", chain).refs == {field("revenue")}
    error = error_of("period_indx + revenu", chain)
    assert error.suggestions == ["period_index"]
    error = error_of("revenu", chain)
    assert error.suggestions == ["revenue"]


def test_resolver_functions():
    chain = ChainResolver([RESOLVER, ParamResolver()])
    result = compiled('total_liabilities / total_assets > param("debt_line")', chain)
    assert Ref("param", "debt_line") in result.refs
    assert compiled("prior_year(param('debt_line'))", chain).refs == {
        Ref("param", "debt_line", column="prior_year")
    }
    assert compiled("param('region') = industry", chain).kind == "bool"


def test_resolver_can_refuse_a_call():
    chain = ChainResolver([RESOLVER, ParamResolver()])
    error = error_of("1 + param(revenue)", chain)
    assert (error.line, error.column) == (1, 5)
    assert error.message_en == "param() takes the name of a parameter"
    assert error.message_zh == "param() 需要参数名称"


def test_unknown_function_suggests_builtins():
    error = error_of("prior_yaer(revenue)")
    assert error.code == "unknown_function"
    assert error.message_en == (
        "unknown function 'prior_yaer'; did you mean 'prior_year' or 'prior_period'?"
    )
    assert error.message_zh == "未知函数 'prior_yaer'，是否指 'prior_year'或'prior_period'？"
    assert error_of("anualized(revenue)").suggestions == ["annualized"]
    assert error_of("foo(revenue)").message_en == "unknown function 'foo'"


# -- arguments and kinds ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message_en", "message_zh"),
    [
        (
            "abs(revenue, 1)",
            "abs() takes 1 argument (2 given)",
            "abs() 需要 1 个参数（给出了 2 个）",
        ),
        (
            "if(is_listed, 1)",
            "if() takes 3 arguments (2 given)",
            "if() 需要 3 个参数（给出了 2 个）",
        ),
        (
            "min(revenue)",
            "min() takes at least 2 arguments (1 given)",
            "min() 至少需要 2 个参数（给出了 1 个）",
        ),
        (
            "round(revenue, 1, 2)",
            "round() takes 1 or 2 arguments (3 given)",
            "round() 需要 1 到 2 个参数（给出了 3 个）",
        ),
        ("lag(revenue)", "lag() takes 2 arguments (1 given)", "lag() 需要 2 个参数（给出了 1 个）"),
        (
            "prior_year()",
            "prior_year() takes 1 argument (0 given)",
            "prior_year() 需要 1 个参数（给出了 0 个）",
        ),
        (
            "coalesce(revenue)",
            "coalesce() takes at least 2 arguments (1 given)",
            "coalesce() 至少需要 2 个参数（给出了 1 个）",
        ),
    ],
)
def test_argument_counts(text, message_en, message_zh):
    error = error_of(f"1 + {text}")
    assert (error.message_en, error.message_zh) == (message_en, message_zh)
    assert (error.line, error.column) == (1, 5)
    assert error.code == "argument_count"


@pytest.mark.parametrize(
    "text",
    [
        "lag(revenue, 0)",
        "lag(revenue, 1.5)",
        "lag(revenue, -1)",
        "lag(revenue, 10%)",
        "lag(revenue, revenue)",
        "consecutive(is_listed, 0)",
        "consecutive(is_listed, 61)",
        "round(revenue, 0.5)",
        "round(revenue, 16)",
        "round(revenue, total_assets)",
    ],
)
def test_whole_number_arguments(text):
    error = error_of(text)
    assert error.code == "argument"
    assert "whole number" in error.message_en
    assert "整数" in error.message_zh
    assert error.column > 1  # points at the argument itself


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ('revenue + "x"', 9, "'+' needs a number on both sides, but the right side is text"),
        (
            "revenue and is_listed",
            9,
            "'and' needs a condition (true/false) on both sides, but the left side is a number",
        ),
        ("is_listed or 1", 11, "the right side is a number"),
        ("industry < 5", 10, "'<' compares numbers only; it cannot compare text with a number"),
        ("industry >= 'C'", 10, "'>=' compares numbers only"),
        ("is_listed < true", 11, "'<' compares numbers only"),
        ("industry = 5", 10, "'=' cannot compare text with a number"),
        ("is_listed != 1", 11, "'!=' cannot compare a condition (true/false) with a number"),
        ("not revenue", 1, "'not' needs a condition (true/false), not a number"),
        ("-industry", 1, "'-' needs a number, not text"),
        ("abs(industry)", 5, "argument 1 of abs() must be a number, not text"),
        ("min(revenue, is_listed)", 14, "argument 2 of min() must be a number"),
        ("if(revenue, 1, 2)", 4, "argument 1 of if() must be a condition (true/false)"),
        ("if(is_listed, 1, 'x')", 1, "the values of if() must all be of one kind"),
        ("coalesce(industry, 0)", 1, "the values of coalesce() must all be of one kind"),
        ("monthly(industry)", 9, "argument 1 of monthly() must be a number"),
        ("consecutive(revenue, 2)", 13, "argument 1 of consecutive() must be a condition"),
    ],
)
def test_type_errors_at_compile_time(text, column, fragment):
    error = error_of(text)
    assert fragment in error.message_en
    assert error.column == column
    assert error.code == "type"
    assert error.message_zh and error.message_zh != error.message_en


def test_equality_on_text_and_on_conditions_is_allowed():
    assert compiled("industry = 'C31' or industry <> \"C32\"").kind == "bool"
    assert compiled("is_listed = (revenue > 0)").kind == "bool"


def test_the_result_kind_can_be_required():
    error = error_of("total_assets - total_liabilities", kind="bool")
    assert error.code == "result_kind"
    assert error.message_en == (
        "the formula must give a condition (true/false), but it gives a number"
    )
    assert compiled("total_assets > 0", kind="bool").kind == "bool"
    with pytest.raises(ValueError):
        compiled("total_assets > 0", kind="boolean")


# -- push-down ----------------------------------------------------------------------------------


def test_prior_year_is_pushed_into_each_reference():
    result = compiled("prior_year(total_assets + owners_equity * 2)")
    assert result.node == Binary(
        "+",
        Reference(field("total_assets", column="prior_year")),
        Binary("*", Reference(field("owners_equity", column="prior_year")), Number(2.0)),
    )


def test_time_and_scope_functions_combine_into_one_ref():
    cases = {
        "lag(prior_year(revenue), 2)": field("revenue", column="prior_year", offset=2),
        "prior_year(lag(revenue, 2))": field("revenue", column="prior_year", offset=2),
        "prior_period(prior_period(revenue))": field("revenue", offset=2),
        "lag(lag(revenue, 2), 3)": field("revenue", offset=5),
        "sum_children(prior_year(revenue))": field(
            "revenue", column="prior_year", aggregate="children"
        ),
        "prior_year(sum_children(revenue))": field(
            "revenue", column="prior_year", aggregate="children"
        ),
        "standalone(opening(total_assets))": field(
            "total_assets", column="opening", scope="standalone"
        ),
        "opening(industry)": field("industry", column="opening"),
    }
    for text, ref in cases.items():
        result = compiled(text)
        assert result.node == Reference(ref), text
        assert result.kind == ref.kind


def test_literals_are_not_shifted():
    result = compiled("prior_year(revenue + 1)")
    assert result.node == Binary("+", Reference(field("revenue", column="prior_year")), Number(1.0))
    assert compiled("prior_period(3)").node == Number(3.0)


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        (
            "standalone(sum_children(revenue))",
            12,
            "sum_children() cannot be combined with standalone()",
        ),
        (
            "sum_children(standalone(revenue))",
            14,
            "standalone() cannot be combined with sum_children()",
        ),
        ("opening(prior_year(total_assets))", 9, "prior_year() cannot be combined with opening()"),
        (
            "prior_year(1 + opening(total_assets))",
            16,
            "opening() cannot be combined with prior_year()",
        ),
        ("prior_year(prior_year(revenue))", 12, "prior_year() cannot be applied twice"),
        ("sum_children(sum_children(revenue))", 14, "sum_children() cannot be applied twice"),
        ("standalone(lag(standalone(revenue), 1))", 16, "standalone() cannot be applied twice"),
        ("sum_children(industry)", 14, "sum_children() adds numbers, but 'industry' is text"),
        (
            "sum_children(if(is_listed, revenue, 0))",
            17,
            "sum_children() adds numbers, but 'is_listed' is a condition (true/false)",
        ),
    ],
)
def test_push_down_conflicts(text, column, fragment):
    error = error_of(text)
    assert error.code == "push_down"
    assert error.message_en.startswith(fragment)
    assert (error.line, error.column) == (1, column)
    assert error.message_zh.split()[0] == fragment.split()[0]


def test_a_resolver_ref_that_already_has_a_column_cannot_be_shifted_again():
    class Restated:
        def resolve_name(self, name):
            return Ref("field", "revenue", column="prior_year")

        def resolve_function(self, name, args):
            return None

    error = error_of("opening(revenue_py)", Restated())
    assert error.code == "push_down"
    assert error.column == 9
    assert compiled("lag(revenue_py, 1)", Restated()).refs == {
        Ref("field", "revenue", column="prior_year", offset=1)
    }


def test_monthly_expands_to_the_difference_of_year_to_date_values():
    result = compiled("monthly(revenue)")
    assert result.keys == ["context:period_index", "field:revenue", "field:revenue-1"]
    assert compiled("prior_period(monthly(revenue))").keys == [
        "context:period_index-1",
        "field:revenue-1",
        "field:revenue-2",
    ]
    assert compiled("prior_year(monthly(revenue))").keys == [
        "context:period_index",
        "field:revenue@prior_year",
        "field:revenue@prior_year-1",
    ]


def test_annualized_and_consecutive_expand():
    assert compiled("annualized(revenue)").keys == [
        "context:period_index",
        "context:periods_per_year",
        "field:revenue",
    ]
    result = compiled("consecutive(revenue < 0, 3)")
    assert result.kind == "bool"
    assert result.keys == ["field:revenue", "field:revenue-1", "field:revenue-2"]
    assert compiled("consecutive(revenue < 0, 1)").keys == ["field:revenue"]


def test_compiled_round_always_carries_its_digits():
    call = compiled("round(revenue)").node
    assert call.function == "round"
    assert call.args[1] == Number(0.0)
    assert compiled("round(revenue, -2)").node.args[1] == Number(-2.0)


def test_nested_expansions_have_a_size_limit():
    error = error_of("consecutive(consecutive(consecutive(revenue > 0, 60), 60), 60)")
    assert error.code == "too_large"
    assert "5000" in error.message_en and "5000" in error.message_zh
    assert len(compiled("consecutive(consecutive(revenue > 0, 12), 12)").refs) == 23
