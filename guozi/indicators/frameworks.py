"""Loading indicator framework files, and finding the version in force for a period."""

import hashlib
from functools import lru_cache
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from guozi.audit.services import audit_record
from guozi.lib.errors import DomainError
from guozi.lib.periods import Period
from guozi.reporting.frameworks import definition_of, version_in_force
from guozi.reporting.models import Form

from .definitions import Framework, parse_framework
from .models import IndicatorFramework

BUILT_IN = Path(__file__).resolve().parent.parent / "frameworks" / "indicators"


def built_in_files() -> list[Path]:
    return sorted(BUILT_IN.glob("*.yaml"))


def _forms_in_force(period: Period | None = None) -> dict:
    """Each loaded form's definition in force (the latest one without a period)."""
    found = {}
    for form in Form.objects.all():
        at = period or Period.parse("9999" if form.period_type == "year" else "9999-12")
        try:
            found[form.code] = definition_of(version_in_force(form, at))
        except DomainError:
            continue
    return found


@transaction.atomic
def framework_load(*, text: str, source: str, acting_user=None) -> IndicatorFramework:
    """Load one framework version; loading the same file again changes nothing."""
    framework = parse_framework(text, source, forms=_forms_in_force())
    digest = hashlib.sha256(text.encode()).hexdigest()
    existing = IndicatorFramework.objects.filter(
        code=framework.code, version=framework.version
    ).first()
    if existing:
        if existing.sha256 != digest:
            raise DomainError(
                _(
                    "Version %(version)s of indicator framework %(code)s is already loaded with "
                    "other content; give the changed file a new version."
                )
                % {"version": framework.version, "code": framework.code},
                code="framework_version_exists",
            )
        return existing
    loaded = IndicatorFramework.objects.create(
        code=framework.code,
        version=framework.version,
        name_zh=framework.name_zh,
        name_en=framework.name_en,
        valid_from=str(framework.valid_from),
        definition=framework.raw,
        source=source,
        sha256=digest,
    )
    audit_record(
        actor=acting_user,
        action="create",
        instance=loaded,
        after={"event": "indicator_framework_load", "source": source, "sha256": digest},
    )
    return loaded


def load_built_in() -> list[IndicatorFramework]:
    return [
        framework_load(text=path.read_text(encoding="utf-8"), source=path.name)
        for path in built_in_files()
    ]


def framework_in_force(period: Period, code: str = "sasac") -> IndicatorFramework:
    """The version of the framework whose `valid_from` is the latest not after the period."""
    candidates = [
        f
        for f in IndicatorFramework.objects.filter(code=code)
        if Period.parse(f.valid_from).start <= period.end
    ]
    if not candidates:
        raise DomainError(
            _("No indicator framework “%(code)s” is in force for %(period)s.")
            % {"code": code, "period": period},
            code="no_framework",
        )
    return max(candidates, key=lambda f: Period.parse(f.valid_from).start)


def framework_of(loaded: IndicatorFramework) -> Framework:
    return _parsed(loaded.id, loaded.sha256)


@lru_cache(maxsize=32)
def _parsed(framework_id: int, sha256: str) -> Framework:
    loaded = IndicatorFramework.objects.get(id=framework_id)
    from .definitions import _FrameworkReader

    reader = _FrameworkReader()
    framework = reader.read(loaded.definition)
    if framework is None:
        raise DomainError(
            _("The stored indicator framework %(code)s cannot be read.") % {"code": loaded.code},
            code="framework_unreadable",
        )
    return framework
