"""Loading framework files into forms and versions, and finding the version in force."""

import hashlib
from functools import lru_cache
from pathlib import Path

import yaml
from django.db import transaction
from django.utils.translation import gettext as _

from guozi.audit.services import audit_record
from guozi.lib.errors import DomainError
from guozi.lib.periods import Period

from .definitions import (
    DefinitionError,
    FormDefinition,
    check_version_change,
    definition_from_data,
    parse_definition,
)
from .models import Form, FormVersion

BUILT_IN = Path(__file__).resolve().parent.parent / "frameworks"


def built_in_files() -> list[Path]:
    return sorted(BUILT_IN.glob("*.yaml"))


@transaction.atomic
def framework_load(*, text: str, source: str, acting_user=None) -> FormVersion:
    """Load one form version; loading the same file again changes nothing."""
    definition = parse_definition(text, source, base_of=_base_definition)
    digest = hashlib.sha256(text.encode()).hexdigest()
    form, _created = Form.objects.get_or_create(
        code=definition.form,
        defaults={
            "name_zh": definition.name_zh,
            "name_en": definition.name_en,
            "basis": definition.basis,
            "period_type": definition.period_type,
        },
    )
    if form.basis != definition.basis or form.period_type != definition.period_type:
        raise DomainError(
            _("Form %(form)s is already loaded with another basis or period type.")
            % {"form": form.code},
            code="framework_conflict",
        )
    existing = FormVersion.objects.filter(form=form, version=definition.version).first()
    if existing:
        if existing.sha256 != digest:
            raise DomainError(
                _(
                    "Version %(version)s of form %(form)s is already loaded with other content; "
                    "give the changed file a new version."
                )
                % {"version": definition.version, "form": form.code},
                code="framework_version_exists",
            )
        return existing
    previous = (
        FormVersion.objects.filter(form=form, valid_from_date__lt=definition.valid_from.start)
        .order_by("-valid_from_date")
        .first()
    )
    if previous:
        problems = check_version_change(definition_of(previous), definition)
        if problems:
            raise DefinitionError(source, problems)
    version = FormVersion.objects.create(
        form=form,
        version=definition.version,
        valid_from=str(definition.valid_from),
        valid_from_date=definition.valid_from.start,
        definition=definition.raw,
        source=source,
        sha256=digest,
    )
    audit_record(
        actor=acting_user,
        action="create",
        instance=version,
        after={"form": form.code, "version": version.version, "source": source},
    )
    return version


def _base_definition(code: str) -> dict | None:
    """The data of the latest loaded version of a form, else of the built-in file of that name."""
    version = FormVersion.objects.filter(form__code=code).order_by("-valid_from_date").first()
    if version is not None:
        return version.definition
    path = BUILT_IN / f"{code}.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None


def load_built_in(acting_user=None) -> list[FormVersion]:
    return [
        framework_load(
            text=path.read_text(encoding="utf-8"), source=path.name, acting_user=acting_user
        )
        for path in built_in_files()
    ]


def definition_of(version: FormVersion) -> FormDefinition:
    return _definition(version.id, version.sha256)


@lru_cache(maxsize=64)
def _definition(version_id: int, sha256: str) -> FormDefinition:
    version = FormVersion.objects.get(id=version_id)
    return definition_from_data(version.definition, version.source)


def version_in_force(form: Form, period: Period) -> FormVersion:
    version = (
        FormVersion.objects.filter(form=form, valid_from_date__lte=period.start)
        .order_by("-valid_from_date")
        .first()
    )
    if version is None:
        raise DomainError(
            _("Form %(form)s has no version in force for %(period)s.")
            % {"form": form.code, "period": period},
            code="no_form_version",
        )
    return version
