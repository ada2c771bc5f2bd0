import math

import polars as pl
import pytest

from guozi.formulas import (
    MISSING,
    OK,
    UNDEFINED,
    ChainResolver,
    ContextResolver,
    EvaluationError,
    FieldResolver,
    compile_formula,
    evaluate_many,
    evaluate_reference,
    plan_many,
)
from guozi.formulas.engine import _PlanBuilder

NAN, INF = float("nan"), float("inf")
FIELDS = {
    "a": "number",
    "b": "number",
    "c": "number",
    "p": "bool",
    "q": "bool",
    "t": "text",
    "u": "text",
}
RESOLVER = ChainResolver([FieldResolver(FIELDS), ContextResolver()])
DTYPES = {"number": pl.Float64, "bool": pl.Boolean, "text": pl.String}


def frame_for(compiled, **columns) -> pl.DataFrame:
    """A frame with the given columns (by field code or key); every list has the same length."""
    series = []
    for ref in sorted(compiled.refs, key=lambda r: r.key):
        values = columns.get(ref.key, columns.get(ref.code))
        dtype = DTYPES[ref.kind]
        if isinstance(values, pl.Series):
            series.append(values.alias(ref.key))
        else:
            series.append(pl.Series(ref.key, values, dtype=dtype, strict=False))
    return pl.DataFrame(series)


def run(text, **columns) -> list[tuple]:
    """(value, status) per row from the vectorised engine, checked against the reference."""
    compiled = compile_formula(text, RESOLVER)
    frame = frame_for(compiled, **columns)
    result = compiled.evaluate(frame)
    assert result.columns == ["value", "status"]
    assert result.schema["status"] == pl.UInt8
    assert result.schema["value"] == DTYPES[compiled.kind]
    vectorised = list(zip(result["value"].to_list(), result["status"].to_list(), strict=True))
    reference = [evaluate_reference(compiled, row) for row in frame.to_dicts()]
    assert len(vectorised) == len(reference) == frame.height
    for got, expected in zip(vectorised, reference, strict=True):
        assert got[1] == expected[1]
        if isinstance(expected[0], float):
            assert got[0] == pytest.approx(expected[0], rel=1e-12)
        else:
            assert got[0] == expected[0]
    return vectorised


def statuses(results):
    return [status for _value, status in results]


def values(results):
    return [value for value, _status in results]


def test_arithmetic_with_ok_inputs():
    results = run("a + b * 2 - a / b", a=[1.0, 6.0, -3.0], b=[2.0, 3.0, 0.5])
    assert values(results) == [4.5, 10.0, 4.0]
    assert statuses(results) == [OK, OK, OK]


def test_missing_inputs_give_missing():
    results = run("a + b", a=[1.0, None, None], b=[None, 2.0, None])
    assert results == [(None, MISSING)] * 3


def test_division_by_zero_is_undefined_and_wins_over_missing():
    assert run("a / b", a=[1.0, 0.0, -1.0], b=[0.0, 0.0, -0.0]) == [(None, UNDEFINED)] * 3
    assert run("a / b + c", a=[1.0], b=[0.0], c=[None]) == [(None, UNDEFINED)]
    assert run("c + a / b", a=[1.0], b=[0.0], c=[None]) == [(None, UNDEFINED)]


def test_missing_divided_by_zero_is_missing():
    assert run("a / b", a=[None], b=[0.0]) == [(None, MISSING)]


def test_overflow_and_non_finite_inputs_are_undefined():
    assert run("a * 10", a=[1e308]) == [(None, UNDEFINED)]
    assert run("a - b", a=[-1e308], b=[1e308]) == [(None, UNDEFINED)]
    assert run("a + 1", a=[NAN, INF, -INF]) == [(None, UNDEFINED)] * 3
    assert run("is_missing(a)", a=[NAN]) == [(False, OK)]


def test_integer_and_null_typed_columns():
    compiled = compile_formula("a / 2 + b", RESOLVER)
    frame = pl.DataFrame(
        {
            "field:a": pl.Series([3, None, 10**15], dtype=pl.Int64),
            "field:b": pl.Series([None, None, None], dtype=pl.Null),
        }
    )
    result = compiled.evaluate(frame)
    assert result["status"].to_list() == [MISSING] * 3
    frame = frame.with_columns(pl.Series("field:b", [1, 2, 3], dtype=pl.UInt8))
    assert compiled.evaluate(frame)["value"].to_list() == [2.5, None, 5e14 + 3]


def test_comparisons():
    results = run("a < b", a=[1.0, 2.0, None, 0.0], b=[2.0, 2.0, 1.0, -0.0])
    assert results == [(True, OK), (False, OK), (None, MISSING), (False, OK)]
    assert values(run("a = b", a=[0.0, 0.1 + 0.2], b=[-0.0, 0.3])) == [True, False]
    assert values(run("a <= b and a >= b and a != c", a=[1.0], b=[1.0], c=[2.0])) == [True]


def test_text_equality():
    results = run("t = u or t = 'x'", t=["a", "x", None, "b", None], u=["a", "y", "z", None, None])
    assert results == [(True, OK), (True, OK), (None, MISSING), (None, MISSING), (None, MISSING)]
    assert values(run("t != 'x'", t=["x", "y"])) == [False, True]


def test_text_from_a_categorical_column():
    compiled = compile_formula("t = 'x'", RESOLVER)
    frame = pl.DataFrame({"field:t": pl.Series(["x", "y", None], dtype=pl.Categorical)})
    assert compiled.evaluate(frame).rows() == [(True, OK), (False, OK), (None, MISSING)]


# Kleene logic: (left, right) -> and, or. None is missing.
KLEENE = [
    (True, True, True, True),
    (True, False, False, True),
    (False, False, False, False),
    (True, None, None, True),
    (False, None, False, None),
    (None, None, None, None),
]


@pytest.mark.parametrize(("left", "right", "conjunction", "disjunction"), KLEENE)
def test_kleene_logic_on_missing(left, right, conjunction, disjunction):
    for p, q in ((left, right), (right, left)):
        both = run("p and q", p=[p], q=[q])
        either = run("p or q", p=[p], q=[q])
        assert both == [(conjunction, OK if conjunction is not None else MISSING)]
        assert either == [(disjunction, OK if disjunction is not None else MISSING)]


def test_undefined_in_logic_is_undefined_unless_decided():
    undefined = "a / b > 0"
    assert run(f"({undefined}) and p", a=[1.0] * 3, b=[0.0] * 3, p=[False, True, None]) == [
        (False, OK),
        (None, UNDEFINED),
        (None, UNDEFINED),
    ]
    assert run(f"p or ({undefined})", a=[1.0] * 3, b=[0.0] * 3, p=[True, False, None]) == [
        (True, OK),
        (None, UNDEFINED),
        (None, UNDEFINED),
    ]


def test_not():
    assert run("not p", p=[True, False, None]) == [(False, OK), (True, OK), (None, MISSING)]


def test_if_follows_the_condition_and_only_the_chosen_branch():
    results = run(
        "if(p, a, b)", p=[True, False, None, True], a=[1.0, 1.0, 1.0, None], b=[None, 2.0, 2.0, 2.0]
    )
    assert results == [(1.0, OK), (2.0, OK), (None, MISSING), (None, MISSING)]
    assert run("if(a > 0, a, 1 / b)", a=[5.0, -1.0], b=[0.0, 0.0]) == [
        (5.0, OK),
        (None, UNDEFINED),
    ]
    assert run("if(a / b > 0, 1, 2)", a=[1.0], b=[0.0]) == [(None, UNDEFINED)]
    assert values(run("if(p, t, 'none')", p=[True, False], t=["x", "y"])) == ["x", "none"]


def test_coalesce_takes_the_first_ok_argument():
    results = run(
        "coalesce(a / b, c, 0)",
        a=[1.0, 1.0, None, 1.0],
        b=[2.0, 0.0, 1.0, 0.0],
        c=[9.0, 9.0, None, None],
    )
    assert results == [(0.5, OK), (9.0, OK), (0.0, OK), (0.0, OK)]
    assert run("coalesce(a, b)", a=[None], b=[None]) == [(None, MISSING)]
    assert run("coalesce(a / b, c / b)", a=[1.0], b=[0.0], c=[1.0]) == [(None, UNDEFINED)]
    assert run("coalesce(a / b, c)", a=[1.0], b=[0.0], c=[None]) == [(None, MISSING)]
    assert run("coalesce(p, q)", p=[None], q=[False]) == [(False, OK)]


def test_is_missing_is_never_missing():
    results = run("is_missing(a / b)", a=[1.0, None, 1.0], b=[2.0, 2.0, 0.0])
    assert results == [(False, OK), (True, OK), (False, OK)]
    assert run("is_missing(t)", t=[None, "x"]) == [(True, OK), (False, OK)]


@pytest.mark.parametrize(
    ("formula", "value", "expected"),
    [
        ("round(a)", 2.5, 3.0),
        ("round(a)", -2.5, -3.0),
        ("round(a)", 2.4999, 2.0),
        ("round(a)", 0.49999999999999994, 0.0),
        ("round(a, 2)", 0.125, 0.13),
        ("round(a, 2)", -0.125, -0.13),
        ("round(a, 1)", 1e300, 1e300),
        ("round(a, -2)", 1250.0, 1300.0),
        ("round(a, -2)", -1249.0, -1200.0),
        ("round(a, 3)", 2.0**60 + 0.0, 2.0**60),
    ],
)
def test_round_half_away_from_zero(formula, value, expected):
    assert run(formula, a=[value]) == [(expected, OK)]


def test_abs_min_max():
    assert values(run("abs(a)", a=[-2.0, 3.0])) == [2.0, 3.0]
    assert run("min(a, b, 3)", a=[1.0, 5.0, None], b=[2.0, 4.0, 1.0]) == [
        (1.0, OK),
        (3.0, OK),
        (None, MISSING),
    ]
    assert run("max(a, b / c)", a=[None], b=[1.0], c=[0.0]) == [(None, UNDEFINED)]


def test_monthly_flow_from_year_to_date_values():
    results = run(
        "monthly(a)",
        **{
            "context:period_index": [1.0, 2.0, 3.0, 2.0, None],
            "field:a": [10.0, 25.0, 40.0, 25.0, 1.0],
            "field:a-1": [None, 10.0, 25.0, None, 0.0],
        },
    )
    assert results == [(10.0, OK), (15.0, OK), (15.0, OK), (None, MISSING), (None, MISSING)]


def test_annualized():
    results = run(
        "annualized(a)",
        **{
            "context:period_index": [3.0, 1.0, 0.0],
            "context:periods_per_year": [12.0, 4.0, 12.0],
            "field:a": [30.0, 5.0, 1.0],
        },
    )
    assert results == [(120.0, OK), (20.0, OK), (None, UNDEFINED)]


def test_consecutive():
    columns = {
        "field:p": [True, True, False, None, True],
        "field:p-1": [True, False, True, True, None],
        "field:p-2": [True, True, True, False, True],
    }
    assert run("consecutive(p, 3)", **columns) == [
        (True, OK),
        (False, OK),
        (False, OK),
        (False, OK),
        (None, MISSING),
    ]


def test_literal_only_formulas_fill_every_row():
    compiled = compile_formula("1 + 2 > 2", RESOLVER)
    frame = pl.DataFrame({"anything": [1, 2, 3]})
    assert compiled.evaluate(frame).rows() == [(True, OK)] * 3
    assert compile_formula("1 / 0", RESOLVER).evaluate(frame)["status"].to_list() == [UNDEFINED] * 3


def test_evaluate_many_names_its_columns_and_keeps_row_order():
    rules = {
        "ratio": compile_formula("a / b", RESOLVER),
        "high": compile_formula("a / b > 0.5 and p", RESOLVER),
        "label": compile_formula("if(p, t, 'none')", RESOLVER),
    }
    frame = pl.DataFrame(
        {
            "field:a": [3.0, 1.0, 2.0],
            "field:b": [4.0, 0.0, 8.0],
            "field:p": [True, True, None],
            "field:t": ["x", "y", "z"],
            "id": [30, 10, 20],
        }
    )
    result = evaluate_many(rules, frame)
    assert result.columns == [
        "ratio",
        "ratio__status",
        "high",
        "high__status",
        "label",
        "label__status",
    ]
    assert result.rows() == [
        (0.75, OK, True, OK, "x", OK),
        (None, UNDEFINED, None, UNDEFINED, "y", OK),
        (0.25, OK, False, OK, None, MISSING),
    ]
    kept = evaluate_many({"ratio": rules["ratio"]}, frame, keep=["id"])
    assert kept.rows() == [(30, 0.75, OK), (10, None, UNDEFINED), (20, 0.25, OK)]
    lazy = plan_many(rules, frame.lazy())
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.collect().equals(result)
    assert evaluate_many({}, frame).width == 0


def test_shared_sub_formulas_are_computed_once():
    builder = _PlanBuilder()
    first = compile_formula("a / b > 1", RESOLVER).node
    second = compile_formula("(a / b) * 2 < c", RESOLVER).node
    builder.add(first)
    count = len(builder.known)
    builder.add(second)
    # New: the product, c, and the comparison; a, b and a / b are reused.
    assert len(builder.known) == count + 3


def test_absent_and_mistyped_columns_are_reported():
    compiled = compile_formula("a + b > 0 and p", RESOLVER)
    with pytest.raises(EvaluationError) as caught:
        compiled.evaluate(pl.DataFrame({"field:a": [1.0]}))
    assert "field:b" in caught.value.message_en and "field:p" in caught.value.message_en
    assert "缺少列" in caught.value.message_zh
    frame = pl.DataFrame({"field:a": ["1"], "field:b": [1.0], "field:p": [1]})
    with pytest.raises(EvaluationError) as caught:
        compiled.evaluate(frame)
    assert "field:a" in caught.value.message_en and "field:p" in caught.value.message_en


def test_status_column_names_must_not_clash():
    compiled = compile_formula("a", RESOLVER)
    frame = pl.DataFrame({"field:a": [1.0]})
    with pytest.raises(ValueError):
        evaluate_many({"x": compiled, "x__status": compiled}, frame)


def test_reference_interpreter_refuses_bad_rows():
    compiled = compile_formula("a + 1", RESOLVER)
    with pytest.raises(EvaluationError):
        evaluate_reference(compiled, {})
    with pytest.raises(EvaluationError):
        evaluate_reference(compiled, {"field:a": "12"})
    with pytest.raises(EvaluationError):
        evaluate_reference(compiled, {"field:a": True})
    with pytest.raises(EvaluationError):
        evaluate_reference(compile_formula("t", RESOLVER), {"field:t": 3})
    assert evaluate_reference(compiled, {"field:a": 2}) == (3.0, OK)
    assert evaluate_reference(compiled.node, {"field:a": None}) == (None, MISSING)


def test_reference_interpreter_needs_a_compiled_tree():
    from guozi.formulas import parse

    with pytest.raises(TypeError):
        evaluate_reference(parse("a + 1"), {"a": 1.0})


def test_no_nan_or_infinity_ever_comes_out():
    compiled = compile_formula("a * b - c / a", RESOLVER)
    frame = pl.DataFrame(
        {
            "field:a": [0.0, 1e308, NAN, -0.0],
            "field:b": [INF, 10.0, 1.0, 1.0],
            "field:c": [0.0, 1.0, 1.0, 0.0],
        }
    )
    result = compiled.evaluate(frame)
    assert all(v is None or math.isfinite(v) for v in result["value"].to_list())
    assert result["status"].to_list() == [UNDEFINED] * 4


def test_the_package_example_runs():
    import doctest

    import guozi.formulas

    assert doctest.testmod(guozi.formulas).failed == 0
