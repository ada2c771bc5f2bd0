"""Running a form's rules over all submissions of a period at once.

The rules are compiled once per form version; the inputs they name (this period's cells, other
periods', the standalone report, the direct subsidiaries' consolidated totals) are gathered into
one table with a column per input, and every rule is evaluated over all rows in one vectorised
pass. Only failing rows come back to Python, to be put into words.
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field

import polars as pl
from django.db import transaction
from django.utils import timezone

from guozi.formulas import evaluate_many
from guozi.formulas.status import OK
from guozi.lib.periods import Period
from guozi.registry.tree import TreeSnapshot, tree_at

from .definitions import FieldDef, FormDefinition, RuleDef
from .frameworks import definition_of, version_in_force
from .models import Form, ReportScope, RuleResult, Submission
from .rules import (
    OP_FAILED,
    CompiledRule,
    cells_of,
    compiled_rules,
    fmt_number,
    ref_label,
    side_text,
)

CONSOLIDATED = ReportScope.CONSOLIDATED
STANDALONE = ReportScope.STANDALONE
POLARS_TYPE = {"number": pl.Float64, "bool": pl.Boolean, "text": pl.String}


@dataclass(frozen=True)
class Violation:
    rule: RuleDef
    message_zh: str
    message_en: str
    cells: list[str]

    @property
    def severity(self) -> str:
        return self.rule.severity


@dataclass
class Store:
    """Submitted cells of one form, by (period, enterprise, scope), loaded once per period."""

    form: Form
    enterprise_ids: set[int] | None = None
    rows: dict[tuple[str, int, str], dict] = field(default_factory=dict)
    ids: dict[tuple[str, int, str], int] = field(default_factory=dict)
    loaded: set[str] = field(default_factory=set)
    trees: dict[str, TreeSnapshot] = field(default_factory=dict)

    def load(self, periods: set[str]) -> None:
        wanted = sorted(periods - self.loaded)
        if not wanted:
            return
        query = Submission.objects.filter(form=self.form, period__in=wanted)
        if self.enterprise_ids is not None:
            query = query.filter(enterprise_id__in=self.enterprise_ids)
        for row_id, enterprise_id, period, scope, cells in query.values_list(
            "id", "enterprise_id", "period", "scope", "cells"
        ).iterator(chunk_size=2000):
            self.rows[(period, enterprise_id, scope)] = cells
            self.ids[(period, enterprise_id, scope)] = row_id
        self.loaded.update(wanted)

    def put(self, period: str, enterprise_id: int, scope: str, cells: dict) -> None:
        """Use these cells instead of the stored ones (a form being edited)."""
        self.rows[(period, enterprise_id, scope)] = cells

    def tree(self, period: Period) -> TreeSnapshot:
        key = str(period)
        if key not in self.trees:
            self.trees[key] = tree_at(period.end)
        return self.trees[key]

    def cells(self, period: Period, enterprise_id: int, scope: str) -> dict | None:
        key = str(period)
        found = self.rows.get((key, enterprise_id, scope))
        if found is None and scope == STANDALONE:
            # A leaf files one report, which counts as both scopes.
            if not self.tree(period).has_children(enterprise_id):
                found = self.rows.get((key, enterprise_id, CONSOLIDATED))
        return found


def _formula_value(field: FieldDef | None, stored):
    if stored is None or field is None:
        return None
    if field.numeric:
        number = stored / (field.scale * field.unit_factor)
        return number / 100 if field.unit == "%" else number
    if field.kind == "boolean":
        return bool(stored)
    return stored


class Inputs:
    """Gathers one column per reference for the rows being validated."""

    def __init__(self, store: Store, definition: FormDefinition, period: Period) -> None:
        self.store = store
        self.fields = definition.fields_by_code
        self.period = period

    def periods_needed(self, refs) -> set[str]:
        periods = {str(self.period)}
        for ref in refs:
            base = self.period.shift(-ref.offset)
            periods.add(str(base))
            if ref.column == "prior_year":
                periods.add(str(base.prior_year()))
            if ref.column == "opening":
                periods.add(str(base.first_of_year().previous()))
        return periods

    def value(self, ref, enterprise_id: int, scope: str):
        if ref.source == "context":
            return float(self.period.index if ref.code == "period_index" else self.period.per_year)
        period = self.period.shift(-ref.offset)
        scope = ref.scope or scope
        if ref.aggregate == "children":
            return self._children_total(ref, period, enterprise_id)
        return self._cell(ref.code, ref.column, period, enterprise_id, scope)

    def _cell(self, code: str, column: str, period: Period, enterprise_id: int, scope: str):
        field = self.fields.get(code)
        cells = self.store.cells(period, enterprise_id, scope)
        stored = cells.get(f"{code}.{column}") if cells else None
        if stored is None and column == "prior_year":
            # Fall back to what was filed a year earlier.
            earlier = self.store.cells(period.prior_year(), enterprise_id, scope)
            stored = earlier.get(f"{code}.current") if earlier else None
        elif stored is None and column == "opening":
            earlier = self.store.cells(period.first_of_year().previous(), enterprise_id, scope)
            stored = earlier.get(f"{code}.current") if earlier else None
        return _formula_value(field, stored)

    def _children_total(self, ref, period: Period, enterprise_id: int):
        children = self.store.tree(period).children.get(enterprise_id)
        if not children:
            return None
        total = 0.0
        for child in children:
            value = self._cell(ref.code, ref.column, period, child, CONSOLIDATED)
            if value is None:
                return None  # a subsidiary has not reported: the check waits
            total += value
        return total

    def frame(self, rows: list[tuple[int, str]], refs) -> pl.DataFrame:
        columns = {}
        for ref in refs:
            columns[ref.key] = pl.Series(
                ref.key,
                [self.value(ref, enterprise_id, scope) for enterprise_id, scope in rows],
                dtype=POLARS_TYPE[ref.kind],
            )
        if not columns:
            return pl.DataFrame({"__rows": [0] * len(rows)})
        return pl.DataFrame(columns)


def _applies(rule: RuleDef, scope: str, tree: TreeSnapshot, enterprise_id: int) -> bool:
    if rule.scope is None:
        return True
    if rule.scope == CONSOLIDATED:
        return scope == CONSOLIDATED and tree.has_children(enterprise_id)
    return scope == STANDALONE


def _outcome_frame(compiled: tuple[CompiledRule, ...], frame: pl.DataFrame) -> pl.DataFrame:
    parts = {}
    for index, item in enumerate(compiled):
        parts[f"w{index}"] = item.whole
        if item.op:
            parts[f"l{index}"] = item.left
            parts[f"r{index}"] = item.right
    return evaluate_many(parts, frame)


def _comparison_fails(op: str, left: float, right: float, tolerance: float) -> bool:
    difference = left - right
    return {
        "=": abs(difference) > tolerance,
        "!=": abs(difference) <= tolerance,
        "<": difference >= tolerance,
        "<=": difference > tolerance,
        ">": difference <= -tolerance,
        ">=": difference < -tolerance,
    }[op]


def _violations_for(
    compiled: tuple[CompiledRule, ...],
    outcome: pl.DataFrame,
    frame: pl.DataFrame,
    fields: dict[str, FieldDef],
    unit: str,
    applies,
) -> dict[int, list[Violation]]:
    """Row index → the rules that row fails, put into words in both languages."""
    found: dict[int, list[Violation]] = defaultdict(list)
    for index, item in enumerate(compiled):
        rule = item.rule
        status = outcome[f"w{index}__status"]
        checked = (status == OK).to_list()
        if item.op:
            lefts = outcome[f"l{index}"].to_list()
            rights = outcome[f"r{index}"].to_list()
            sides_ok = (
                (outcome[f"l{index}__status"] == OK) & (outcome[f"r{index}__status"] == OK)
            ).to_list()
            tolerance = float(rule.tolerance) + 1e-9
            failing = [
                i
                for i, ok in enumerate(sides_ok)
                if ok and _comparison_fails(item.op, lefts[i], rights[i], tolerance)
            ]
        else:
            values = outcome[f"w{index}"].to_list()
            failing = [i for i, ok in enumerate(checked) if ok and values[i] is False]
        if rule.missing == "fail":
            failing += [i for i, ok in enumerate(checked) if not ok]
        for i in failing:
            if not applies(rule, i):
                continue
            row = frame.row(i, named=True)
            found[i].append(
                Violation(
                    rule,
                    _sentence(item, index, i, outcome, row, fields, unit, "zh"),
                    _sentence(item, index, i, outcome, row, fields, unit, "en"),
                    cells_of(item),
                )
            )
    return found


def _sentence(item, index, i, outcome, row, fields, unit, language) -> str:
    zh = language == "zh"
    name = item.rule.name_zh if zh else item.rule.name_en
    sides_ok = (
        item.op and outcome[f"l{index}__status"][i] == OK and outcome[f"r{index}__status"][i] == OK
    )
    if sides_ok:
        left, right = outcome[f"l{index}"][i], outcome[f"r{index}"][i]
        whole = item.whole.node
        left_text = side_text(whole.left, left, row, fields, language)
        right_text = side_text(whole.right, right, row, fields, language)
        relation = OP_FAILED[item.op]
        difference = fmt_number(left - right)
        if zh:
            return (
                f"{name}：{left_text} {relation} {right_text}（{unit}）；差额 {difference} {unit}"
            )
        return (
            f"{name}: {left_text} {relation} {right_text} ({unit}); difference {difference} {unit}"
        )
    labelled = [
        (ref.key, ref_label(ref, fields, language))
        for ref in sorted(item.whole.refs, key=lambda r: r.key)
        if ref.source != "context"
    ]
    values = ("；" if zh else "; ").join(
        f"{label} {fmt_number(row.get(key))}" for key, label in labelled
    )
    missing = outcome[f"w{index}__status"][i] != OK
    if zh:
        reason = "无法校验，缺少数据" if missing else "不成立"
        return f"{name}：{reason}（{values}）"
    reason = "cannot be checked, data missing" if missing else "does not hold"
    return f"{name}: {reason} ({values})"


def _required(definition: FormDefinition, cells: dict) -> list[Violation]:
    missing = [
        f for f in definition.fields if f.required and cells.get(f"{f.code}.current") is None
    ]
    if not missing:
        return []
    rule = RuleDef(
        code="required",
        severity="error",
        name_zh="必填项",
        name_en="Required fields",
    )
    return [
        Violation(
            rule,
            "必填项未填写：" + "、".join(f.name_zh for f in missing),
            "Required fields are empty: " + ", ".join(f.name_en for f in missing),
            [f"{f.code}.current" for f in missing],
        )
    ]


def _history_outliers(
    rule: RuleDef, inputs: Inputs, rows: list[tuple[int, str]]
) -> dict[int, Violation]:
    """This month's own flow against the enterprise's history, robust to seasonality.

    The seasonal ratio r(t) = m(t) / m(t − 12) of the monthly flow m is compared with the same
    ratio over the past `window` − 12 months by a robust z-score (median and MAD), so a December
    peak that recurs every year is no outlier but a sudden jump is.
    """
    found = {}
    field = inputs.fields[rule.field]
    span = max(rule.window - 12, 6)
    for i, (enterprise_id, scope) in enumerate(rows):
        ratios = []
        for lag in range(0, span + 1):
            month = _monthly(inputs, field.code, inputs.period.shift(-lag), enterprise_id, scope)
            base = _monthly(
                inputs, field.code, inputs.period.shift(-lag - 12), enterprise_id, scope
            )
            if month is None or base is None or base <= 0 or month < 0:
                ratios.append(None)
            else:
                ratios.append(month / base)
        current, history = ratios[0], [r for r in ratios[1:] if r is not None]
        if current is None or len(history) < 6:
            continue
        median = sorted(history)[len(history) // 2]
        spread = sorted(abs(r - median) for r in history)[len(history) // 2] * 1.4826
        if spread <= 0 or math.isnan(spread):
            continue
        score = abs(current - median) / spread
        if score > float(rule.threshold):
            found[i] = Violation(
                rule,
                f"{rule.name_zh}：本月{field.name_zh}同比倍数 {current:.2f}，"
                f"过去 {len(history)} 个月的中位数为 {median:.2f}（偏离 {score:.1f} 个稳健标准差）",
                f"{rule.name_en}: this month's {field.name_en} is {current:.2f}× the same month "
                f"last year; over the past {len(history)} months the median was {median:.2f} "
                f"({score:.1f} robust standard deviations away)",
                [f"{field.code}.current"],
            )
    return found


def _monthly(inputs: Inputs, code: str, period: Period, enterprise_id: int, scope: str):
    value = inputs._cell(code, "current", period, enterprise_id, scope)
    if value is None or period.index == 1:
        return value
    before = inputs._cell(code, "current", period.previous(), enterprise_id, scope)
    return None if before is None else value - before


def history_periods(definition: FormDefinition, period: Period) -> set[str]:
    spans = [r.window for r in definition.rules if r.kind == "history_outlier"]
    if not spans:
        return set()
    back = max(max(spans), 18) + 2
    return {str(period.shift(-k)) for k in range(back)}


def check(
    store: Store, definition: FormDefinition, period: Period, rows: list[tuple[int, str]]
) -> list[list[Violation]]:
    """Every rule over the rows (enterprise id, scope) of one period; violations per row."""
    compiled = compiled_rules(definition)
    inputs = Inputs(store, definition, period)
    refs = set().union(*(c.refs for c in compiled)) if compiled else set()
    store.load(inputs.periods_needed(refs) | history_periods(definition, period))
    tree = store.tree(period)
    frame = inputs.frame(rows, sorted(refs, key=lambda r: r.key))
    outcome = _outcome_frame(compiled, frame) if compiled else None

    def applies(rule: RuleDef, i: int) -> bool:
        enterprise_id, scope = rows[i]
        return _applies(rule, scope, tree, enterprise_id)

    found = (
        _violations_for(
            compiled, outcome, frame, definition.fields_by_code, definition.unit, applies
        )
        if compiled
        else {}
    )
    results: list[list[Violation]] = []
    for i, (enterprise_id, scope) in enumerate(rows):
        cells = store.cells(period, enterprise_id, scope) or {}
        results.append(_required(definition, cells) + found.get(i, []))
    for rule in definition.rules:
        if rule.kind == "history_outlier":
            for i, violation in _history_outliers(rule, inputs, rows).items():
                enterprise_id, scope = rows[i]
                if _applies(rule, scope, tree, enterprise_id):
                    results[i].append(violation)
    return results


@transaction.atomic
def validate_period(form: Form, period: Period, submission_ids: list[int] | None = None) -> int:
    """Validate submissions of a period (all, or the given ones) and store the results."""
    definition = definition_of(version_in_force(form, period))
    query = Submission.objects.filter(form=form, period=str(period))
    if submission_ids is not None:
        query = query.filter(id__in=submission_ids)
    targets = list(query.values_list("id", "enterprise_id", "scope"))
    if not targets:
        return 0
    store = Store(form)
    if submission_ids is not None:
        store.enterprise_ids = _with_children(store, period, {e for _id, e, _s in targets})
    results = check(store, definition, period, [(e, s) for _id, e, s in targets])
    _store_results([t[0] for t in targets], results)
    return len(targets)


def _store_results(submission_ids: list[int], results: list[list[Violation]]) -> None:
    RuleResult.objects.filter(submission_id__in=submission_ids).delete()
    now = timezone.now()
    RuleResult.objects.bulk_create(
        (
            RuleResult(
                submission_id=submission_id,
                rule=v.rule.code,
                severity=v.severity,
                message_zh=v.message_zh,
                message_en=v.message_en,
                cells=v.cells,
            )
            for submission_id, violations in zip(submission_ids, results, strict=True)
            for v in violations
        ),
        batch_size=2000,
    )
    counts = {
        submission_id: (
            sum(v.severity == "error" for v in violations),
            sum(v.severity == "warning" for v in violations),
        )
        for submission_id, violations in zip(submission_ids, results, strict=True)
    }
    changed = [
        Submission(id=sid, errors=errors, warnings=warnings, validated_at=now)
        for sid, (errors, warnings) in counts.items()
    ]
    Submission.objects.bulk_update(changed, ["errors", "warnings", "validated_at"], batch_size=2000)


def check_draft(submission: Submission, cells: dict) -> list[Violation]:
    """The violations these cells would have, without storing anything (live form checks)."""
    period = Period.parse(submission.period)
    definition = definition_of(submission.version)
    store = Store(submission.form)
    store.enterprise_ids = _with_children(store, period, {submission.enterprise_id})
    rows = [(submission.enterprise_id, submission.scope)]
    compiled = compiled_rules(definition)
    refs = set().union(*(c.refs for c in compiled)) if compiled else set()
    store.load(
        Inputs(store, definition, period).periods_needed(refs) | history_periods(definition, period)
    )
    store.put(submission.period, submission.enterprise_id, submission.scope, cells)
    return check(store, definition, period, rows)[0]


def _with_children(store: Store, period: Period, enterprise_ids: set[int]) -> set[int]:
    """The enterprises and their direct subsidiaries: what a cross-entity check reads."""
    children = store.tree(period).children
    return enterprise_ids | {c for e in enterprise_ids for c in children.get(e, ())}
