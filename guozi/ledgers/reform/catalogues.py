"""Reform task catalogues as data: a YAML file read whole, checked, and loaded as a version.

A file names the programme (`catalogue`, `version`, names, `starts_on`, `ends_on`), its task
areas, its tasks (area, weight, optional target with unit, deadline, measures, source, whether
illustrative) and its milestones (a share of tasks complete by a date). Every problem of the
file is collected and reported with its place (`.tasks[boards_established].weight: ...`), so a
file is fixed in one go. Loading a version already loaded with the same content changes
nothing; other content under the same version is refused. The files that ship with Guozi
(`guozi/frameworks/reform/`) are loaded after every migrate.
"""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml
from django.db import transaction
from django.utils.translation import gettext as _

from guozi.audit.services import audit_record
from guozi.lib.errors import DomainError

from .models import Catalogue, CatalogueArea, CatalogueMilestone, CatalogueTask

BUILT_IN = Path(__file__).resolve().parent.parent.parent / "frameworks" / "reform"
CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
TASK_CODE = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
UNITS = ("%", "级", "户", "个", "人", "项", "亿元", "万元", "年")
MAX_WEIGHT = 1000
MAX_MEASURES = 20

CATALOGUE_KEYS = {
    "catalogue",
    "version",
    "name_zh",
    "name_en",
    "starts_on",
    "ends_on",
    "illustrative",
    "default_measures",
    "areas",
    "tasks",
    "milestones",
}
AREA_KEYS = {"code", "name_zh", "name_en"}
TASK_KEYS = {
    "code",
    "area",
    "name_zh",
    "name_en",
    "weight",
    "target",
    "deadline",
    "measures",
    "illustrative",
    "source",
}
MILESTONE_KEYS = {"code", "name_zh", "name_en", "date", "target", "illustrative", "source"}


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class CatalogueError(DomainError):
    """A catalogue file with problems; `problems` lists every one with its place."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"{source}: {problem}" for problem in problems)
        super().__init__(
            message=_("The catalogue %(source)s has %(n)s problem(s):\n%(lines)s")
            % {"source": source, "n": len(problems), "lines": lines},
            code="catalogue_invalid",
            fields={"file": [str(problem) for problem in problems]},
        )


@dataclass(frozen=True)
class AreaDef:
    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class TaskDef:
    code: str
    area: str
    name_zh: str
    name_en: str
    weight: int
    deadline: date
    measures: tuple[dict, ...]
    target_value: Decimal | None = None
    target_unit: str = ""
    illustrative: bool = False
    source: str = ""


@dataclass(frozen=True)
class MilestoneDef:
    code: str
    name_zh: str
    name_en: str
    due_on: date
    target: int
    illustrative: bool = False
    source: str = ""


@dataclass(frozen=True)
class CatalogueDef:
    code: str
    version: str
    name_zh: str
    name_en: str
    starts_on: date
    ends_on: date
    illustrative: bool
    areas: tuple[AreaDef, ...]
    tasks: tuple[TaskDef, ...]
    milestones: tuple[MilestoneDef, ...]
    raw: dict = field(default_factory=dict, compare=False, repr=False)


class _Reader:
    """Reads a catalogue's data, collecting every problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def unknown_keys(self, data: dict, allowed: set[str], path: str) -> None:
        for key in sorted(set(data) - allowed, key=str):
            self.fail(f"{path}.{key}", _("unknown key"))

    def text(self, data: dict, key: str, path: str, *, required=True, longest=300) -> str:
        value = data.get(key)
        if value is None or value == "":
            if required:
                self.fail(f"{path}.{key}", _("is required"))
            return ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.fail(f"{path}.{key}", _("must be text"))
            return ""
        text = str(value).strip()
        if len(text) > longest:
            self.fail(f"{path}.{key}", _("at most %(n)s characters") % {"n": longest})
        return text

    def code(self, data: dict, path: str, pattern=CODE) -> str:
        code = self.text(data, "code", path)
        if code and not pattern.match(code):
            self.fail(
                f"{path}.code",
                _("“%(value)s” is not a code: lower-case letters, digits and _") % {"value": code},
            )
        return code

    def day(self, data: dict, key: str, path: str) -> date | None:
        value = data.get(key)
        if value is None or value == "":
            self.fail(f"{path}.{key}", _("is required"))
            return None
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(
                f"{path}.{key}", _("“%(value)s” is not a date (YYYY-MM-DD)") % {"value": value}
            )
            return None

    def whole(self, data: dict, key: str, path: str, low: int, high: int) -> int | None:
        value = data.get(key)
        if value is None:
            self.fail(f"{path}.{key}", _("is required"))
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(
                f"{path}.{key}",
                _("must be a whole number from %(low)s to %(high)s") % {"low": low, "high": high},
            )
            return None
        return value

    def flag(self, data: dict, key: str, path: str) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            self.fail(f"{path}.{key}", _("must be true or false"))
            return False
        return value

    def items(self, data: dict, key: str, path: str, *, required=True) -> list:
        value = data.get(key)
        if value is None:
            if required:
                self.fail(f".{key}", _("is required"))
            return []
        if not isinstance(value, list):
            self.fail(f"{path}.{key}", _("must be a list"))
            return []
        return value


class _CatalogueReader(_Reader):
    def read(self, data: dict) -> CatalogueDef | None:
        self.unknown_keys(data, CATALOGUE_KEYS, "")
        code = self.text(data, "catalogue", "", longest=40)
        if code and not CODE.match(code):
            self.fail(
                ".catalogue",
                _("“%(value)s” is not a code: lower-case letters, digits and _") % {"value": code},
            )
        version = self.text(data, "version", "", longest=20)
        starts_on = self.day(data, "starts_on", "")
        ends_on = self.day(data, "ends_on", "")
        if starts_on and ends_on and ends_on < starts_on:
            self.fail(".ends_on", _("is before starts_on"))
        defaults = self._measures(data.get("default_measures"), ".default_measures")
        areas = self._areas(self.items(data, "areas", ""))
        tasks = self._tasks(self.items(data, "tasks", ""), areas, defaults, starts_on)
        milestones = self._milestones(self.items(data, "milestones", "", required=False))
        for milestone in milestones:
            if starts_on and milestone.due_on != date.min and milestone.due_on < starts_on:
                self.fail(f".milestones[{milestone.code}].date", _("is before starts_on"))
        name_zh = self.text(data, "name_zh", "")
        name_en = self.text(data, "name_en", "", required=False)
        illustrative = self.flag(data, "illustrative", "")
        if self.problems:
            return None
        return CatalogueDef(
            code=code,
            version=version,
            name_zh=name_zh,
            name_en=name_en,
            starts_on=starts_on,
            ends_on=ends_on,
            illustrative=illustrative,
            areas=tuple(areas.values()),
            tasks=tuple(tasks),
            milestones=tuple(milestones),
            raw=data,
        )

    def _areas(self, items: list) -> dict[str, AreaDef]:
        areas: dict[str, AreaDef] = {}
        for position, item in enumerate(items):
            path = f".areas[{position}]"
            if not isinstance(item, dict):
                self.fail(path, _("must be a mapping"))
                continue
            code = self.code(item, path)
            if code:
                path = f".areas[{code}]"
            self.unknown_keys(item, AREA_KEYS, path)
            if code in areas:
                self.fail(path, _("the code is used twice"))
                continue
            area = AreaDef(
                code=code,
                name_zh=self.text(item, "name_zh", path),
                name_en=self.text(item, "name_en", path, required=False),
            )
            if code:
                areas[code] = area
        if not items:
            self.fail(".areas", _("a catalogue needs at least one area"))
        return areas

    def _measures(self, value, path: str) -> tuple[dict, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail(path, _("must be a list"))
            return ()
        measures = []
        for position, item in enumerate(value):
            where = f"{path}[{position}]"
            if not isinstance(item, dict):
                self.fail(where, _("must be a mapping with zh and en"))
                continue
            self.unknown_keys(item, {"zh", "en"}, where)
            zh = self.text(item, "zh", where, longest=200)
            en = self.text(item, "en", where, required=False, longest=200)
            if zh:
                measures.append({"zh": zh, "en": en})
        if len(measures) > MAX_MEASURES:
            self.fail(path, _("at most %(n)s measures") % {"n": MAX_MEASURES})
        return tuple(measures)

    def _target(self, value, path: str) -> tuple[Decimal | None, str]:
        if value is None:
            return None, ""
        if not isinstance(value, dict):
            self.fail(path, _("must be a mapping with value and unit"))
            return None, ""
        self.unknown_keys(value, {"value", "unit"}, path)
        number = None
        raw = value.get("value")
        if isinstance(raw, bool) or raw is None:
            self.fail(f"{path}.value", _("is required"))
        else:
            try:
                number = Decimal(str(raw))
            except InvalidOperation:
                self.fail(f"{path}.value", _("“%(value)s” is not a number") % {"value": raw})
            if number is not None and (not number.is_finite() or number < 0):
                self.fail(f"{path}.value", _("must be a number ≥ 0"))
                number = None
        unit = str(value.get("unit") or "")
        if unit not in UNITS:
            self.fail(
                f"{path}.unit",
                _("“%(value)s” is not one of %(options)s")
                % {"value": unit, "options": ", ".join(UNITS)},
            )
        return number, unit

    def _tasks(self, items: list, areas: dict, defaults: tuple, starts_on) -> list[TaskDef]:
        tasks: list[TaskDef] = []
        seen: set[str] = set()
        for position, item in enumerate(items):
            path = f".tasks[{position}]"
            if not isinstance(item, dict):
                self.fail(path, _("must be a mapping"))
                continue
            code = self.code(item, path, TASK_CODE)
            if code:
                path = f".tasks[{code}]"
                if code in seen:
                    self.fail(path, _("the code is used twice"))
                seen.add(code)
            self.unknown_keys(item, TASK_KEYS, path)
            area = self.text(item, "area", path, longest=40)
            if area and area not in areas:
                self.fail(f"{path}.area", _("no such area “%(value)s”") % {"value": area})
            deadline = self.day(item, "deadline", path)
            if deadline and starts_on and deadline < starts_on:
                self.fail(f"{path}.deadline", _("is before the catalogue starts"))
            measures = self._measures(item.get("measures"), f"{path}.measures") or defaults
            if not measures:
                self.fail(
                    f"{path}.measures",
                    _("a task needs at least one measure (or the catalogue's default_measures)"),
                )
            target_value, target_unit = self._target(item.get("target"), f"{path}.target")
            weight = self.whole(item, "weight", path, 1, MAX_WEIGHT)
            tasks.append(
                TaskDef(
                    code=code,
                    area=area,
                    name_zh=self.text(item, "name_zh", path),
                    name_en=self.text(item, "name_en", path, required=False),
                    weight=weight or 1,
                    deadline=deadline or date.min,
                    measures=measures,
                    target_value=target_value,
                    target_unit=target_unit,
                    illustrative=self.flag(item, "illustrative", path),
                    source=self.text(item, "source", path, required=False),
                )
            )
        if not items:
            self.fail(".tasks", _("a catalogue needs at least one task"))
        return tasks

    def _milestones(self, items: list) -> list[MilestoneDef]:
        milestones: list[MilestoneDef] = []
        seen: set[str] = set()
        for position, item in enumerate(items):
            path = f".milestones[{position}]"
            if not isinstance(item, dict):
                self.fail(path, _("must be a mapping"))
                continue
            code = self.code(item, path, TASK_CODE)
            if code:
                path = f".milestones[{code}]"
                if code in seen:
                    self.fail(path, _("the code is used twice"))
                seen.add(code)
            self.unknown_keys(item, MILESTONE_KEYS, path)
            due_on = self.day(item, "date", path)
            target = self.whole(item, "target", path, 1, 100)
            milestones.append(
                MilestoneDef(
                    code=code,
                    name_zh=self.text(item, "name_zh", path),
                    name_en=self.text(item, "name_en", path, required=False),
                    due_on=due_on or date.min,
                    target=target or 0,
                    illustrative=self.flag(item, "illustrative", path),
                    source=self.text(item, "source", path, required=False),
                )
            )
        return milestones


class _TextDates(yaml.SafeLoader):
    """YAML without its own reading of dates: they stay text and are checked with a place."""


_TextDates.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_catalogue(text: str, source: str = "<catalogue>") -> CatalogueDef:
    """Read and check a catalogue file; CatalogueError lists every problem with its place."""
    try:
        data = yaml.load(text, Loader=_TextDates)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = (
            _("line %(line)s, column %(column)s")
            % {"line": mark.line + 1, "column": mark.column + 1}
            if mark
            else ""
        )
        raise CatalogueError(source, [Problem(where, _("not valid YAML"))]) from error
    if not isinstance(data, dict):
        raise CatalogueError(source, [Problem("", _("the file must be a YAML mapping"))])
    reader = _CatalogueReader()
    definition = reader.read(data)
    if definition is None:
        raise CatalogueError(source, reader.problems)
    return definition


def _jsonable(data):
    """The YAML's data with dates as ISO text, for the JSON definition column."""
    if isinstance(data, dict):
        return {str(key): _jsonable(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_jsonable(value) for value in data]
    if isinstance(data, date):
        return data.isoformat()
    return data


@transaction.atomic
def catalogue_load(*, text: str, source: str, acting_user=None) -> Catalogue:
    """Load one catalogue version; loading the same file again changes nothing."""
    definition = parse_catalogue(text, source)
    digest = hashlib.sha256(text.encode()).hexdigest()
    existing = Catalogue.objects.filter(code=definition.code, version=definition.version).first()
    if existing is not None:
        if existing.sha256 != digest:
            raise DomainError(
                _(
                    "Version %(version)s of the reform catalogue %(code)s is already loaded with "
                    "other content; give the changed file a new version."
                )
                % {"version": definition.version, "code": definition.code},
                code="catalogue_version_exists",
            )
        return existing
    catalogue = Catalogue.objects.create(
        code=definition.code,
        version=definition.version,
        name_zh=definition.name_zh,
        name_en=definition.name_en,
        starts_on=definition.starts_on,
        ends_on=definition.ends_on,
        illustrative=definition.illustrative,
        definition=_jsonable(definition.raw),
        source=source,
        sha256=digest,
    )
    areas = {
        area.code: CatalogueArea.objects.create(
            catalogue=catalogue,
            code=area.code,
            position=position,
            name_zh=area.name_zh,
            name_en=area.name_en,
        )
        for position, area in enumerate(definition.areas, start=1)
    }
    CatalogueTask.objects.bulk_create(
        CatalogueTask(
            catalogue=catalogue,
            area=areas[task.area],
            code=task.code,
            position=position,
            name_zh=task.name_zh,
            name_en=task.name_en,
            weight=task.weight,
            target_value=task.target_value,
            target_unit=task.target_unit,
            deadline=task.deadline,
            measures=list(task.measures),
            illustrative=task.illustrative,
            source=task.source,
        )
        for position, task in enumerate(definition.tasks, start=1)
    )
    CatalogueMilestone.objects.bulk_create(
        CatalogueMilestone(
            catalogue=catalogue,
            code=milestone.code,
            name_zh=milestone.name_zh,
            name_en=milestone.name_en,
            due_on=milestone.due_on,
            target=milestone.target,
            illustrative=milestone.illustrative,
            source=milestone.source,
        )
        for milestone in definition.milestones
    )
    audit_record(
        actor=acting_user,
        action="create",
        instance=catalogue,
        after={
            "event": "reform_catalogue_load",
            "code": catalogue.code,
            "version": catalogue.version,
            "source": source,
            "sha256": digest,
        },
    )
    return catalogue


def built_in_files() -> list[Path]:
    return sorted(BUILT_IN.glob("*.yaml"))


def load_built_in(acting_user=None) -> list[Catalogue]:
    return [
        catalogue_load(
            text=path.read_text(encoding="utf-8"), source=path.name, acting_user=acting_user
        )
        for path in built_in_files()
    ]


def current_catalogues():
    """The latest loaded version of each programme, oldest programme first."""
    latest: dict[str, Catalogue] = {}
    for catalogue in Catalogue.objects.order_by("code", "created_at", "id"):
        latest[catalogue.code] = catalogue
    return sorted(latest.values(), key=lambda c: (c.starts_on, c.code))
