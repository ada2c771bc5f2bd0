"""Indicator framework files (YAML) → checked definitions, every formula compiled.

A framework names the forms it reads (their fields are the formula names), named parts (EBIT,
value added), indicators (a formula, or a numerator and a denominator), the indicator sets and
the years each is assessed in, and a health check: banded ratios and the Altman Z″ score.
"""

import itertools
import re
from dataclasses import dataclass, field
from functools import cached_property

from django.utils.translation import gettext as _

from guozi.formulas import (
    ChainResolver,
    Compiled,
    ContextResolver,
    Expansion,
    FieldResolver,
    FormulaError,
    Ref,
    ResolverError,
    UnknownName,
    compile_formula,
    parse,
)
from guozi.formulas.refs import close_names
from guozi.lib.periods import Period
from guozi.reporting.definitions import DefinitionError, FormDefinition, _Reader, load_yaml

UNITS = ("万元", "元", "亿元", "%", "万元/人", "人", "times", "days", "score")
DIRECTIONS = ("higher", "lower")
GROUPS = ("profitability", "liquidity", "solvency", "government")
FRAMEWORK_KEYS = {
    "framework",
    "version",
    "valid_from",
    "name_zh",
    "name_en",
    "forms",
    "parts",
    "indicators",
    "sets",
    "health_check",
    "alerts",
    "stress_scenarios",
}
INDICATOR_KEYS = {
    "code",
    "name_zh",
    "name_en",
    "formula",
    "numerator",
    "denominator",
    "unit",
    "direction",
    "note_zh",
    "note_en",
    "variant",
}
RATIO_KEYS = INDICATOR_KEYS | {
    "group",
    "thresholds",
    "enabled",
    "worst_when",
    "worst_zh",
    "worst_en",
}
SET_KEYS = {"code", "name_zh", "name_en", "indicators", "assessed_from", "assessed_to"} | {
    "why_zh",
    "why_en",
}
HEALTH_KEYS = {"name_zh", "name_en", "overall_cuts", "zones_zh", "zones_en", "ratios", "altman"}
ALTMAN_KEYS = {"name_zh", "name_en", "formula", "zones", "zones_zh", "zones_en"}
ALERT_KEYS = {
    "code",
    "name_zh",
    "name_en",
    "severity",
    "condition",
    "value",
    "limit",
    "unit",
    "message_zh",
    "message_en",
    "enabled",
}
SEVERITIES = ("info", "warning", "critical")
SCENARIO_KEYS = {"code", "name_zh", "name_en", "revenue", "operating_cost", "interest_bp",
                 "one_off_loss", "tax_rate"}  # fmt: skip
PARAMS = ("debt_warning_line", "debt_key_line")
# Names alert conditions may use beyond fields and indicators, with the source of their ref.
ALERT_NAMES = {
    "health_rating": ("health", "rating", "number"),
    "report_overdue": ("state", "overdue", "bool"),
}
CODE = re.compile(r"[a-z][a-z0-9_]*\Z")


@dataclass(frozen=True)
class IndicatorDef:
    code: str
    name_zh: str
    name_en: str
    unit: str
    direction: str
    formula: str  # the whole formula: numerator / denominator for a ratio
    numerator: str | None = None
    denominator: str | None = None
    note_zh: str = ""
    note_en: str = ""
    variant: dict = field(default_factory=dict)
    # Health-check ratios only:
    group: str | None = None
    thresholds: tuple[float, ...] = ()
    enabled: bool = True
    worst_when: str | None = None
    worst_zh: str = ""
    worst_en: str = ""

    @property
    def is_ratio(self) -> bool:
        """A rate (a percentage, a multiple, days, a score): its year-on-year change is a
        difference (in points for a percentage), not a growth rate. An amount per person
        (labour productivity, 万元/人) grows like an amount."""
        return self.unit in ("%", "times", "days", "score")

    def name(self, language: str | None) -> str:
        return self.name_en if (language or "").startswith("en") else self.name_zh


@dataclass(frozen=True)
class IndicatorSet:
    code: str
    name_zh: str
    name_en: str
    indicators: tuple[str, ...]
    assessed_from: int
    assessed_to: int | None = None
    why_zh: str = ""
    why_en: str = ""

    def assessed_in(self, year: int) -> bool:
        return self.assessed_from <= year and (self.assessed_to is None or year <= self.assessed_to)


@dataclass(frozen=True)
class Altman:
    name_zh: str
    name_en: str
    formula: str
    zones: tuple[float, float]
    zones_zh: tuple[str, str, str]
    zones_en: tuple[str, str, str]


@dataclass(frozen=True)
class HealthCheck:
    name_zh: str
    name_en: str
    ratios: tuple[IndicatorDef, ...]
    overall_cuts: tuple[float, ...]
    zones_zh: tuple[str, ...]
    zones_en: tuple[str, ...]
    altman: Altman | None


@dataclass(frozen=True)
class AlertRuleDef:
    """A condition that raises an alert per enterprise while it holds; `value` and `limit` are
    formulas shown in the message as {value} and {limit}, in `unit`."""

    code: str
    name_zh: str
    name_en: str
    severity: str
    condition: str
    message_zh: str
    message_en: str
    value: str | None = None
    limit: str | None = None
    unit: str = ""
    enabled: bool = True

    def name(self, language: str | None) -> str:
        return self.name_en if (language or "").startswith("en") else self.name_zh


@dataclass(frozen=True)
class Scenario:
    """A stress scenario: relative shocks as fractions (-0.05 = −5%), interest in basis points
    a year, a one-off loss in 万元."""

    code: str
    name_zh: str
    name_en: str
    revenue: float = 0.0
    operating_cost: float = 0.0
    interest_bp: float = 0.0
    one_off_loss: float = 0.0
    tax_rate: float = 0.25

    def name(self, language: str | None) -> str:
        return self.name_en if (language or "").startswith("en") else self.name_zh


@dataclass(frozen=True)
class Framework:
    code: str
    version: str
    valid_from: Period
    name_zh: str
    name_en: str
    forms: tuple[str, ...]
    parts: dict[str, str]
    indicators: tuple[IndicatorDef, ...]
    sets: tuple[IndicatorSet, ...]
    health: HealthCheck | None
    raw: dict
    alerts: tuple[AlertRuleDef, ...] = ()
    scenarios: tuple[Scenario, ...] = ()

    @cached_property
    def all_indicators(self) -> tuple[IndicatorDef, ...]:
        """The indicators, the health-check ratios and the Altman score, in that order."""
        found = list(self.indicators)
        if self.health:
            found.extend(self.health.ratios)
            if self.health.altman:
                altman = self.health.altman
                found.append(
                    IndicatorDef(
                        code=ALTMAN_CODE,
                        name_zh=altman.name_zh,
                        name_en=altman.name_en,
                        unit="score",
                        direction="higher",
                        formula=altman.formula,
                    )
                )
        return tuple(found)

    @cached_property
    def by_code(self) -> dict[str, IndicatorDef]:
        return {indicator.code: indicator for indicator in self.all_indicators}

    def set_in_force(self, year: int) -> IndicatorSet | None:
        """The set assessed in `year` (the latest starting one if several overlap)."""
        found = [s for s in self.sets if s.assessed_in(year)]
        return max(found, key=lambda s: s.assessed_from) if found else None


ALTMAN_CODE = "altman_z"


class NamedFormulas:
    """Resolves parts and indicators to their formulas, compiled in place."""

    def __init__(self, formulas: dict[str, str]) -> None:
        self.nodes = {name: parse(text) for name, text in formulas.items()}

    def resolve_name(self, name: str):
        if name not in self.nodes:
            raise UnknownName(name, close_names(name, self.nodes))
        return Expansion(name, self.nodes[name])

    def resolve_function(self, name: str, args: list):
        return None


def resolver_for(framework: Framework, form: FormDefinition) -> ChainResolver:
    """Names in the framework's formulas: its parts, the form's fields, its indicators (an
    indicator named like a field, such as total_profit, is that field), the context."""
    fields = {f.code: _formula_kind(f.kind) for f in form.fields}
    indicators = {i.code: i.formula for i in framework.all_indicators if i.code not in fields}
    return ChainResolver(
        [
            NamedFormulas(framework.parts),
            FieldResolver(fields),
            NamedFormulas(indicators),
            ContextResolver(),
        ]
    )


class AlertNames:
    """What alert conditions may name beyond fields and indicators: `target("roe")` (the
    enterprise's annual target for an indicator), `param("debt_warning_line")`,
    `health_rating` (1–5) and `report_overdue` (its report is late)."""

    def __init__(self, indicator_codes) -> None:
        self.indicator_codes = set(indicator_codes)

    def resolve_name(self, name: str):
        if name not in ALERT_NAMES:
            raise UnknownName(name, close_names(name, ALERT_NAMES))
        source, code, kind = ALERT_NAMES[name]
        return Ref(source, code, kind=kind)

    def resolve_function(self, name: str, args: list):
        if name == "target":
            code = args[0] if len(args) == 1 else None
            if not isinstance(code, str) or code not in self.indicator_codes:
                raise ResolverError(
                    f"target() takes the code of an indicator, in quotes; not {code!r}",
                    f"target() 的参数应为加引号的指标代码，而不是 {code!r}",
                )
            return Ref("target", code)
        if name == "param":
            code = args[0] if len(args) == 1 else None
            if code not in PARAMS:
                raise ResolverError(
                    f"param() takes one of {', '.join(PARAMS)}; not {code!r}",
                    f"param() 的参数应为 {'、'.join(PARAMS)} 之一，而不是 {code!r}",
                )
            return Ref("param", code)
        return None


def alert_resolver_for(framework: Framework, form: FormDefinition) -> ChainResolver:
    codes = [i.code for i in framework.all_indicators]
    return ChainResolver([AlertNames(codes), resolver_for(framework, form)])


def _formula_kind(kind: str) -> str:
    if kind == "boolean":
        return "bool"
    if kind in ("text", "choice", "date"):
        return "text"
    return "number"


def compile_indicators(framework: Framework, form: FormDefinition) -> dict[str, Compiled]:
    """Every indicator compiled against one form; a FormulaError names the indicator."""
    resolver = resolver_for(framework, form)
    return {
        i.code: compile_formula(i.formula, resolver, kind="number")
        for i in framework.all_indicators
    }


def parse_framework(
    text: str, source: str = "<indicators>", forms: dict[str, FormDefinition] | None = None
) -> Framework:
    """Read and check an indicator framework; raise DefinitionError listing every problem.

    With `forms` (code → definition), every formula is compiled against each form it reads.
    """
    data = load_yaml(text, source)
    reader = _FrameworkReader()
    framework = reader.read(data)
    if framework is not None and forms is not None:
        reader.check_formulas(framework, forms)
    if reader.problems:
        raise DefinitionError(source, reader.problems)
    return framework


class _FrameworkReader(_Reader):
    def read(self, data: dict) -> Framework | None:
        self.unknown_keys(data, FRAMEWORK_KEYS, "")
        code = self.code(data, "framework", "")
        version = self.text(data, "version", "")
        valid_from = self.period(data, "valid_from", "")
        forms = data.get("forms") or []
        if not isinstance(forms, list) or not forms or not all(isinstance(f, str) for f in forms):
            self.fail(".forms", _("must be a list of form codes"))
            forms = []
        parts = data.get("parts") or {}
        if not isinstance(parts, dict):
            self.fail(".parts", _("must be a mapping of names to formulas"))
            parts = {}
        parts = {str(name): str(formula) for name, formula in parts.items()}
        for name in parts:
            if not CODE.match(name):
                self.fail(f".parts.{name}", _("a name is lower-case letters, digits and _"))
        indicators = self.indicator_list(data.get("indicators"), ".indicators", INDICATOR_KEYS)
        codes = [i.code for i in indicators]
        health = self.health(data.get("health_check"))
        if health:
            codes += [r.code for r in health.ratios]
            if health.altman:
                codes.append(ALTMAN_CODE)
        for duplicate in sorted({c for c in codes if codes.count(c) > 1}):
            self.fail(
                ".indicators", _("indicator “%(code)s” is defined twice") % {"code": duplicate}
            )
        for name in sorted(set(parts) & set(codes)):
            self.fail(f".parts.{name}", _("an indicator has the same name"))
        sets = self.sets(data.get("sets"), set(codes))
        alerts = self.alerts(data.get("alerts"))
        scenarios = self.scenarios(data.get("stress_scenarios"))
        if self.problems:
            return None
        return Framework(
            code=code,
            version=version,
            valid_from=valid_from,
            name_zh=self.text(data, "name_zh", ""),
            name_en=self.text(data, "name_en", ""),
            forms=tuple(forms),
            parts=parts,
            indicators=tuple(indicators),
            sets=tuple(sets),
            health=health,
            raw=data,
            alerts=tuple(alerts),
            scenarios=tuple(scenarios),
        )

    def code(self, data: dict, key: str, path: str) -> str:
        value = self.text(data, key, path)
        if value and not CODE.match(value):
            self.fail(f"{path}.{key}", _("a code is lower-case letters, digits and _"))
        return value

    def period(self, data: dict, key: str, path: str) -> Period | None:
        value = data.get(key)
        try:
            return Period.parse(str(value))
        except ValueError:
            self.fail(f"{path}.{key}", _("“%(value)s” is not a period") % {"value": value})
            return None

    def indicator_list(self, items, path: str, keys: set[str]) -> list[IndicatorDef]:
        if not isinstance(items, list):
            self.fail(path, _("must be a list"))
            return []
        found = []
        for index, item in enumerate(items):
            where = f"{path}[{item.get('code', index) if isinstance(item, dict) else index}]"
            if not isinstance(item, dict):
                self.fail(where, _("must be a mapping"))
                continue
            indicator = self.indicator(item, where, keys)
            if indicator:
                found.append(indicator)
        return found

    def indicator(self, item: dict, path: str, keys: set[str]) -> IndicatorDef | None:
        self.unknown_keys(item, keys, path)
        code = self.code(item, "code", path)
        formula = item.get("formula")
        numerator, denominator = item.get("numerator"), item.get("denominator")
        if formula is None and (numerator is None or denominator is None):
            self.fail(path, _("give a formula, or a numerator and a denominator"))
            return None
        if formula is not None and (numerator is not None or denominator is not None):
            self.fail(path, _("give a formula or a numerator and denominator, not both"))
            return None
        if formula is None:
            numerator, denominator = str(numerator), str(denominator)
            formula = f"({numerator}) / ({denominator})"
        thresholds = ()
        if "thresholds" in keys:
            thresholds = self.thresholds(item, path)
        variant = item.get("variant") or {}
        if not isinstance(variant, dict):
            self.fail(f"{path}.variant", _("must be a mapping"))
            variant = {}
        return IndicatorDef(
            code=code,
            name_zh=self.text(item, "name_zh", path),
            name_en=self.text(item, "name_en", path),
            unit=self.choice(item, "unit", path, UNITS) or "",
            direction=self.choice(item, "direction", path, DIRECTIONS) or "higher",
            formula=str(formula),
            numerator=numerator,
            denominator=denominator,
            note_zh=self.text(item, "note_zh", path, required=False),
            note_en=self.text(item, "note_en", path, required=False),
            variant=variant,
            group=self.choice(item, "group", path, GROUPS) if "group" in keys else None,
            thresholds=thresholds,
            enabled=bool(item.get("enabled", True)),
            worst_when=item.get("worst_when"),
            worst_zh=self.text(item, "worst_zh", path, required=bool(item.get("worst_when"))),
            worst_en=self.text(item, "worst_en", path, required=bool(item.get("worst_when"))),
        )

    def thresholds(self, item: dict, path: str) -> tuple[float, ...]:
        values = item.get("thresholds")
        where = f"{path}.thresholds"
        if not isinstance(values, list) or len(values) != 4:
            self.fail(where, _("must be a list of four thresholds"))
            return ()
        numbers = []
        for value in values:
            number = threshold_value(value)
            if number is None:
                self.fail(where, _("“%(value)s” is not a number") % {"value": value})
                return ()
            numbers.append(number)
        higher = item.get("direction") == "higher"
        ordered = all((a > b) if higher else (a < b) for a, b in itertools.pairwise(numbers))
        if not ordered:
            self.fail(
                where,
                _("must fall from best to worst for a “higher” ratio, rise for a “lower” one"),
            )
        return tuple(numbers)

    def sets(self, items, codes: set[str]) -> list[IndicatorSet]:
        if items is None:
            return []
        if not isinstance(items, list):
            self.fail(".sets", _("must be a list"))
            return []
        found = []
        for index, item in enumerate(items):
            path = f".sets[{item.get('code', index) if isinstance(item, dict) else index}]"
            if not isinstance(item, dict):
                self.fail(path, _("must be a mapping"))
                continue
            self.unknown_keys(item, SET_KEYS, path)
            members = item.get("indicators") or []
            for member in members:
                if member not in codes:
                    self.fail(
                        f"{path}.indicators", _("no such indicator “%(code)s”") % {"code": member}
                    )
            start = self.integer(item, "assessed_from", path)
            if start is None:
                self.fail(f"{path}.assessed_from", _("is required"))
                continue
            found.append(
                IndicatorSet(
                    code=self.code(item, "code", path),
                    name_zh=self.text(item, "name_zh", path),
                    name_en=self.text(item, "name_en", path),
                    indicators=tuple(members),
                    assessed_from=start,
                    assessed_to=self.integer(item, "assessed_to", path),
                    why_zh=self.text(item, "why_zh", path, required=False),
                    why_en=self.text(item, "why_en", path, required=False),
                )
            )
        return found

    def alerts(self, items) -> list[AlertRuleDef]:
        if items is None:
            return []
        if not isinstance(items, list):
            self.fail(".alerts", _("must be a list"))
            return []
        found, codes = [], set()
        for index, item in enumerate(items):
            path = f".alerts[{item.get('code', index) if isinstance(item, dict) else index}]"
            if not isinstance(item, dict):
                self.fail(path, _("must be a mapping"))
                continue
            self.unknown_keys(item, ALERT_KEYS, path)
            code = self.code(item, "code", path)
            if code in codes:
                self.fail(path, _("alert rule “%(code)s” is defined twice") % {"code": code})
            codes.add(code)
            found.append(
                AlertRuleDef(
                    code=code,
                    name_zh=self.text(item, "name_zh", path),
                    name_en=self.text(item, "name_en", path),
                    severity=self.choice(item, "severity", path, SEVERITIES) or "warning",
                    condition=self.text(item, "condition", path),
                    message_zh=self.text(item, "message_zh", path),
                    message_en=self.text(item, "message_en", path),
                    value=item.get("value"),
                    limit=item.get("limit"),
                    unit=self.choice(item, "unit", path, UNITS, optional=True) or "",
                    enabled=bool(item.get("enabled", True)),
                )
            )
        return found

    def scenarios(self, items) -> list[Scenario]:
        if items is None:
            return []
        if not isinstance(items, list):
            self.fail(".stress_scenarios", _("must be a list"))
            return []
        found = []
        for index, item in enumerate(items):
            path = (
                f".stress_scenarios[{item.get('code', index) if isinstance(item, dict) else index}]"
            )
            if not isinstance(item, dict):
                self.fail(path, _("must be a mapping"))
                continue
            self.unknown_keys(item, SCENARIO_KEYS, path)
            shocks = {}
            for key in ("revenue", "operating_cost", "interest_bp", "one_off_loss", "tax_rate"):
                value = threshold_value(item.get(key, 0.25 if key == "tax_rate" else 0))
                if value is None:
                    self.fail(
                        f"{path}.{key}", _("“%(value)s” is not a number") % {"value": item[key]}
                    )
                    value = 0.0
                shocks[key] = value
            if not 0 <= shocks["tax_rate"] < 1:
                self.fail(f"{path}.tax_rate", _("must be from 0% to under 100%"))
            found.append(
                Scenario(
                    code=self.code(item, "code", path),
                    name_zh=self.text(item, "name_zh", path),
                    name_en=self.text(item, "name_en", path),
                    **shocks,
                )
            )
        return found

    def health(self, data) -> HealthCheck | None:
        if data is None:
            return None
        if not isinstance(data, dict):
            self.fail(".health_check", _("must be a mapping"))
            return None
        path = ".health_check"
        self.unknown_keys(data, HEALTH_KEYS, path)
        ratios = self.indicator_list(data.get("ratios"), f"{path}.ratios", RATIO_KEYS)
        for ratio in ratios:
            if not ratio.thresholds:
                self.fail(f"{path}.ratios[{ratio.code}].thresholds", _("is required"))
        cuts = data.get("overall_cuts") or [1.5, 2.5, 3.5, 4.5]
        zones_zh = data.get("zones_zh") or []
        zones_en = data.get("zones_en") or []
        if len(cuts) != 4 or len(zones_zh) != 5 or len(zones_en) != 5:
            self.fail(path, _("give four overall cuts and five zone names in each language"))
        altman = None
        if data.get("altman") is not None:
            item = data["altman"]
            self.unknown_keys(item, ALTMAN_KEYS, f"{path}.altman")
            zones = item.get("zones") or []
            if len(zones) != 2 or len(item.get("zones_zh") or []) != 3:
                self.fail(f"{path}.altman", _("give two zone limits and three zone names"))
            else:
                altman = Altman(
                    name_zh=self.text(item, "name_zh", f"{path}.altman"),
                    name_en=self.text(item, "name_en", f"{path}.altman"),
                    formula=self.text(item, "formula", f"{path}.altman"),
                    zones=(float(zones[0]), float(zones[1])),
                    zones_zh=tuple(item["zones_zh"]),
                    zones_en=tuple(item.get("zones_en") or item["zones_zh"]),
                )
        return HealthCheck(
            name_zh=self.text(data, "name_zh", path),
            name_en=self.text(data, "name_en", path),
            ratios=tuple(ratios),
            overall_cuts=tuple(float(c) for c in cuts),
            zones_zh=tuple(zones_zh),
            zones_en=tuple(zones_en),
            altman=altman,
        )

    def check_formulas(self, framework: Framework, forms: dict[str, FormDefinition]) -> None:
        for code in framework.forms:
            form = forms.get(code)
            if form is None:
                self.fail(".forms", _("no such form “%(code)s”") % {"code": code})
                continue
            resolver = resolver_for(framework, form)
            for name, text in framework.parts.items():
                self.formula(text, resolver, f".parts.{name}", form.form)
            alert_resolver = alert_resolver_for(framework, form)
            for rule in framework.alerts:
                where = f".alerts[{rule.code}]"
                self.formula(rule.condition, alert_resolver, f"{where}.condition", code, "bool")
                for key in ("value", "limit"):
                    if getattr(rule, key):
                        self.formula(getattr(rule, key), alert_resolver, f"{where}.{key}", code)
            for indicator in framework.all_indicators:
                self.formula(indicator.formula, resolver, f".indicators[{indicator.code}]", code)
                if indicator.worst_when:
                    self.formula(
                        indicator.worst_when,
                        resolver,
                        f".indicators[{indicator.code}].worst_when",
                        code,
                        kind="bool",
                    )

    def formula(self, text: str, resolver, path: str, form: str, kind: str = "number") -> None:
        try:
            compile_formula(text, resolver, kind=kind)
        except FormulaError as error:
            self.fail(f"{path} ({form})", str(error))


def threshold_value(value) -> float | None:
    """10, 0.5, "10%" (= 0.1), "-10%"."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    scale = 1.0
    if text.endswith("%"):
        text, scale = text[:-1], 0.01
    try:
        return float(text) * scale
    except ValueError:
        return None
