"""Running a form's rules over all submissions of a period at once.

The rules are compiled once per form version; the inputs they name (this period's cells, other
periods', the standalone report, the direct subsidiaries' consolidated totals) are gathered into
one table with a column per input, and every rule is evaluated over all rows in one vectorised
pass. Only failing rows come back to Python, to be put into words.
"""

from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import orjson
import polars as pl
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import BooleanField, ExpressionWrapper, Func, Q, TextField, Value
from django.db.models.functions import Cast
from django.utils import timezone

from guozi.formulas import evaluate_many
from guozi.formulas.status import OK
from guozi.lib.periods import Period
from guozi.registry.tree import TreeHistory, TreeSnapshot

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


class CellValue(Func):
    """One cell of a submission's stored JSON, extracted by the database: as a number (SQLite)
    or as text (PostgreSQL). Django's key transform on SQLite adds two JSON_TYPE calls per cell
    to tell JSON booleans apart, parsing the JSON three times; stored cells hold none (a
    boolean is stored as 1 or 0)."""

    output_field = TextField()

    def __init__(self, cell: str) -> None:
        super().__init__(Value(cell))

    def as_sql(self, compiler, connection, **extra):
        cell = self.source_expressions[0].value
        column = compiler.quote_name_unless_alias("cells")
        if connection.vendor == "postgresql":
            return f"({column} ->> %s)", [cell]
        return f"JSON_EXTRACT({column}, %s)", [f'$."{cell}"']


@dataclass
class Store:
    """Cells of one form's submissions, loaded per period, only the cells the rules read.

    A period whose rules read many cells is decoded from the stored JSON by polars; a period read
    for a few cells only (a prior year, the history of one line) has those cells extracted by
    the database. Each period is a polars table: enterprise, scope, and a column per cell in
    formula units (numbers in the field's unit, percentages as fractions).
    """

    form: Form
    definition: FormDefinition
    enterprise_ids: set[int] | None = None
    states: tuple[str, ...] | None = None  # only reports in these states (e.g. approved)
    frames: dict[str, pl.DataFrame] = field(default_factory=dict)
    overrides: dict[tuple[str, int, str], dict] = field(default_factory=dict)
    trees: dict[str, TreeSnapshot] = field(default_factory=dict)
    history: TreeHistory | None = None  # read when a first tree is needed
    parent_ids: dict[str, pl.Series] = field(default_factory=dict)
    pending: dict[str, Future] = field(default_factory=dict)  # periods being read ahead

    def ensure(self, needs: dict[str, set[str]]) -> None:
        """Load the cells each period needs that are not loaded yet: periods that need many
        cells one by one, the others (prior years, the history of a line) in one query."""
        missing = {}
        for period, cells in needs.items():
            have = set(self.frames[period].columns) if period in self.frames else set()
            wanted = sorted(set(cells) - have)
            if wanted or period not in self.frames:
                missing[period] = wanted
        few = {
            p: cells
            for p, cells in missing.items()
            if len(cells) <= EXTRACT_LIMIT and p not in self.pending  # a read ahead is used
        }
        by_cells: dict[tuple, dict] = defaultdict(dict)
        for period, cells in few.items():  # SQLite parses the JSON once per cell extracted
            by_cells[tuple(cells)][period] = cells
        loaded = {}
        for group in by_cells.values():
            loaded.update(self._fetch_few(group))
        for period, cells in missing.items():
            if period not in few:
                loaded[period] = self._fetch_all(period, cells)
        for period, frame in loaded.items():
            if period in self.frames:
                frame = self.frames[period].join(frame, on=["enterprise", "scope"], how="left")
            self.frames[period] = self._with_overrides(period, frame)

    def put(self, period: str, enterprise_id: int, scope: str, cells: dict) -> None:
        """Use these cells instead of the stored ones (a form being edited)."""
        self.overrides[(period, enterprise_id, scope)] = cells
        if period in self.frames:
            self.frames[period] = self._with_overrides(period, self.frames[period])

    def frame(self, period: Period) -> pl.DataFrame | None:
        return self.frames.get(str(period))

    def tree(self, period: Period) -> TreeSnapshot:
        key = str(period)
        if key not in self.trees:
            if self.history is None:
                self.history = TreeHistory()
            self.trees[key] = self.history.at(period.end)
        return self.trees[key]

    def parents(self, period: Period) -> pl.Series:
        """The enterprises with subsidiaries on the period's last day."""
        key = str(period)
        if key not in self.parent_ids:
            children = self.tree(period).children
            found = [e for e, kids in children.items() if kids]
            self.parent_ids[key] = pl.Series(found, dtype=pl.Int64)
        return self.parent_ids[key]

    def _fields(self, cells: list[str]) -> list[tuple[FieldDef, str]]:
        fields = self.definition.fields_by_code
        return [(fields[c.rpartition(".")[0]], c) for c in cells if c.rpartition(".")[0] in fields]

    def _query(self, periods: list[str]):
        query = Submission.objects.filter(form=self.form, period__in=periods)
        if self.states is not None:
            query = query.filter(state__in=self.states)
        if self.enterprise_ids is not None and len(self.enterprise_ids) <= SQL_ID_LIMIT:
            query = query.filter(enterprise_id__in=sorted(self.enterprise_ids))
        return query

    def _only_wanted(self, table: pl.DataFrame) -> pl.DataFrame:
        if self.enterprise_ids is None or len(self.enterprise_ids) <= SQL_ID_LIMIT:
            return table
        ids = pl.Series(sorted(self.enterprise_ids), dtype=pl.Int64).implode()
        return table.filter(pl.col("enterprise").is_in(ids))

    def _all_sql(self, period: str) -> tuple[str, tuple]:
        rows = (
            self._query([period])
            .annotate(text=Cast("cells", TextField()))
            .values_list("enterprise_id", "scope", "text")
        )
        return rows.query.sql_with_params()

    def _extract_sql(self, periods: list[str], wanted: list[tuple[FieldDef, str]]):
        columns = {f"c{i}": CellValue(cell) for i, (_f, cell) in enumerate(wanted)}
        rows = (
            self._query(periods)
            .annotate(**columns)
            .values_list("period", "enterprise_id", "scope", *columns)
        )
        return rows.query.sql_with_params()

    def prefetch(self, period: Period, cells: set[str] | None = None) -> None:
        """Start reading a period's reports on another connection while this one works on
        the period before (outside a transaction only: the other connection sees committed
        rows alone). Given the cells it will need, they are decoded there too: the decoding
        then overlaps the main thread's table work, which runs without the interpreter lock."""
        key = str(period)
        if connection.in_atomic_block or key in self.frames or key in self.pending:
            return
        sql, params = self._all_sql(key)
        wanted = self._fields(sorted(cells)) if cells else []
        if wanted:
            future = _READER.submit(_fetch_decoded, sql, params, wanted)
        else:
            future = _READER.submit(_fetch_rows, sql, params)
        self.pending[key] = ({cell for _f, cell in wanted}, future)

    def _fetch_all(self, period: str, cells: list[str]) -> pl.DataFrame:
        """Every wanted cell of one period, decoded from the stored JSON by polars."""
        wanted = self._fields(cells)
        pending = self.pending.pop(period, None)
        if pending is not None:
            decoded, future = pending
            if not decoded:
                return self._only_wanted(_decode_rows(future.result(), wanted))
            if {cell for _f, cell in wanted} <= decoded:
                return self._only_wanted(future.result())
            future.result()  # decoded for other cells than these after all: read again
        # Straight from the cursor: the model layer's work per row would cost more than
        # decoding the JSON itself.
        with connection.cursor() as cursor:
            cursor.execute(*self._all_sql(period))
            fetched = cursor.fetchall()
        return self._only_wanted(_decode_rows(fetched, wanted))

    def _fetch_few(self, needs: dict[str, list[str]]) -> dict[str, pl.DataFrame]:
        """A few cells of several periods, extracted by the database in one query."""
        wanted = self._fields(sorted({c for cells in needs.values() for c in cells}))
        sql, params = self._extract_sql(sorted(needs), wanted)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            table = self._only_wanted(_extracted(cursor.fetchall(), wanted))
        frames = {period: table.clear().drop("period") for period in needs}
        for (period,), part in table.partition_by("period", as_dict=True).items():
            frames[period] = part.drop("period")
        return {
            period: frame.select("enterprise", "scope", *needs[period])
            for period, frame in frames.items()
        }

    def _with_overrides(self, period: str, frame: pl.DataFrame) -> pl.DataFrame:
        mine = [(key, cells) for key, cells in self.overrides.items() if key[0] == period]
        if not mine:
            return frame
        wanted = self._fields([c for c in frame.columns if c not in ("enterprise", "scope")])
        replaced = _decode([(e, s, cells) for (_p, e, s), cells in mine], wanted)
        kept = frame.join(
            replaced.select("enterprise", "scope"), on=["enterprise", "scope"], how="anti"
        )
        return pl.concat([kept, replaced.select(frame.columns)], how="vertical_relaxed")


# One reader thread: a period's reports are read on its own connection while the main thread
# checks the period before (the database's work and the network wait overlap Python's).
_READER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="guozi-store")


def _fetch_rows(sql: str, params) -> list[tuple]:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    finally:
        connections.close_all()  # this thread's connections


def _fetch_decoded(sql: str, params, wanted: list[tuple[FieldDef, str]]) -> pl.DataFrame:
    return _decode_rows(_fetch_rows(sql, params), wanted)


def _decode_rows(fetched: list[tuple], wanted: list[tuple[FieldDef, str]]) -> pl.DataFrame:
    """(enterprise, scope, JSON text) rows → a table of the wanted cells in formula units."""
    return _decode([(e, s, orjson.loads(text)) for e, s, text in fetched], wanted)


EXTRACT_LIMIT = 12  # beyond this many cells, decoding the whole JSON is faster
SQL_ID_LIMIT = 500  # more enterprises than this are filtered after reading, not in the SQL


def _cell_dtype(field: FieldDef):
    return pl.Int64 if field.numeric or field.kind == "boolean" else pl.String


def _extracted(rows: list[tuple], wanted: list[tuple[FieldDef, str]]) -> pl.DataFrame:
    """(period, enterprise, scope, *cells) rows extracted by the database → a table in
    formula units."""
    table = pl.DataFrame(
        rows,
        schema={
            "period": pl.String,
            "enterprise": pl.Int64,
            "scope": pl.String,
            **{cell: pl.String for _f, cell in wanted},
        },
        orient="row",
        strict=False,  # SQLite extracts numbers as numbers, PostgreSQL as text
    )
    return table.with_columns(
        _to_formula_units(f, pl.col(cell).cast(_cell_dtype(f), strict=False), cell)
        for f, cell in wanted
    )


def _decode(rows: list[tuple[int, str, dict]], wanted: list[tuple[FieldDef, str]]) -> pl.DataFrame:
    """(enterprise, scope, cells) rows → a table of the wanted cells in formula units."""
    cells = pl.from_dicts(
        [row[2] for row in rows],
        schema={cell: _cell_dtype(f) for f, cell in wanted},
    )
    table = cells.with_columns(
        enterprise=pl.Series([row[0] for row in rows], dtype=pl.Int64),
        scope=pl.Series([row[1] for row in rows], dtype=pl.String),
    ).select("enterprise", "scope", *(cell for _f, cell in wanted))
    return table.with_columns(_to_formula_units(f, pl.col(cell), cell) for f, cell in wanted)


def _to_formula_units(field: FieldDef, column: pl.Expr, cell: str) -> pl.Expr:
    if field.numeric:
        divisor = field.scale * field.unit_factor * (100 if field.unit == "%" else 1)
        return (column.cast(pl.Float64) / divisor).alias(cell)
    if field.kind == "boolean":
        return (column != 0).alias(cell)
    return column.alias(cell)


class Inputs:
    """One column per reference for the rows being validated, gathered by joins."""

    def __init__(self, store: Store, definition: FormDefinition, period: Period) -> None:
        self.store = store
        self.fields = definition.fields_by_code
        self.period = period
        self._cache: dict[tuple, pl.Series] = {}
        self._joins: dict[tuple, tuple] = {}
        self.fallback_needs: dict[str, set[str]] = {}

    def needs(self, refs) -> dict[str, set[str]]:
        """Which cells of which periods the references read (fallbacks aside)."""
        found: dict[str, set[str]] = defaultdict(set)
        found[str(self.period)]
        for ref in refs:
            if ref.source == "field":
                found[str(self.period.shift(-ref.offset))].add(f"{ref.code}.{ref.column}")
        return found

    def fallbacks(self, refs) -> dict[str, set[str]]:
        """The earlier filings that stand in for a missing prior-year or opening column."""
        found: dict[str, set[str]] = defaultdict(set)
        for ref in refs:
            base = self.period.shift(-ref.offset)
            if ref.source == "field" and ref.column == "prior_year":
                found[str(base.prior_year())].add(f"{ref.code}.current")
            if ref.source == "field" and ref.column == "opening":
                found[str(base.first_of_year().previous())].add(f"{ref.code}.current")
        return found

    def frame(self, rows: list[tuple[int, str]], refs) -> pl.DataFrame:
        targets = pl.DataFrame(
            {"enterprise": [r[0] for r in rows], "scope": [r[1] for r in rows]},
            schema={"enterprise": pl.Int64, "scope": pl.String},
        ).with_row_index("row")
        self._prime(refs, targets)
        columns = [self.column(ref, targets) for ref in refs]
        if not columns:
            return pl.DataFrame({"__rows": [0] * len(rows)})
        return pl.DataFrame(columns)

    def column(self, ref, targets: pl.DataFrame) -> pl.Series:
        dtype = POLARS_TYPE[ref.kind]
        period = self.period.shift(-ref.offset)
        if ref.source == "context":
            value = float(period.index if ref.code == "period_index" else period.per_year)
            return pl.Series(ref.key, [value] * targets.height, dtype=dtype)
        if ref.aggregate == "children":
            series = self._children_total(ref.code, ref.column, period, targets)
        else:
            series = self._cell(ref.code, ref.column, period, targets, ref.scope)
        return series.cast(dtype).alias(ref.key)

    def _prime(self, refs, targets: pl.DataFrame) -> None:
        """Look up the plain cell references of the targets' own reports in one pass per
        period and scope: one table operation for all their cells instead of several each."""
        groups: dict[tuple, set[str]] = defaultdict(set)
        for ref in refs:
            if ref.source == "field" and ref.aggregate != "children":
                groups[(self.period.shift(-ref.offset), ref.scope)].add(f"{ref.code}.{ref.column}")
        for (period, scope), cells in groups.items():
            frame = self.store.frame(period)
            present = sorted(c for c in cells if frame is not None and c in frame.columns)
            if present:
                values = self._values(period, frame, present, targets, scope)
                for cell in present:
                    key = (str(period), cell, scope, id(targets))
                    self._cache.setdefault(key, (targets, values[cell]))

    def _lookup(self, period: Period, cell: str, targets: pl.DataFrame, scope) -> pl.Series:
        """The cell of each target's report for `period`; `scope` overrides the target's."""
        key = (str(period), cell, scope, id(targets))
        if key not in self._cache:
            # The targets are kept with the result so that their id is not reused meanwhile.
            self._cache[key] = (targets, self._join(period, cell, targets, scope))
        return self._cache[key][1]

    def _join(self, period: Period, cell: str, targets: pl.DataFrame, scope) -> pl.Series:
        frame = self.store.frame(period)
        if frame is None or cell not in frame.columns:
            return pl.Series(cell, [None] * targets.height, dtype=pl.Float64)
        return self._values(period, frame, [cell], targets, scope)[cell]

    def _values(self, period: Period, frame, cells: list[str], targets, scope) -> pl.DataFrame:
        """The cells of each target's report, in the targets' order."""
        own, consolidated, use_consolidated = self._joined(period, frame, targets, scope)
        if use_consolidated is None:
            return own.select(cells)
        # A leaf files one report, which counts as both scopes.
        return own.with_columns(__use=use_consolidated).select(
            pl.when(pl.col("__use") & pl.col(c).is_null())
            .then(consolidated[c])
            .otherwise(pl.col(c))
            .alias(c)
            for c in cells
        )

    def _joined(self, period: Period, frame: pl.DataFrame, targets: pl.DataFrame, scope):
        """The targets joined once with every loaded cell of the period's reports (and, for
        standalone targets, with the consolidated reports leaves stand in with)."""
        key = (str(period), scope, id(targets), frame.width)
        if key not in self._joins:
            keys = targets if scope is None else targets.with_columns(scope=pl.lit(scope))
            own = _left_join(keys, frame)
            wants_standalone = own["scope"] == STANDALONE
            consolidated = use = None
            if frame.height and wants_standalone.any():
                consolidated = _left_join(keys.with_columns(scope=pl.lit(CONSOLIDATED)), frame)
                leaf = ~own["enterprise"].is_in(self.store.parents(period).implode())
                use = wants_standalone & leaf
            self._joins[key] = (targets, own, consolidated, use)
        return self._joins[key][1:]

    def _cell(self, code: str, column: str, period: Period, targets, scope=None) -> pl.Series:
        values = self._lookup(period, f"{code}.{column}", targets, scope)
        if column in ("prior_year", "opening") and values.null_count():
            # Fall back to what was filed a year earlier (read only when a column is missing).
            earlier = (
                period.prior_year()
                if column == "prior_year"
                else (period.first_of_year().previous())
            )
            self.store.ensure({str(earlier): self.fallback_needs.get(str(earlier), set())})
            values = values.fill_null(self._lookup(earlier, f"{code}.current", targets, scope))
        return values

    def _children_total(self, code: str, column: str, period: Period, targets) -> pl.Series:
        """Σ of the direct subsidiaries' consolidated values; missing until all have reported."""
        tree = self.store.tree(period)
        links = [
            (child, parent)
            for parent in targets["enterprise"].unique()
            for child in tree.children.get(parent, ())
        ]
        if not links:
            return pl.Series([None] * targets.height, dtype=pl.Float64)
        pairs = pl.DataFrame(
            {"child": [c for c, _p in links], "parent": [p for _c, p in links]},
            schema={"child": pl.Int64, "parent": pl.Int64},
        ).with_row_index("row")
        child_targets = pairs.select("row", enterprise="child", scope=pl.lit(CONSOLIDATED))
        values = self._cell(code, column, period, child_targets, CONSOLIDATED)
        totals = (
            pairs.with_columns(value=values)
            .group_by("parent")
            .agg(total=pl.col("value").sum(), missing=pl.col("value").null_count())
            .select("parent", total=pl.when(pl.col("missing") == 0).then(pl.col("total")))
        )
        return targets.join(totals, left_on="enterprise", right_on="parent", how="left").sort(
            "row"
        )["total"]


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


def _fails(op: str, left: pl.Expr, right: pl.Expr, tolerance: float) -> pl.Expr:
    """Where a comparison fails by more than the tolerance."""
    difference = left - right
    return {
        "=": difference.abs() > tolerance,
        "!=": difference.abs() <= tolerance,
        "<": difference >= tolerance,
        "<=": difference > tolerance,
        ">": difference <= -tolerance,
        ">=": difference < -tolerance,
    }[op]


def _failing_rows(item: CompiledRule, index: int, outcome: pl.DataFrame) -> list[int]:
    rule = item.rule
    checked = pl.col(f"w{index}__status") == OK
    if item.op:
        sides_ok = (pl.col(f"l{index}__status") == OK) & (pl.col(f"r{index}__status") == OK)
        tolerance = float(rule.tolerance) + 1e-9
        failing = sides_ok & _fails(item.op, pl.col(f"l{index}"), pl.col(f"r{index}"), tolerance)
    else:
        failing = checked & (pl.col(f"w{index}") == False)  # noqa: E712 - a polars expression
    if rule.missing == "fail":
        failing = failing | ~checked
    marked = outcome.select(failing.fill_null(False).alias("f")).with_row_index("row")
    return marked.filter(pl.col("f"))["row"].to_list()


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
        failing = _failing_rows(item, index, outcome)
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


REQUIRED_RULE = RuleDef(
    code="required", severity="error", name_zh="必填项", name_en="Required fields"
)


def _required(inputs: Inputs, definition: FormDefinition, targets) -> dict[int, Violation]:
    required = [f for f in definition.fields if f.required]
    if not required:
        return {}
    empty = pl.DataFrame(
        [
            inputs._lookup(inputs.period, f"{f.code}.current", targets, None)
            .is_null()
            .alias(f.code)
            for f in required
        ]
    )
    found = {}
    flagged = empty.with_row_index("row").filter(pl.any_horizontal(pl.exclude("row")))
    for row in flagged.iter_rows(named=True):
        missing = [f for f in required if row[f.code]]
        found[row["row"]] = Violation(
            REQUIRED_RULE,
            "必填项未填写：" + "、".join(f.name_zh for f in missing),
            "Required fields are empty: " + ", ".join(f.name_en for f in missing),
            [f"{f.code}.current" for f in missing],
        )
    return found


HISTORY_MIN_POINTS = 10


def _history_table(inputs: Inputs, code: str, span: int, targets) -> pl.DataFrame:
    """Per target row, the seasonal ratios r0 (this month) … r{span} of a flow's monthly value.

    The year-to-date values of every month needed are stacked and widened once, so the monthly
    flows and their ratios are a handful of column expressions, not a join per month.
    """
    cell = f"{code}.current"
    months = span + 13  # the ratio of the oldest lag needs its month a year and a month back
    stacked = []
    for back in range(months + 1):
        frame = inputs.store.frame(inputs.period.shift(-back))
        if frame is not None and cell in frame.columns:
            stacked.append(
                frame.select(
                    "enterprise", "scope", pl.lit(back).alias("back"), pl.col(cell).alias("ytd")
                )
            )
    names = [str(back) for back in range(months + 1)]
    if stacked:
        wide = pl.concat(stacked).pivot(on="back", index=["enterprise", "scope"], values="ytd")
    else:
        wide = pl.DataFrame(schema={"enterprise": pl.Int64, "scope": pl.String})
    wide = wide.with_columns(
        pl.lit(None, pl.Float64).alias(n) for n in names if n not in wide.columns
    )

    def monthly(back: int) -> pl.Expr:
        ytd = pl.col(str(back))
        return ytd if inputs.period.shift(-back).index == 1 else ytd - pl.col(str(back + 1))

    ratios = wide.select(
        "enterprise",
        "scope",
        *(
            pl.when((monthly(lag + 12) > 0) & (monthly(lag) >= 0))
            .then(monthly(lag) / monthly(lag + 12))
            .alias(f"r{lag}")
            for lag in range(span + 1)
        ),
    )
    return targets.join(ratios, on=["enterprise", "scope"], how="left").sort("row")


def _history_outliers(rule: RuleDef, inputs: Inputs, targets) -> dict[int, Violation]:
    """This month's own flow against the enterprise's history, robust to seasonality.

    The seasonal ratio r(t) = m(t) / m(t − 12) of the monthly flow m is compared with the same
    ratio over the past `window` − 12 months by a robust z-score (median and MAD), so a December
    peak that recurs every year is no outlier but a sudden jump is.
    """
    field = inputs.fields[rule.field]
    span = _history_span(rule)
    table = _history_table(inputs, field.code, span, targets)
    history = (
        table.select("row", h=pl.concat_list([f"r{lag}" for lag in range(1, span + 1)]))
        .explode("h")
        .drop_nulls("h")
    )
    stats = history.group_by("row").agg(median=pl.col("h").median(), n=pl.len())
    spread = (
        history.join(stats, on="row")
        .group_by("row")
        .agg(mad=(pl.col("h") - pl.col("median")).abs().median())
    )
    scored = (
        table.select("row", current="r0")
        .join(stats, on="row")
        .join(spread, on="row")
        .filter((pl.col("n") >= HISTORY_MIN_POINTS) & pl.col("current").is_not_null())
        .with_columns(
            # A floor on the spread: smooth histories would make every small wobble an outlier.
            spread=pl.max_horizontal(pl.col("mad") * 1.4826, pl.col("median").abs() * 0.1, 0.05)
        )
        .with_columns(score=(pl.col("current") - pl.col("median")).abs() / pl.col("spread"))
        .filter(pl.col("score") > float(rule.threshold))
    )
    found = {}
    for row in scored.iter_rows(named=True):
        current, median, score, n = row["current"], row["median"], row["score"], row["n"]
        found[row["row"]] = Violation(
            rule,
            f"{rule.name_zh}：本月{field.name_zh}为上年同月的 {current:.2f} 倍，"
            f"过去 {n} 个月该倍数的中位数为 {median:.2f}（偏离 {score:.1f} 个稳健标准差）",
            f"{rule.name_en}: this month's {field.name_en} is {current:.2f}× the same month "
            f"last year; over the past {n} months that ratio had a median of {median:.2f} "
            f"({score:.1f} robust standard deviations away)",
            [f"{field.code}.current"],
        )
    return found


def needs_for(definition: FormDefinition, period: Period) -> dict[str, set[str]]:
    """The cells of each period that validating `period` reads."""
    compiled = compiled_rules(definition)
    refs = set().union(*(c.refs for c in compiled)) if compiled else set()
    needs = Inputs(None, definition, period).needs(refs)
    needs[str(period)] |= {f"{f.code}.current" for f in definition.fields if f.required}
    for rule in definition.rules:
        if rule.kind == "history_outlier":
            for back in range(_history_span(rule) + 14):
                needs[str(period.shift(-back))].add(f"{rule.field}.current")
    return needs


def _history_span(rule: RuleDef) -> int:
    return max(rule.window - 12, 6)


def check(
    store: Store, definition: FormDefinition, period: Period, rows: list[tuple[int, str]]
) -> list[list[Violation]]:
    """Every rule over the rows (enterprise id, scope) of one period; violations per row."""
    compiled = compiled_rules(definition)
    inputs = Inputs(store, definition, period)
    refs = set().union(*(c.refs for c in compiled)) if compiled else set()
    inputs.fallback_needs = inputs.fallbacks(refs)
    store.ensure(needs_for(definition, period))
    tree = store.tree(period)
    targets = pl.DataFrame(
        {"enterprise": [r[0] for r in rows], "scope": [r[1] for r in rows]},
        schema={"enterprise": pl.Int64, "scope": pl.String},
    ).with_row_index("row")
    frame = inputs.frame(rows, sorted(refs, key=lambda r: r.key))

    def applies(rule: RuleDef, i: int) -> bool:
        enterprise_id, scope = rows[i]
        return _applies(rule, scope, tree, enterprise_id)

    found = {}
    if compiled:
        outcome = _outcome_frame(compiled, frame)
        found = _violations_for(
            compiled, outcome, frame, definition.fields_by_code, definition.unit, applies
        )
    results: list[list[Violation]] = [[] for _ in rows]
    for i, violation in _required(inputs, definition, targets).items():
        results[i].append(violation)
    for i, violations in found.items():
        results[i].extend(violations)
    for rule in definition.rules:
        if rule.kind == "history_outlier":
            for i, violation in _history_outliers(rule, inputs, targets).items():
                if applies(rule, i):
                    results[i].append(violation)
    return results


@transaction.atomic
def validate_period(form: Form, period: Period, submission_ids: list[int] | None = None) -> int:
    """Validate submissions of a period (all, or the given ones) and store the results."""
    definition = definition_of(version_in_force(form, period))
    targets = _targets(form, period, submission_ids)
    if not targets:
        return 0
    store = Store(form, definition)
    if submission_ids is not None:
        store.enterprise_ids = _with_children(store, period, {t[1] for t in targets})
    results = check(store, definition, period, [(t[1], t[2]) for t in targets])
    _store_results(
        targets, results, whole_period=(form, period) if submission_ids is None else None
    )
    return len(targets)


def _targets(form: Form, period: Period, submission_ids: list[int] | None = None) -> list[tuple]:
    """(id, enterprise, scope, errors, warnings, never validated) of the submissions to
    validate (a flag, not the time: parsing a timestamp per report costs more than the rest)."""
    query = Submission.objects.filter(form=form, period=str(period)).annotate(
        never=ExpressionWrapper(Q(validated_at__isnull=True), output_field=BooleanField())
    )
    columns = ("id", "enterprise_id", "scope", "errors", "warnings", "never")
    if submission_ids is None:
        return list(query.values_list(*columns))
    found = []
    for start in range(0, len(submission_ids), 2000):
        chunk = submission_ids[start : start + 2000]
        found.extend(query.filter(id__in=chunk).values_list(*columns))
    return found


def _store_results(targets: list[tuple], results: list[list[Violation]], whole_period=None):
    """Replace the stored results; counts are written only where they changed (or were never
    computed), since re-validating a month of unchanged reports changes almost nothing."""
    if whole_period is not None:
        form, period = whole_period
        RuleResult.objects.filter(submission__form=form, submission__period=str(period)).delete()
    else:
        ids = [t[0] for t in targets]
        for start in range(0, len(ids), 2000):
            RuleResult.objects.filter(submission_id__in=ids[start : start + 2000]).delete()
    RuleResult.objects.bulk_create(
        (
            RuleResult(
                submission_id=target[0],
                rule=v.rule.code,
                severity=v.severity,
                message_zh=v.message_zh,
                message_en=v.message_en,
                cells=v.cells,
            )
            for target, violations in zip(targets, results, strict=True)
            for v in violations
        ),
        batch_size=2000,
    )
    now = timezone.now()
    table = Submission._meta.db_table
    clean, counted = [], []
    for (sid, _e, _s, errors, warnings, never), violations in zip(targets, results, strict=True):
        new_errors = sum(v.severity == "error" for v in violations)
        new_warnings = len(violations) - new_errors
        if new_errors or new_warnings:
            # The whole-period statement below zeroes every row, so all of these are rewritten.
            changed = never or (errors, warnings) != (new_errors, new_warnings)
            if changed or whole_period is not None:
                counted.append((new_errors, new_warnings, now, sid))
        elif never or errors or warnings:
            clean.append(sid)
    with connection.cursor() as cursor:
        # Most reports pass every rule: one statement for them, one row at a time for the rest.
        if whole_period is not None:
            form, period = whole_period
            cursor.execute(
                f"UPDATE {table} SET errors = 0, warnings = 0, validated_at = %s "
                f"WHERE form_id = %s AND period = %s "
                f"AND (errors <> 0 OR warnings <> 0 OR validated_at IS NULL)",
                [now, form.id, str(period)],
            )
        else:
            for start in range(0, len(clean), 2000):
                chunk = clean[start : start + 2000]
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    f"UPDATE {table} SET errors = 0, warnings = 0, validated_at = %s "
                    f"WHERE id IN ({marks})",
                    [now, *chunk],
                )
        for start in range(0, len(counted), 5000):
            cursor.executemany(
                f"UPDATE {table} SET errors = %s, warnings = %s, validated_at = %s WHERE id = %s",
                counted[start : start + 5000],
            )


def check_draft(submission: Submission, cells: dict) -> list[Violation]:
    """The violations these cells would have, without storing anything (live form checks)."""
    period = Period.parse(submission.period)
    definition = definition_of(submission.version)
    store = Store(submission.form, definition)
    store.enterprise_ids = _with_children(store, period, {submission.enterprise_id})
    store.put(submission.period, submission.enterprise_id, submission.scope, cells)
    rows = [(submission.enterprise_id, submission.scope)]
    return check(store, definition, period, rows)[0]


def _with_children(store: Store, period: Period, enterprise_ids: set[int]) -> set[int]:
    """The enterprises and their direct subsidiaries: what a cross-entity check reads."""
    children = store.tree(period).children
    return enterprise_ids | {c for e in enterprise_ids for c in children.get(e, ())}


def validate_range(form: Form, periods: list[Period], progress=None) -> int:
    """Validate every submission of several periods, reading each period's cells once."""
    store: Store | None = None
    total = 0
    ordered = sorted(periods)
    for done, period in enumerate(ordered, start=1):
        definition = definition_of(version_in_force(form, period))
        if store is None or store.definition.version != definition.version:
            store = Store(form, definition)
        if done < len(ordered):
            store.prefetch(ordered[done])
        with transaction.atomic():
            targets = _targets(form, period)
            if targets:
                results = check(store, definition, period, [(t[1], t[2]) for t in targets])
                _store_results(targets, results, whole_period=(form, period))
        total += len(targets)
        if progress:
            progress(done, len(periods))
    return total


def _left_join(keys: pl.DataFrame, frame: pl.DataFrame) -> pl.DataFrame:
    """Each key's report cells, in the keys' order (all missing when the period has none)."""
    if not frame.height:
        missing = [
            pl.lit(None, dtype=dtype).alias(name)
            for name, dtype in frame.schema.items()
            if name not in ("enterprise", "scope")
        ]
        return keys.with_columns(missing)
    return keys.join(frame, on=["enterprise", "scope"], how="left", maintain_order="left")
