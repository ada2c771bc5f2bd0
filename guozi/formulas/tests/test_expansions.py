"""Named formulas (indicators, named parts) compiled in place under the functions around them."""

import polars as pl
import pytest

from guozi.formulas import (
    ChainResolver,
    Expansion,
    FieldResolver,
    FormulaError,
    Ref,
    UnknownName,
    compile_formula,
    evaluate,
    parse,
)

FIELDS = FieldResolver(
    {"total_profit": "number", "interest_expense": "number", "total_assets": "number"}
)


class Named:
    """Names that stand for formulas of their own."""

    def __init__(self, formulas: dict[str, str]) -> None:
        self.formulas = {name: parse(text) for name, text in formulas.items()}

    def resolve_name(self, name):
        if name not in self.formulas:
            raise UnknownName(name, [])
        return Expansion(name, self.formulas[name])

    def resolve_function(self, name, args):
        return None


def resolver(**formulas):
    return ChainResolver([Named(formulas), FIELDS])


def test_a_named_formula_is_compiled_in_place():
    named = resolver(ebit="total_profit + interest_expense")
    rule = compile_formula("ebit / total_assets", named)
    assert rule.keys == ["field:interest_expense", "field:total_assets", "field:total_profit"]
    frame = pl.DataFrame(
        {"field:total_profit": [8.0], "field:interest_expense": [2.0], "field:total_assets": [50.0]}
    )
    assert evaluate(rule, frame)["value"].to_list() == [0.2]


def test_time_functions_reach_into_a_named_formula():
    named = resolver(ebit="total_profit + interest_expense")
    rule = compile_formula("prior_year(ebit) + lag(ebit, 2)", named)
    assert Ref("field", "total_profit", column="prior_year") in rule.refs
    assert Ref("field", "interest_expense", offset=2) in rule.refs
    assert len(rule.refs) == 4


def test_named_formulas_may_name_each_other():
    named = resolver(ebit="total_profit + interest_expense", margin="ebit / total_assets")
    assert compile_formula("margin * 100", named).keys == [
        "field:interest_expense",
        "field:total_assets",
        "field:total_profit",
    ]


def test_a_cycle_is_refused_at_the_name():
    named = resolver(a="b + 1", b="a * 2")
    with pytest.raises(FormulaError) as caught:
        compile_formula("total_profit + a", named)
    error = caught.value
    assert error.code == "cycle"
    assert "a → b → a" in error.message_en
    assert "引用了自身" in error.message_zh


def test_an_error_inside_a_named_formula_is_reported_at_the_name_that_uses_it():
    named = resolver(broken="total_proft * 2")
    with pytest.raises(FormulaError) as caught:
        compile_formula("1 + broken", named)
    error = caught.value
    assert (error.line, error.column, error.code) == (1, 5, "unknown_name")
    assert error.message_en.startswith("in 'broken': ")
    assert "total_profit" in error.suggestions
    assert error.message_zh.startswith("在 'broken' 中：")


def test_a_named_formula_of_the_wrong_kind_is_refused():
    named = resolver(loss="total_profit < 0")
    with pytest.raises(FormulaError) as caught:
        compile_formula("loss + 1", named)
    assert caught.value.code == "type"
