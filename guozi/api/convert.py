"""Turning registry objects into the API's response bodies, and request values into objects."""

from datetime import date

from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from guozi.lib import clock
from guozi.registry import selectors, validation
from guozi.registry.models import Enterprise, EquityLink, FunctionClass, Supervisor
from guozi.registry.validation import FieldError

from .errors import FieldErrors


def user_of(request):
    """The caller, however they authenticated (token or session)."""
    return getattr(request, "auth_user", None) or request.user


def day_or_today(as_of: date | None) -> date:
    return as_of or clock.today()


def path_id(value) -> int:
    """An id from the path; anything that is not one names nothing (404)."""
    text = str(value)
    if not text.isdigit() or len(text) > 18:
        raise Http404
    return int(text)


def visible_enterprise_in_path(user, *, id, **_params) -> Enterprise:
    """The enterprise named in the path if the user may read it today; 404 otherwise."""
    return selectors.get_visible_enterprise(user, path_id(id))


def clean_day(value, field: str, *, required: bool = True) -> date | None:
    try:
        day = validation.clean_date(value)
    except FieldError as exc:
        raise FieldErrors({field: [exc.message]}) from None
    if day is None and required:
        raise FieldErrors({field: [_("Required.")]})
    return day


def supervisor_ref(supervisor: Supervisor) -> dict:
    return {"id": supervisor.id, "code": supervisor.code, "name": supervisor.name}


def enterprise_ref(enterprise: Enterprise) -> dict:
    return {"id": enterprise.id, "identifier": enterprise.identifier, "name": enterprise.name}


def enterprise_out(enterprise: Enterprise) -> dict:
    return {
        "id": enterprise.id,
        "identifier": enterprise.identifier,
        "uscc": enterprise.uscc,
        "foreign_reg_no": enterprise.foreign_reg_no,
        "foreign_country": enterprise.foreign_country,
        "name": enterprise.name,
        "name_zh": enterprise.name_zh,
        "name_en": enterprise.name_en,
        "short_name": enterprise.short_name,
        "supervisor": supervisor_ref(enterprise.supervisor),
        "region_code": enterprise.region_code,
        "city_code": enterprise.city_code,
        "industry_code": enterprise.industry_code,
        "industry_section": enterprise.industry_section,
        "function_class": enterprise.function_class.code if enterprise.function_class else None,
        "ownership_level": enterprise.ownership_level,
        "listed_codes": enterprise.listed_codes,
        "main_business": enterprise.main_business,
        "established_on": enterprise.established_on,
        "status": enterprise.status,
        "status_on": enterprise.status_on,
        "merged_into_id": enterprise.merged_into_id,
        "portfolio": enterprise.portfolio,
    }


def enterprise_detail(enterprise: Enterprise, day: date) -> dict:
    chain = selectors.chain_up(enterprise, day)
    in_tree = bool(chain.supervisors)
    return {
        **enterprise_out(enterprise),
        "as_of": day,
        "level": chain.level,
        "parent_id": chain.enterprises[1].id if in_tree and len(chain.enterprises) > 1 else None,
        "chain": {
            "enterprises": [enterprise_ref(e) for e in chain.enterprises] if in_tree else [],
            "supervisors": [supervisor_ref(s) for s in chain.supervisors],
        },
    }


def holder_out(link: EquityLink) -> dict:
    holder = link.holder
    out = {"kind": link.holder_kind, "id": holder.id, "name": holder.name}
    if link.holder_enterprise_id:
        out["identifier"] = holder.identifier
    elif link.holder_supervisor_id:
        out["code"] = holder.code
    else:
        out["party_kind"] = holder.kind
    return out


def equity_link_out(link: EquityLink) -> dict:
    return {
        "id": link.id,
        "held": enterprise_ref(link.held),
        "holder": holder_out(link),
        "pct": link.pct,
        "valid_from": link.valid_from,
        "valid_to": link.valid_to,
    }


def find_visible(user, identifier: str | None) -> Enterprise | None:
    """An enterprise by any identifier, only if `user` may read it today."""
    found = selectors.find_by_identifier(identifier or "")
    if found is None or not selectors.visible_enterprises(user).filter(id=found.id).exists():
        return None
    return found


def find_supervisor(code: str | None) -> Supervisor | None:
    code = (code or "").strip()
    return Supervisor.objects.filter(code=code).first() if code else None


def find_function_class(supervisor: Supervisor, value: str) -> FunctionClass:
    text = value.strip()
    found = (
        FunctionClass.objects.filter(supervisor=supervisor)
        .filter(Q(code=text) | Q(name_zh=text) | Q(name_en__iexact=text))
        .first()
    )
    if found is None:
        accepted = ", ".join(
            f"{c.code} / {c.name_zh}" for c in FunctionClass.objects.filter(supervisor=supervisor)
        )
        raise FieldError(
            _("Functional class %(value)r is not one of: %(accepted)s.")
            % {"value": text, "accepted": accepted}
        )
    return found


def _label(name: str) -> str:
    return str(Enterprise._meta.get_field(name).verbose_name)


def _cleaners() -> dict:
    return {
        "foreign_reg_no": lambda v: validation.clean_text(v, _label("foreign_reg_no"), 60),
        "foreign_country": validation.clean_country,
        "name_zh": lambda v: validation.clean_required_text(v, _label("name_zh"), 200),
        "name_en": lambda v: validation.clean_text(v, _label("name_en"), 200),
        "short_name": lambda v: validation.clean_text(v, _label("short_name"), 60),
        "region_code": validation.clean_region,
        "industry_code": validation.clean_industry,
        "ownership_level": validation.clean_ownership_level,
        "listed_codes": validation.clean_listed_codes,
        "main_business": lambda v: validation.clean_text(v, _label("main_business"), 4000),
        "established_on": validation.clean_date,
        "status": validation.clean_status,
        "status_on": validation.clean_date,
        "portfolio": validation.clean_portfolio,
    }


def clean_enterprise_fields(
    data: dict, *, current_supervisor: Supervisor | None = None
) -> tuple[dict, list[str]]:
    """Model field values from a request body, and the cleaners' warnings.

    Every field is checked before anything is refused, so one answer names every bad field.
    """
    fields: dict = {}
    errors: dict[str, list[str]] = {}
    warnings: list[str] = []
    cleaners = _cleaners()
    for name, value in data.items():
        try:
            if name == "uscc":
                fields["uscc"], uscc_warnings = validation.clean_uscc(value)
                warnings.extend(uscc_warnings)
            elif name == "supervisor":
                supervisor = find_supervisor(value)
                if supervisor is None:
                    raise FieldError(
                        _("No supervisor has the code %(value)s.") % {"value": value or ""}
                    )
                fields["supervisor"] = supervisor
            elif name in cleaners:
                fields[name] = cleaners[name](value)
        except FieldError as exc:
            errors.setdefault(name, []).append(exc.message)
    if "function_class" in data:
        supervisor = fields.get("supervisor") or current_supervisor
        value = (data["function_class"] or "").strip()
        if not value:
            fields["function_class"] = None
        elif supervisor is not None:
            try:
                fields["function_class"] = find_function_class(supervisor, value)
            except FieldError as exc:
                errors.setdefault("function_class", []).append(exc.message)
    if errors:
        raise FieldErrors(errors)
    return fields, warnings
