"""Indicator framework files: the shipped one, the sets in force, and every kind of mistake."""

import pytest
from django.utils import translation

from guozi.indicators.definitions import parse_framework
from guozi.indicators.frameworks import built_in_files, framework_load, framework_of
from guozi.indicators.models import IndicatorFramework
from guozi.lib.errors import DomainError
from guozi.lib.periods import Period
from guozi.reporting.definitions import DefinitionError
from guozi.reporting.frameworks import definition_of, version_in_force
from guozi.reporting.models import Form

MINIMAL = """
framework: mine
version: "1"
valid_from: 2024-01
name_zh: 自定义
name_en: Own
forms: [fast_report]
indicators:
{indicators}
"""


def forms():
    found = {}
    for form in Form.objects.all():
        at = Period.parse("2026-07" if form.period_type == "month" else "2025")
        found[form.code] = definition_of(version_in_force(form, at))
    return found


def problems_of(text) -> list[str]:
    with translation.override("en"), pytest.raises(DefinitionError) as caught:
        parse_framework(text, "mine.yaml", forms())
    return [str(p) for p in caught.value.problems]


def test_the_shipped_framework_compiles_against_both_forms(fast_report):
    text = built_in_files()[0].read_text(encoding="utf-8")
    framework = parse_framework(text, "sasac.yaml", forms())
    assert {"roe", "debt_ratio", "labour_productivity", "altman_z"} <= set(framework.by_code)
    assert framework.forms == ("fast_report", "final_accounts")
    roe = framework.by_code["roe"]
    assert roe.is_ratio and roe.variant["why_en"] and roe.variant["why_zh"]


@pytest.mark.parametrize(
    ("year", "code"),
    [
        (2019, None),
        (2020, "liangli_silv"),
        (2022, "liangli_silv"),
        (2023, "yili_wulv"),
        (2024, "yili_wulv"),
        (2025, "yili_wulv_2025"),
        (2026, "yili_wulv_2025"),
    ],
)
def test_the_set_assessed_each_year(fast_report, year, code):
    framework = framework_of(IndicatorFramework.objects.get(code="sasac"))
    found = framework.set_in_force(year)
    assert (found.code if found else None) == code
    if code == "yili_wulv_2025":
        assert "cash_collection_ratio" in found.indicators
        assert "operating_cash_ratio" not in found.indicators


def test_a_formula_error_names_the_indicator_the_form_and_the_place(fast_report):
    text = MINIMAL.format(
        indicators="  - {code: x, name_zh: 甲, name_en: X, unit: '%', direction: higher,\n"
        "     numerator: total_proft, denominator: total_assets}"
    )
    [problem] = problems_of(text)
    assert problem.startswith(".indicators[x] (fast_report): line 1, column 2:")
    assert "total_profit" in problem


def test_each_mistake_is_listed(fast_report):
    text = MINIMAL.format(
        indicators="""  - {code: a, name_zh: 甲, name_en: A, unit: '%', direction: up, formula: '1'}
  - {code: a, name_zh: 乙, name_en: B, unit: parsecs, direction: higher, formula: '2'}
  - {code: c, name_zh: 丙, name_en: C, unit: '%', direction: higher, numerator: total_assets}
  - {code: Bad-Code, name_zh: 丁, name_en: D, unit: '%', direction: higher, formula: '1',
     colour: red}"""
    )
    problems = "\n".join(problems_of(text))
    assert "direction: “up” is not one of higher, lower" in problems
    assert "unit: “parsecs” is not one of" in problems
    assert "indicator “a” is defined twice" in problems
    assert ".indicators[c]: give a formula, or a numerator and a denominator" in problems
    assert "code: a code is lower-case letters, digits and _" in problems
    assert ".colour: unknown key" in problems


def test_thresholds_must_run_from_best_to_worst(fast_report):
    text = (
        MINIMAL.format(indicators="  []")
        + """
health_check:
  name_zh: 健康
  name_en: Health
  zones_zh: [一, 二, 三, 四, 五]
  zones_en: [a, b, c, d, e]
  ratios:
    - {code: r, group: liquidity, name_zh: 甲, name_en: A, unit: times, direction: higher,
       numerator: current_assets, denominator: current_liabilities, thresholds: [1, 2, 3, 4]}
    - {code: s, group: liquidity, name_zh: 乙, name_en: B, unit: times, direction: lower,
       numerator: current_assets, denominator: current_liabilities, thresholds: [1, 2, "x"]}
"""
    )
    problems = "\n".join(problems_of(text))
    assert ".health_check.ratios[r].thresholds: must fall from best to worst" in problems
    assert ".health_check.ratios[s].thresholds: must be a list of four thresholds" in problems


def test_a_set_must_name_indicators_that_exist(fast_report):
    text = (
        MINIMAL.format(
            indicators="  - {code: a, name_zh: 甲, name_en: A, unit: '%', direction: higher, "
            "formula: '1'}"
        )
        + "sets:\n  - {code: s, name_zh: 集, name_en: S, indicators: [a, b], assessed_from: 2024}\n"
    )
    assert problems_of(text) == [".sets[s].indicators: no such indicator “b”"]


def test_an_indicator_defined_in_terms_of_itself_is_refused(fast_report):
    text = MINIMAL.format(
        indicators="""  - {code: a, name_zh: 甲, name_en: A, unit: '%', direction: higher,
     formula: b}
  - {code: b, name_zh: 乙, name_en: B, unit: '%', direction: higher, formula: a + 1}"""
    )
    assert any("defined in terms of itself" in p for p in problems_of(text))


def test_loading_twice_changes_nothing_and_changed_content_needs_a_new_version(fast_report):
    text = MINIMAL.format(
        indicators="  - {code: a, name_zh: 甲, name_en: A, unit: '%', direction: higher, "
        "numerator: total_profit, denominator: operating_revenue}"
    )
    first = framework_load(text=text, source="mine.yaml")
    assert framework_load(text=text, source="mine.yaml").id == first.id
    with pytest.raises(DomainError) as caught:
        framework_load(text=text.replace("甲", "甲乙"), source="mine.yaml")
    assert caught.value.code == "framework_version_exists"
    assert IndicatorFramework.objects.filter(code="mine").count() == 1


def test_not_yaml(fast_report):
    assert problems_of("a: [1, 2")[0].startswith("line ")
