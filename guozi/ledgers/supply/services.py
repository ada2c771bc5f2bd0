"""Writes of the supply-chain register: opening a key input, changing it and its suppliers.

A key input is opened as a tracked item through the ledgers' own `item_create` (the supervisor's
analysts and reviewers open items; the lifecycle, updates and verification are the ledgers'),
with its `SupplyInput` row and its suppliers. The owner's reporters and the supervisor's
analysts and reviewers then keep the input and its suppliers up to date while the item is not
closed. Every change is one line of the item's history (an "edited" event whose before and after
hold the input) and one audit event on the input; the concentration and the flags are computed
again from the suppliers (`concentration.assess`) in the same transaction.

The cleaners (`clean_*`) are shared with the workbook import, so a value is refused with the
same words on every path.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from guozi.accounts.models import User
from guozi.audit.services import audit_record
from guozi.ledgers import permissions
from guozi.ledgers import services as ledger_services
from guozi.ledgers.models import ACTIVE, EventAction, ItemEvent, Register, TrackedItem
from guozi.ledgers.sheets import parse_flag
from guozi.lib import clock
from guozi.lib.errors import DomainError, Forbidden
from guozi.registry.models import Enterprise
from guozi.registry.validation import FieldError, clean_uscc

from . import concentration, countries
from .matching import is_only_legal_form, name_key
from .models import Category, Criticality, SupplyInput, SupplySource

NAME_LENGTH = 200
UNIT_LENGTH = 20
MAX_SOURCES = 50
FEN_PER_WAN = 1_000_000  # 1 万元 = 10,000 元 = 1,000,000 fen
MAX_SPEND_WAN = Decimal("1e12")  # 1 trillion 万元: beyond any enterprise's purchases
MAX_VOLUME = Decimal("1e15")
CENT = Decimal("0.01")  # shares and volumes: two decimals
HHI_PLACES = Decimal("0.0001")  # squares of two-decimal shares: four decimals
# The input's fields as the forms, the API and the import name them; the spend is in 万元 there
# and in fen in the database (`annual_spend_fen`).
INPUT_FIELDS = (
    "name",
    "category",
    "criticality",
    "annual_spend",
    "annual_volume",
    "volume_unit",
    "domestic_alternative",
)


# --- cleaners: a value in, the clean value out, or FieldError with what would be accepted ------


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def clean_name(value) -> str:
    text = " ".join(_text(value).split())
    if not text:
        raise FieldError(_("Required."))
    if len(text) > NAME_LENGTH:
        raise FieldError(_("At most %(n)s characters.") % {"n": NAME_LENGTH})
    return text


def _choice(value, choices: type, *, default: str | None = None) -> str:
    """A choice by its code or its label in either language."""
    text = _text(value)
    if not text and default is not None:
        return default
    for code, label in choices.choices:
        if text.lower() in {code, str(label).lower(), _label_in_other_language(label)}:
            return code
    raise FieldError(
        _("Choose one of: %(choices)s.")
        % {"choices": ", ".join(f"{code} ({label})" for code, label in choices.choices)}
    )


def _label_in_other_language(label) -> str:
    other = "en" if (translation.get_language() or "").startswith("zh") else "zh-hans"
    with translation.override(other):
        return str(label).lower()


def clean_category(value) -> str:
    return _choice(value, Category)


def clean_criticality(value) -> str:
    return _choice(value, Criticality, default=Criticality.IMPORTANT)


def clean_flag(value) -> bool:
    """Yes or no (是/否, yes/no, 1/0): required."""
    if isinstance(value, bool):
        return value
    flag = parse_flag(_text(value)) if _text(value) else None
    if flag is None:
        raise FieldError(_("Answer yes or no (是 or 否)."))
    return flag


def _decimal(value) -> Decimal | None:
    """A number as written (thousands separators allowed), None when blank."""
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        number = Decimal(str(value))
    else:
        text = _text(value).replace(",", "").replace("，", "")
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise FieldError(_("Enter a number.")) from None
    if not number.is_finite():
        raise FieldError(_("Enter a number."))
    return number


def clean_spend(value) -> int | None:
    """Annual spend in 万元 (up to six decimals, i.e. whole fen) as fen; None when blank."""
    number = _decimal(value)
    if number is None:
        return None
    if number < 0:
        raise FieldError(_("Cannot be negative."))
    if number > MAX_SPEND_WAN:
        raise FieldError(_("Too large: state the spend in 万元."))
    fen = number * FEN_PER_WAN
    if fen != fen.to_integral_value():
        raise FieldError(_("At most six decimals in 万元 (whole fen)."))
    return int(fen)


def clean_volume(value) -> Decimal | None:
    number = _decimal(value)
    if number is None:
        return None
    if number < 0:
        raise FieldError(_("Cannot be negative."))
    if number >= MAX_VOLUME:
        raise FieldError(_("Too large."))
    if number != number.quantize(CENT):
        raise FieldError(_("At most two decimals."))
    return number.quantize(CENT)


def clean_unit(value, volume: Decimal | None) -> str:
    text = _text(value)
    if len(text) > UNIT_LENGTH:
        raise FieldError(_("At most %(n)s characters.") % {"n": UNIT_LENGTH})
    if volume is not None and not text:
        raise FieldError(_("Name the unit of the volume, e.g. 万吨."))
    return text


def clean_supplier_name(value) -> str:
    text = clean_name(value)
    if is_only_legal_form(text):
        raise FieldError(_("Name the supplier, not only its legal form."))
    return text


def clean_country(value) -> str:
    code = countries.normalise_country(_text(value))
    if not code:
        raise FieldError(_("Required: the ISO 3166 code of the country or region, CN for China."))
    if not countries.is_country(code):
        raise FieldError(
            _("%(code)s is not an ISO 3166 country or region code (e.g. CN, AU, DE).")
            % {"code": code}
        )
    return code


def clean_supplier_uscc(value, country: str) -> str:
    """The supplier's USCC, only for a supplier registered in China; may be blank."""
    if not _text(value):
        return ""
    if country and country != concentration.CHINA:
        raise FieldError(_("A USCC is given only for a supplier registered in China (CN)."))
    code, _warnings = clean_uscc(value)
    return code or ""


def clean_share(value) -> Decimal:
    number = _decimal(value)
    if number is None:
        raise FieldError(_("Required: the supplier's share of the supply in percent."))
    if number <= 0 or number > 100:
        raise FieldError(_("A share is more than 0 and at most 100 (percent)."))
    if number != number.quantize(CENT):
        raise FieldError(_("At most two decimals."))
    return number.quantize(CENT)


def over_hundred_message(total: Decimal) -> str:
    return _("The shares add up to %(total)s%%: more than 100%%.") % {"total": total}


# --- the input's fields and its suppliers, checked whole ---------------------------------------


@dataclass(frozen=True)
class Source:
    supplier_name: str
    uscc: str
    country: str
    share: Decimal

    def as_dict(self) -> dict:
        return {
            "supplier": self.supplier_name,
            "uscc": self.uscc,
            "country": self.country,
            "share": str(self.share),
        }


def _clean_into(errors: dict, where: str, cleaner, *args):
    try:
        return cleaner(*args)
    except FieldError as error:
        errors[where] = [error.message]
        return None


def clean_fields(raw: dict, errors: dict) -> dict:
    """The input's own fields from `raw` (only those given), checked, by their model names;
    problems go to `errors` under the names given."""
    cleaned: dict = {}
    cleaners = {
        "name": ("name", clean_name),
        "category": ("category", clean_category),
        "criticality": ("criticality", clean_criticality),
        "annual_spend": ("annual_spend_fen", clean_spend),
        "annual_volume": ("annual_volume", clean_volume),
        "domestic_alternative": ("domestic_alternative", clean_flag),
    }
    for field, (model_field, cleaner) in cleaners.items():
        if field in raw:
            cleaned[model_field] = _clean_into(errors, field, cleaner, raw[field])
    if "volume_unit" in raw or "annual_volume" in raw:
        cleaned["volume_unit"] = _clean_into(
            errors, "volume_unit", clean_unit, raw.get("volume_unit"), cleaned.get("annual_volume")
        )
    return cleaned


def clean_sources(raw_sources, errors: dict) -> list[Source]:
    """The suppliers, checked one by one and together: no supplier twice, shares at most 100%
    in all. Problems go to `errors` under `sources.<n>.<field>` (n from 0) or `sources`."""
    rows = list(raw_sources or ())
    if len(rows) > MAX_SOURCES:
        errors["sources"] = [_("At most %(n)s suppliers per input.") % {"n": MAX_SOURCES}]
        return []
    cleaned: list[Source] = []
    seen: dict[str, int] = {}
    total = Decimal(0)  # of every valid share, also on rows with other problems
    for number, row in enumerate(rows):
        where = f"sources.{number}"
        local: dict = {}
        name = _clean_into(local, f"{where}.supplier", clean_supplier_name, row.get("supplier"))
        country = _clean_into(local, f"{where}.country", clean_country, row.get("country"))
        uscc = _clean_into(
            local, f"{where}.uscc", clean_supplier_uscc, row.get("uscc"), country or ""
        )
        share = _clean_into(local, f"{where}.share", clean_share, row.get("share"))
        total += share or 0
        if name is not None:
            key = f"uscc:{uscc}" if uscc else f"name:{name_key(name)}"
            if key in seen:
                local[f"{where}.supplier"] = [
                    _("This supplier is already listed (supplier %(n)s).") % {"n": seen[key] + 1}
                ]
            seen.setdefault(key, number)
        errors.update(local)
        if not local:
            cleaned.append(Source(name, uscc, country, share))
    if not concentration.share_total_allowed(total):
        errors["sources"] = [over_hundred_message(total)]
    return cleaned


# --- writing -----------------------------------------------------------------------------------


def _assessment(fields: dict, sources: list[Source]) -> dict:
    """The derived columns of an input from its suppliers and its declared alternative."""
    result = concentration.assess(
        [concentration.Supply(s.share, s.country) for s in sources],
        no_domestic_alternative=not fields["domestic_alternative"],
    )
    return {
        "supplier_count": result.suppliers,
        "total_share": result.total_share.quantize(CENT),
        "coverage": result.coverage,
        "hhi": None if result.hhi is None else result.hhi.quantize(HHI_PLACES),
        "band": result.band,
        "largest_share": result.largest_share.quantize(CENT),
        "single_source": result.single_source,
        "import_share": result.import_share.quantize(CENT),
        "import_dependent": result.import_dependent,
    }


def _write_sources(supply_input: SupplyInput, sources: list[Source]) -> None:
    supply_input.sources.all().delete()
    SupplySource.objects.bulk_create(
        SupplySource(
            input=supply_input,
            position=number,
            supplier_name=source.supplier_name,
            name_key=name_key(source.supplier_name),
            uscc=source.uscc,
            country=source.country,
            share=source.share,
        )
        for number, source in enumerate(sources, start=1)
    )


def _stored_sources(supply_input: SupplyInput) -> list[Source]:
    return [
        Source(s.supplier_name, s.uscc, s.country, s.share)
        for s in supply_input.sources.order_by("position")
    ]


def snapshot(supply_input: SupplyInput, sources: list[Source]) -> dict:
    """The input as its history records it (JSON-safe)."""
    spend = supply_input.annual_spend_fen
    volume = supply_input.annual_volume
    return {
        "name": supply_input.name,
        "category": supply_input.category,
        "criticality": supply_input.criticality,
        "annual_spend_fen": spend,
        "annual_volume": None if volume is None else str(volume),
        "volume_unit": supply_input.volume_unit,
        "domestic_alternative": supply_input.domestic_alternative,
        "hhi": None if supply_input.hhi is None else str(supply_input.hhi),
        "band": supply_input.band,
        "sources": [source.as_dict() for source in sources],
    }


def _actor(user):
    return user if user is not None and user.is_authenticated else None


def _record_created(item: TrackedItem, supply_input: SupplyInput, actor, after: dict) -> None:
    """The item's own history already says it was opened; the input goes to the audit log."""
    audit_record(
        actor=_actor(actor),
        action="create",
        instance=supply_input,
        after={"event": "supply_input", **after},
        enterprise_id=item.owner_id,
    )


def _record_changed(
    item: TrackedItem, supply_input: SupplyInput, actor, *, before: dict, after: dict, reason: str
) -> None:
    """One line of the item's history and one audit event on the input."""
    ItemEvent.objects.create(
        item=item,
        action=EventAction.EDITED,
        actor=_actor(actor),
        at=clock.now(),
        before={"supply": before},
        after={"supply": after},
        reason=reason,
    )
    audit_record(
        actor=_actor(actor),
        action="update",
        instance=supply_input,
        before=before,
        after={"event": "supply_input", **after, **({"reason": reason} if reason else {})},
        enterprise_id=item.owner_id,
    )


def _name_taken(owner_id: int, name: str, *, other_than: int | None = None) -> bool:
    taken = SupplyInput.objects.filter(owner_id=owner_id, name=name)
    if other_than is not None:
        taken = taken.exclude(id=other_than)
    return taken.exists()


def _taken_message(name: str) -> str:
    return _("This enterprise already has an input named %(name)s.") % {"name": name}


def _clean_new(owner_id: int, fields: dict, sources, errors: dict) -> tuple[dict, list[Source]]:
    cleaned = clean_fields({field: fields.get(field) for field in INPUT_FIELDS}, errors)
    cleaned_sources = clean_sources(sources, errors)
    if cleaned.get("name") and _name_taken(owner_id, cleaned["name"]):
        errors["name"] = [_taken_message(cleaned["name"])]
    return cleaned, cleaned_sources


def _save_new(item: TrackedItem, cleaned: dict, sources: list[Source]) -> SupplyInput:
    supply_input = SupplyInput(item=item, owner_id=item.owner_id, **cleaned)
    for field, value in _assessment(cleaned, sources).items():
        setattr(supply_input, field, value)
    supply_input.save()
    _write_sources(supply_input, sources)
    return supply_input


@transaction.atomic
def input_create(
    *,
    acting_user,
    owner: Enterprise,
    fields: dict,
    sources=(),
    title: str = "",
    description: str = "",
    plan: str = "",
    due_date: date | None = None,
    responsible_name: str = "",
    responsible_user: User | None = None,
) -> SupplyInput:
    """Open a key input of `owner`: its tracked item, the input and its suppliers, all of it or
    nothing. Every field problem, the item's and the input's, comes back at once."""
    errors: dict[str, list[str]] = {}
    cleaned, cleaned_sources = _clean_new(owner.id, fields, sources, errors)
    item = None
    try:
        item = ledger_services.item_create(
            acting_user=acting_user,
            register=Register.SUPPLY_INPUT,
            owner=owner,
            title=(title or "").strip() or cleaned.get("name") or "",
            description=description,
            due_date=due_date,
            responsible_name=responsible_name,
            responsible_user=responsible_user,
            attributes={"plan": plan} if (plan or "").strip() else {},
        )
    except Forbidden:
        raise
    except DomainError as error:
        item_errors = dict(error.fields)
        if not (title or "").strip():
            # The title defaults to the input's name, whose own problem is reported already.
            item_errors.pop("title", None)
        errors.update(item_errors)
    if errors:
        raise DomainError(
            _("The input was not opened: some fields are not valid."),
            code="invalid",
            fields=errors,
        )
    supply_input = _save_new(item, cleaned, cleaned_sources)
    _record_created(item, supply_input, acting_user, snapshot(supply_input, cleaned_sources))
    return supply_input


def can_change(user, item: TrackedItem) -> bool:
    """The owner's reporters (or those above it) and the supervisor's analysts and reviewers."""
    if user is None:
        return True
    return permissions.can_report(user, item) or permissions.can_manage(user, item)


def _ensure_changeable(user, item: TrackedItem) -> None:
    if not can_change(user, item):
        raise Forbidden(
            _("Only the owner's reporters and the supervisor's analysts and reviewers change it.")
        )
    if item.status not in ACTIVE:
        raise DomainError(
            _("This item is %(status)s: its input is no longer changed.")
            % {"status": item.get_status_display().lower()},
            code="state",
        )


@transaction.atomic
def input_update(
    *,
    acting_user,
    supply_input: SupplyInput,
    fields: dict | None = None,
    sources=None,
    reason: str = "",
) -> SupplyInput:
    """Change the input's fields (those given) and, when `sources` is given, replace its
    suppliers with them; the flags follow. Nothing is written on any problem."""
    supply_input = (
        SupplyInput.objects.select_for_update().select_related("item").get(id=supply_input.id)
    )
    item = supply_input.item
    _ensure_changeable(acting_user, item)
    errors: dict[str, list[str]] = {}
    given = {field: value for field, value in (fields or {}).items() if field in INPUT_FIELDS}
    unknown = sorted(set(fields or {}) - set(INPUT_FIELDS))
    for field in unknown:
        errors[field] = [_("There is no such field.")]
    if "annual_volume" in given or "volume_unit" in given:
        # A volume and its unit are checked together, the one not given as stored.
        given.setdefault("annual_volume", supply_input.annual_volume)
        given.setdefault("volume_unit", supply_input.volume_unit)
    cleaned = clean_fields(given, errors)
    old_sources = _stored_sources(supply_input)
    new_sources = old_sources if sources is None else clean_sources(sources, errors)
    name = cleaned.get("name")
    if name and _name_taken(supply_input.owner_id, name, other_than=supply_input.id):
        errors["name"] = [_taken_message(name)]
    if errors:
        raise DomainError(
            _("Nothing was changed: some fields are not valid."), code="invalid", fields=errors
        )
    before = snapshot(supply_input, old_sources)
    for field, value in cleaned.items():
        setattr(supply_input, field, value)
    current = {"domestic_alternative": supply_input.domestic_alternative}
    for field, value in _assessment(current, new_sources).items():
        setattr(supply_input, field, value)
    after = snapshot(supply_input, new_sources)
    if after == before:
        return supply_input
    supply_input.save()
    if new_sources != old_sources:
        _write_sources(supply_input, new_sources)
    changed_before = {key: value for key, value in before.items() if after[key] != value}
    changed_after = {key: value for key, value in after.items() if before[key] != value}
    _record_changed(
        item,
        supply_input,
        acting_user,
        before=changed_before,
        after=changed_after,
        reason=(reason or "").strip(),
    )
    return supply_input


@transaction.atomic
def input_attach(*, acting_user, item: TrackedItem, fields: dict, sources=()) -> SupplyInput:
    """Record the input of a supply item opened without one (through the ledgers' generic
    form or API): the same checks and history as a change."""
    item = TrackedItem.objects.select_for_update(of=("self",)).get(id=item.id)
    if item.register != Register.SUPPLY_INPUT:
        raise DomainError(_("This item is not a key supply input."), code="register")
    if SupplyInput.objects.filter(item=item).exists():
        raise DomainError(_("This item has its input already."), code="state")
    _ensure_changeable(acting_user, item)
    errors: dict[str, list[str]] = {}
    cleaned, cleaned_sources = _clean_new(item.owner_id, fields, sources, errors)
    if errors:
        raise DomainError(
            _("Nothing was changed: some fields are not valid."), code="invalid", fields=errors
        )
    supply_input = _save_new(item, cleaned, cleaned_sources)
    after = snapshot(supply_input, cleaned_sources)
    _record_changed(item, supply_input, acting_user, before={}, after=after, reason="")
    return supply_input
