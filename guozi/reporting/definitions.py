"""Form definitions: a framework file (YAML) read into checked, immutable descriptions.

A definition says what a form asks for (sections, fields, the columns of each field), who files
it and when, and which rules its values must pass. It is data: loading one never runs code.
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import yaml
from django.utils.translation import gettext as _

from guozi.lib.periods import Period

BASES = ("fast", "final", "budget")
KINDS = ("flow", "balance", "average", "count", "boolean", "date", "choice", "text")
NUMERIC_KINDS = ("flow", "balance", "average", "count")
UNITS = ("元", "万元", "亿元", "人", "%", "none")
MONEY_UNITS = {"元": 1, "万元": 10_000, "亿元": 100_000_000}
COLUMNS = ("current", "prior_year", "opening")
SCOPES = ("consolidated", "standalone")
SEVERITIES = ("error", "warning")
MISSING_POLICIES = ("skip", "zero", "fail")
RULE_KINDS = ("formula", "history_outlier")
DEFAULT_COLUMNS = {
    "flow": ("current", "prior_year"),
    "balance": ("current", "opening"),
    "average": ("current", "prior_year"),
}
# Stored integers: money in fen, other numbers with a fixed number of decimals.
DEFAULT_DECIMALS = {"元": 2, "万元": 2, "亿元": 2, "人": 0, "%": 2, "none": 4}


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class DefinitionError(Exception):
    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {p}" for p in problems))


@dataclass(frozen=True)
class Section:
    """A part of the form; a floating section (浮动行) has as many rows as the filer adds, each
    named by its key (a lender, a product), and each of its fields totals its rows."""

    code: str
    name_zh: str
    name_en: str
    floating: bool = False
    key_zh: str = ""
    key_en: str = ""
    max_rows: int = 50


@dataclass(frozen=True)
class FieldDef:
    code: str
    name_zh: str
    name_en: str
    section: str
    kind: str
    unit: str
    columns: tuple[str, ...]
    required: bool = False
    min: Decimal | None = None
    max: Decimal | None = None
    decimals: int = 2
    choices: tuple[str, ...] = ()
    help_zh: str = ""
    help_en: str = ""
    floating: bool = False  # in a floating section: entered per row, `code.column` is the total

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS

    @property
    def scale(self) -> int:
        """Stored integer = value in `storage_unit` × scale."""
        return 10**self.decimals

    @property
    def unit_factor(self) -> int:
        """How many storage units (元 for money) one entered unit is."""
        return MONEY_UNITS.get(self.unit, 1)

    @property
    def money(self) -> bool:
        return self.unit in MONEY_UNITS

    def cells(self) -> list[str]:
        return [f"{self.code}.{column}" for column in self.columns]


@dataclass(frozen=True)
class RuleDef:
    code: str
    severity: str
    name_zh: str
    name_en: str
    kind: str = "formula"
    check: str = ""
    tolerance: Decimal = Decimal(0)
    scope: str | None = None
    missing: str = "skip"
    help_zh: str = ""
    help_en: str = ""
    # history_outlier
    field: str = ""
    window: int = 24
    threshold: Decimal = Decimal(5)


@dataclass(frozen=True)
class Deadline:
    working_days: int
    by_level: dict[int, int] = field(default_factory=dict)
    default_level_days: int | None = None

    def days_for_level(self, level: int) -> int:
        if level in self.by_level:
            return self.by_level[level]
        if level > 1 and self.default_level_days is not None:
            return self.default_level_days
        return self.working_days


@dataclass(frozen=True)
class FormDefinition:
    form: str
    version: str
    valid_from: Period
    name_zh: str
    name_en: str
    basis: str
    period_type: str
    scopes: tuple[str, ...]
    unit: str
    deadline: Deadline
    children_first: bool
    sections: tuple[Section, ...]
    fields: tuple[FieldDef, ...]
    rules: tuple[RuleDef, ...]
    renamed: dict[str, str] = field(default_factory=dict)
    split: dict[str, tuple[str, ...]] = field(default_factory=dict)
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    def field(self, code: str) -> FieldDef:
        return self.fields_by_code[code]

    @property
    def fields_by_code(self) -> dict[str, FieldDef]:
        return {f.code: f for f in self.fields}

    @property
    def rules_by_code(self) -> dict[str, RuleDef]:
        return {r.code: r for r in self.rules}

    def cells(self) -> list[str]:
        return [cell for f in self.fields for cell in f.cells()]

    def fields_in(self, section: str) -> list[FieldDef]:
        return [f for f in self.fields if f.section == section]


class _Reader:
    """Collects every problem of a file instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def text(self, data: dict, key: str, path: str, *, required=True, default="") -> str:
        value = data.get(key, None)
        if value is None or value == "":
            if required:
                self.fail(f"{path}.{key}", _("is required"))
            return default
        if not isinstance(value, str | int | float):
            self.fail(f"{path}.{key}", _("must be text"))
            return default
        return str(value)

    def choice(
        self, data: dict, key: str, path: str, options, *, default=None, optional=False
    ) -> str | None:
        value = data.get(key, default)
        if value is None:
            if default is None and not optional:
                self.fail(f"{path}.{key}", _("is required"))
            return default
        if value not in options:
            self.fail(
                f"{path}.{key}",
                _("“%(value)s” is not one of %(options)s")
                % {"value": value, "options": ", ".join(map(str, options))},
            )
            return default
        return value

    def number(self, data: dict, key: str, path: str) -> Decimal | None:
        value = data.get(key)
        if value is None:
            return None
        try:
            return Decimal(str(value))
        except InvalidOperation:
            self.fail(f"{path}.{key}", _("“%(value)s” is not a number") % {"value": value})
            return None

    def integer(self, data: dict, key: str, path: str, default: int | None = None) -> int | None:
        value = data.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.fail(f"{path}.{key}", _("must be a whole number ≥ 0"))
            return default
        return value

    def unknown_keys(self, data: dict, allowed: set[str], path: str) -> None:
        for key in sorted(set(data) - allowed, key=str):
            self.fail(f"{path}.{key}", _("unknown key"))


FORM_KEYS = {
    "form",
    "version",
    "valid_from",
    "name_zh",
    "name_en",
    "basis",
    "period_type",
    "scopes",
    "unit",
    "deadline",
    "reporters",
    "children_first",
    "sections",
    "fields",
    "rules",
    "renamed",
    "split",
}
SECTION_KEYS = {"code", "name_zh", "name_en", "floating", "key_zh", "key_en", "max_rows"}
FIELD_KEYS = {
    "code",
    "name_zh",
    "name_en",
    "section",
    "kind",
    "unit",
    "columns",
    "required",
    "min",
    "max",
    "decimals",
    "choices",
    "help_zh",
    "help_en",
}
RULE_KEYS = {
    "code",
    "severity",
    "name_zh",
    "name_en",
    "kind",
    "check",
    "tolerance",
    "scope",
    "missing",
    "help_zh",
    "help_en",
    "field",
    "window",
    "threshold",
}
PERIOD_TYPES = ("month", "quarter", "half", "year")


def parse_definition(text: str, source: str = "<framework>", base_of=None) -> FormDefinition:
    """Read and check a framework file; raise DefinitionError listing every problem.

    A file may take its sections, fields and rules from another form (`fields_from: CODE`,
    optionally `exclude_rules: [...]`): `base_of(code)` gives that form's definition data. The
    definition keeps the merged data, so a stored version never depends on another one.
    """
    data = load_yaml(text, source)
    if "fields_from" in data:
        data = _merged(data, source, base_of)
    return definition_from_data(data, source)


def load_yaml(text: str, source: str) -> dict:
    """A framework file's mapping; DefinitionError saying where the YAML is broken."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = (
            _("line %(line)s, column %(column)s")
            % {"line": mark.line + 1, "column": mark.column + 1}
            if mark
            else ""
        )
        raise DefinitionError(source, [Problem(where, _("not valid YAML"))]) from error
    if not isinstance(data, dict):
        raise DefinitionError(source, [Problem("", _("the file must be a YAML mapping"))])
    return data


def _merged(data: dict, source: str, base_of) -> dict:
    code = data["fields_from"]
    base = base_of(code) if base_of else None
    if base is None:
        raise DefinitionError(
            source, [Problem(".fields_from", _("no such form “%(value)s”") % {"value": code})]
        )
    merged = {k: v for k, v in data.items() if k not in ("fields_from", "exclude_rules")}
    for key in ("sections", "fields", "rules"):
        merged.setdefault(key, base.get(key) or [])
    excluded = set(data.get("exclude_rules") or [])
    unknown = excluded - {rule.get("code") for rule in merged["rules"]}
    if unknown:
        raise DefinitionError(
            source,
            [
                Problem(
                    ".exclude_rules", _("no such rule “%(value)s”") % {"value": sorted(unknown)[0]}
                )
            ],
        )
    merged["rules"] = [rule for rule in merged["rules"] if rule.get("code") not in excluded]
    return merged


def definition_from_data(data: dict, source: str = "<framework>") -> FormDefinition:
    return _Definition(data, source).read()


class _Definition(_Reader):
    def __init__(self, data: dict, source: str) -> None:
        super().__init__()
        self.data = data
        self.source = source

    def read(self) -> FormDefinition:
        data = self.data
        self.unknown_keys(data, FORM_KEYS, "")
        form = self.text(data, "form", "")
        version = self.text(data, "version", "")
        valid_from = self._period(data.get("valid_from"))
        period_type = self.choice(data, "period_type", "", PERIOD_TYPES, default="month")
        if valid_from and valid_from.type != period_type:
            self.fail(".valid_from", _("must be a period of the form's period type"))
        unit = self.choice(data, "unit", "", UNITS, default="万元")
        scopes = tuple(data.get("scopes") or SCOPES)
        for scope in scopes:
            if scope not in SCOPES:
                self.fail(".scopes", _("unknown scope “%(value)s”") % {"value": scope})
        sections = self._sections(data.get("sections") or [])
        fields = self._fields(data.get("fields") or [], unit, sections)
        rules = self._rules(data.get("rules") or [], {f.code: f for f in fields})
        definition = FormDefinition(
            form=form,
            version=version,
            valid_from=valid_from or Period.parse("2000-01"),
            name_zh=self.text(data, "name_zh", ""),
            name_en=self.text(data, "name_en", ""),
            basis=self.choice(data, "basis", "", BASES, default="fast"),
            period_type=period_type,
            scopes=scopes,
            unit=unit,
            deadline=self._deadline(data.get("deadline") or {}),
            children_first=bool(data.get("children_first", True)),
            sections=tuple(sections),
            fields=tuple(fields),
            rules=tuple(rules),
            renamed=dict(data.get("renamed") or {}),
            split={k: tuple(v) for k, v in (data.get("split") or {}).items()},
            raw=data,
        )
        if self.problems:
            raise DefinitionError(self.source, self.problems)
        return definition

    def _period(self, value) -> Period | None:
        if value is None:
            self.fail(".valid_from", _("is required"))
            return None
        try:
            return Period.parse(str(value))
        except ValueError as error:
            self.fail(".valid_from", str(error))
            return None

    def _sections(self, items: list) -> list[Section]:
        sections = []
        for i, item in enumerate(items):
            path = f".sections[{i}]"
            if not isinstance(item, dict):
                self.fail(path, _("must be a mapping"))
                continue
            self.unknown_keys(item, SECTION_KEYS, path)
            floating = bool(item.get("floating", False))
            sections.append(
                Section(
                    code=self.text(item, "code", path),
                    name_zh=self.text(item, "name_zh", path),
                    name_en=self.text(item, "name_en", path),
                    floating=floating,
                    key_zh=self.text(item, "key_zh", path, required=floating),
                    key_en=self.text(item, "key_en", path, required=floating),
                    max_rows=self.integer(item, "max_rows", path, 50) or 50,
                )
            )
        if not sections:
            self.fail(".sections", _("a form needs at least one section"))
        return sections

    def _fields(self, items: list, form_unit: str, sections: list[Section]) -> list[FieldDef]:
        section_codes = {s.code for s in sections}
        floating_sections = {s.code for s in sections if s.floating}
        fields: list[FieldDef] = []
        seen: set[str] = set()
        for i, item in enumerate(items):
            path = f".fields[{i}]"
            if not isinstance(item, dict):
                self.fail(path, _("must be a mapping"))
                continue
            self.unknown_keys(item, FIELD_KEYS, path)
            code = self.text(item, "code", path)
            if code:
                path = f".fields[{code}]"
                if not code.isidentifier() or not code.isascii():
                    self.fail(path, _("a field code is letters, digits and _ only"))
                if code in seen:
                    self.fail(path, _("the code is used twice"))
                seen.add(code)
            section = self.text(item, "section", path)
            if section and section not in section_codes:
                self.fail(f"{path}.section", _("no such section “%(value)s”") % {"value": section})
            kind = self.choice(item, "kind", path, KINDS, default="flow")
            default_unit = form_unit if kind in ("flow", "balance", "average") else "none"
            unit = self.choice(item, "unit", path, UNITS, default=default_unit)
            columns = tuple(item.get("columns") or DEFAULT_COLUMNS.get(kind, ("current",)))
            for column in columns:
                if column not in COLUMNS:
                    self.fail(
                        f"{path}.columns", _("unknown column “%(value)s”") % {"value": column}
                    )
            if "current" not in columns:
                self.fail(f"{path}.columns", _("every field has the current column"))
            choices = tuple(str(c) for c in item.get("choices") or ())
            if kind == "choice" and not choices:
                self.fail(f"{path}.choices", _("a choice field needs its choices"))
            low, high = self.number(item, "min", path), self.number(item, "max", path)
            if low is not None and high is not None and low > high:
                self.fail(path, _("min is greater than max"))
            fields.append(
                FieldDef(
                    code=code,
                    name_zh=self.text(item, "name_zh", path),
                    name_en=self.text(item, "name_en", path),
                    section=section,
                    kind=kind,
                    unit=unit,
                    columns=columns,
                    required=bool(item.get("required", False)),
                    min=low,
                    max=high,
                    decimals=self.integer(item, "decimals", path, DEFAULT_DECIMALS[unit]),
                    choices=choices,
                    help_zh=self.text(item, "help_zh", path, required=False),
                    help_en=self.text(item, "help_en", path, required=False),
                    floating=section in floating_sections,
                )
            )
            if section in floating_sections and kind not in NUMERIC_KINDS:
                self.fail(path, _("a floating section holds numbers only"))
        if not fields:
            self.fail(".fields", _("a form needs at least one field"))
        return fields

    def _rules(self, items: list, fields: dict[str, FieldDef]) -> list[RuleDef]:
        from .rules import rule_problems  # the formula check needs the field list

        rules: list[RuleDef] = []
        seen: set[str] = set()
        for i, item in enumerate(items):
            path = f".rules[{i}]"
            if not isinstance(item, dict):
                self.fail(path, _("must be a mapping"))
                continue
            self.unknown_keys(item, RULE_KEYS, path)
            code = self.text(item, "code", path)
            if code:
                path = f".rules[{code}]"
                if code in seen:
                    self.fail(path, _("the code is used twice"))
                seen.add(code)
            kind = self.choice(item, "kind", path, RULE_KINDS, default="formula")
            rule = RuleDef(
                code=code,
                severity=self.choice(item, "severity", path, SEVERITIES, default="error"),
                name_zh=self.text(item, "name_zh", path),
                name_en=self.text(item, "name_en", path),
                kind=kind,
                check=self.text(item, "check", path, required=kind == "formula"),
                tolerance=self.number(item, "tolerance", path) or Decimal(0),
                scope=self.choice(item, "scope", path, SCOPES, optional=True),
                missing=self.choice(item, "missing", path, MISSING_POLICIES, default="skip"),
                help_zh=self.text(item, "help_zh", path, required=False),
                help_en=self.text(item, "help_en", path, required=False),
                field=self.text(item, "field", path, required=kind == "history_outlier"),
                window=self.integer(item, "window", path, 24),
                threshold=self.number(item, "threshold", path) or Decimal(5),
            )
            for message in rule_problems(rule, fields):
                self.fail(f"{path}.check" if rule.kind == "formula" else path, message)
            rules.append(rule)
        return rules

    def _deadline(self, data: dict) -> Deadline:
        path = ".deadline"
        by_level = {}
        for level, days in (data.get("by_level") or {}).items():
            level = int(level) if str(level).isdigit() else level  # JSON keys are text
            if not isinstance(level, int) or not isinstance(days, int) or days < 1:
                self.fail(f"{path}.by_level", _("levels and days are whole numbers ≥ 1"))
                continue
            by_level[level] = days
        return Deadline(
            working_days=self.integer(data, "working_days", path, 10) or 10,
            by_level=by_level,
            default_level_days=self.integer(data, "default_level_days", path),
        )


def check_version_change(previous: FormDefinition, new: FormDefinition) -> list[Problem]:
    """Field codes are stable: a code that disappears must be renamed or split explicitly."""
    problems = []
    new_codes = set(new.fields_by_code)
    for code in previous.fields_by_code:
        if code in new_codes:
            continue
        target = new.renamed.get(code)
        parts = new.split.get(code)
        if target is None and parts is None:
            problems.append(
                Problem(
                    f".fields[{code}]",
                    _(
                        "field “%(code)s” of version %(version)s is missing; keep the code, or "
                        "map it under renamed or split"
                    )
                    % {"code": code, "version": previous.version},
                )
            )
        for mapped in [target] if target else list(parts or ()):
            if mapped not in new_codes:
                problems.append(
                    Problem(
                        f".renamed[{code}]",
                        _("maps to “%(code)s”, which this version does not have")
                        % {"code": mapped},
                    )
                )
    return problems
