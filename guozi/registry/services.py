"""Every change to the registry goes through here: validated, permission-checked, audited."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from guozi.audit.services import audit_changes, audit_record, snapshot
from guozi.lib import codetables
from guozi.lib.errors import DomainError, Forbidden
from guozi.lib.pinyin import search_text

from . import selectors
from .models import (
    Enterprise,
    EnterpriseStatus,
    EquityLink,
    ManagementLink,
    OutsideParty,
    Supervisor,
)

EDITABLE_FIELDS = [
    "uscc",
    "foreign_reg_no",
    "foreign_country",
    "name_zh",
    "name_en",
    "short_name",
    "supervisor",
    "region_code",
    "industry_code",
    "function_class",
    "ownership_level",
    "listed_codes",
    "main_business",
    "established_on",
    "status",
    "status_on",
    "portfolio",
]


def derive_fields(enterprise: Enterprise) -> None:
    """Fields kept for search and filtering, derived from the ones a user enters."""
    enterprise.search_text = search_text(
        enterprise.name_zh, enterprise.short_name, enterprise.name_en
    )
    enterprise.city_code = codetables.prefecture_of(enterprise.region_code) or ""
    enterprise.industry_section = (enterprise.industry_code or "")[:1]


def require_editor(acting_user, supervisor_id: int) -> None:
    if supervisor_id not in selectors.editable_supervisor_ids(acting_user):
        raise Forbidden(_("You may not change the registry of this supervisor."))


def _check_identity(enterprise: Enterprise) -> None:
    if not enterprise.uscc and not enterprise.foreign_reg_no:
        raise DomainError(
            _("An enterprise needs a USCC or a foreign registration number with its country."),
            fields={"uscc": [_("Give a USCC or a foreign registration number.")]},
        )
    if enterprise.foreign_reg_no and not enterprise.foreign_country:
        raise DomainError(
            _("A foreign registration number needs its country."),
            fields={"foreign_country": [_("Required with a foreign registration number.")]},
        )
    clash = Enterprise.objects.exclude(id=enterprise.id)
    if enterprise.uscc and clash.filter(uscc=enterprise.uscc).exists():
        raise DomainError(
            _("USCC %(uscc)s is already registered.") % {"uscc": enterprise.uscc},
            fields={"uscc": [_("Already registered.")]},
        )


@transaction.atomic
def enterprise_create(
    *,
    acting_user,
    fields: dict,
    parent: Enterprise | None = None,
    parent_supervisor: Supervisor | None = None,
    ownership_pct: Decimal | None = None,
    valid_from: date,
) -> Enterprise:
    """Register an enterprise under its management parent (an enterprise or, for a group,
    the supervisor), with the parent's stake as an equity link when given."""
    enterprise = Enterprise(**fields)
    require_editor(acting_user, enterprise.supervisor_id)
    _check_identity(enterprise)
    derive_fields(enterprise)
    enterprise.full_clean(exclude=["uscc"] if enterprise.uscc is None else None)
    enterprise.save()
    audit_record(
        actor=acting_user,
        action="create",
        instance=enterprise,
        after=snapshot(enterprise),
        enterprise_id=enterprise.id,
    )
    if parent is not None or parent_supervisor is not None:
        management_parent_set(
            acting_user=acting_user,
            enterprise=enterprise,
            parent=parent,
            parent_supervisor=parent_supervisor,
            on=valid_from,
        )
    if ownership_pct is not None and (parent or parent_supervisor):
        equity_link_add(
            acting_user=acting_user,
            held=enterprise,
            holder=parent or parent_supervisor,
            pct=ownership_pct,
            valid_from=valid_from,
        )
    return enterprise


@transaction.atomic
def enterprise_update(*, acting_user, enterprise: Enterprise, changes: dict) -> Enterprise:
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(_("These fields cannot be changed here: %s") % ", ".join(sorted(unknown)))
    require_editor(acting_user, enterprise.supervisor_id)
    if "supervisor" in changes:
        require_editor(acting_user, changes["supervisor"].id)
    before = snapshot(enterprise)
    for name, value in changes.items():
        setattr(enterprise, name, value)
    _check_identity(enterprise)
    derive_fields(enterprise)
    enterprise.full_clean(exclude=["uscc"] if enterprise.uscc is None else None)
    enterprise.save()
    audit_changes(
        actor=acting_user, instance=enterprise, before=before, enterprise_id=enterprise.id
    )
    return enterprise


def _open_at(queryset, day: date):
    return queryset.filter(valid_from__lte=day).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=day)
    )


@transaction.atomic
def management_parent_set(
    *,
    acting_user,
    enterprise: Enterprise,
    parent: Enterprise | None = None,
    parent_supervisor: Supervisor | None = None,
    on: date,
    note: str = "",
) -> ManagementLink:
    """From `on`, `enterprise` is managed (consolidated) by `parent` or, for a group, by
    `parent_supervisor`. The link it had that day ends there; history stays."""
    if (parent is None) == (parent_supervisor is None):
        raise DomainError(_("Give exactly one management parent: an enterprise or a supervisor."))
    require_editor(acting_user, enterprise.supervisor_id)
    if parent is not None:
        if parent.id == enterprise.id:
            raise DomainError(_("An enterprise cannot be its own parent."), code="cycle")
        below = {row[0] for row in selectors.subtree(enterprise.id, on)}
        if parent.id in below:
            raise DomainError(
                _("%(parent)s is managed by %(child)s on %(day)s: that would make a cycle.")
                % {"parent": parent, "child": enterprise, "day": on},
                code="cycle",
            )
    links = ManagementLink.objects.select_for_update().filter(child=enterprise)
    later = links.filter(valid_from__gt=on)
    if later.exists():
        raise DomainError(
            _(
                "%(name)s already has a management parent from %(day)s; "
                "two parents at once are not allowed."
            )
            % {"name": enterprise, "day": later.order_by("valid_from").first().valid_from},
            code="two_parents",
        )
    current = _open_at(links, on).first()
    if current is not None:
        before = snapshot(current)
        if current.valid_from == on:
            # Replacing the parent from the same day: the old link never took effect.
            audit_record(
                actor=acting_user,
                action="delete",
                instance=current,
                before=before,
                enterprise_id=enterprise.id,
            )
            current.delete()
        else:
            current.valid_to = on
            current.save(update_fields=["valid_to"])
            audit_changes(
                actor=acting_user, instance=current, before=before, enterprise_id=enterprise.id
            )
    link = ManagementLink.objects.create(
        child=enterprise,
        parent=parent,
        parent_supervisor=parent_supervisor,
        valid_from=on,
        note=note,
    )
    audit_record(
        actor=acting_user,
        action="create",
        instance=link,
        after=snapshot(link),
        enterprise_id=enterprise.id,
    )
    return link


def _check_equity_total(
    held: Enterprise, pct: Decimal, start: date, end: date | None, exclude_id: int | None = None
) -> None:
    overlapping = EquityLink.objects.filter(held=held).exclude(id=exclude_id)
    overlapping = overlapping.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=start))
    if end is not None:
        overlapping = overlapping.filter(valid_from__lt=end)
    links = list(overlapping)
    # The total only changes where a link starts, so checking those days is enough.
    for day in {start, *(link.valid_from for link in links if link.valid_from > start)}:
        total = pct + sum(
            (
                link.pct
                for link in links
                if link.valid_from <= day and (link.valid_to is None or link.valid_to > day)
            ),
            Decimal(0),
        )
        if total > 100:
            raise DomainError(
                _(
                    "Holdings in %(name)s would total %(total)s%% on %(day)s; "
                    "at most 100%% is possible."
                )
                % {"name": held, "total": total.normalize(), "day": day},
                code="equity_over_100",
                fields={"pct": [_("The holders' stakes would exceed 100%.")]},
            )


@transaction.atomic
def equity_link_add(
    *,
    acting_user,
    held: Enterprise,
    holder: Enterprise | Supervisor | OutsideParty,
    pct: Decimal,
    valid_from: date,
    valid_to: date | None = None,
) -> EquityLink:
    require_editor(acting_user, held.supervisor_id)
    pct = Decimal(pct)
    if not pct.is_finite() or pct < 0 or pct > 100:
        raise DomainError(
            _("The percentage %(pct)s is outside 0–100.") % {"pct": pct},
            code="pct_range",
            fields={"pct": [_("Between 0 and 100.")]},
        )
    if valid_to is not None and valid_to <= valid_from:
        raise DomainError(_("A link must end after it starts."), code="dates")
    if isinstance(holder, Enterprise) and holder.id == held.id:
        raise DomainError(_("An enterprise cannot hold itself."), code="cycle")
    Enterprise.objects.select_for_update().filter(id=held.id).first()
    _check_equity_total(held, pct, valid_from, valid_to)
    link = EquityLink(held=held, pct=pct, valid_from=valid_from, valid_to=valid_to)
    if isinstance(holder, Enterprise):
        link.holder_enterprise = holder
    elif isinstance(holder, Supervisor):
        link.holder_supervisor = holder
    else:
        link.holder_party = holder
    link.save()
    audit_record(
        actor=acting_user,
        action="create",
        instance=link,
        after=snapshot(link),
        enterprise_id=held.id,
    )
    return link


@transaction.atomic
def equity_link_end(*, acting_user, link: EquityLink, on: date) -> EquityLink:
    require_editor(acting_user, link.held.supervisor_id)
    if on <= link.valid_from:
        raise DomainError(_("A link must end after it starts."), code="dates")
    before = snapshot(link)
    link.valid_to = on
    link.save(update_fields=["valid_to"])
    audit_changes(actor=acting_user, instance=link, before=before, enterprise_id=link.held_id)
    return link


@transaction.atomic
def enterprise_merge(*, acting_user, absorbed: Enterprise, into: Enterprise, on: date) -> None:
    """`into` absorbs `absorbed` on `on` (吸收合并): the subsidiaries move under `into`, the
    absorbed enterprise's own links end, and it is marked merged. History stays."""
    if absorbed.id == into.id:
        raise DomainError(_("An enterprise cannot absorb itself."), code="cycle")
    for child in selectors.children_at(on, parent_id=absorbed.id):
        management_parent_set(
            acting_user=acting_user, enterprise=child, parent=into, on=on, note="merger"
        )
        for stake in _open_at(
            EquityLink.objects.filter(held=child, holder_enterprise=absorbed), on
        ):
            equity_link_end(acting_user=acting_user, link=stake, on=on)
            equity_link_add(
                acting_user=acting_user, held=child, holder=into, pct=stake.pct, valid_from=on
            )
    for link in _open_at(ManagementLink.objects.filter(child=absorbed), on):
        before = snapshot(link)
        link.valid_to = on
        link.save(update_fields=["valid_to"])
        audit_changes(actor=acting_user, instance=link, before=before, enterprise_id=absorbed.id)
    for stake in _open_at(EquityLink.objects.filter(held=absorbed), on):
        equity_link_end(acting_user=acting_user, link=stake, on=on)
    enterprise_update(
        acting_user=acting_user,
        enterprise=absorbed,
        changes={"status": EnterpriseStatus.MERGED, "status_on": on},
    )
    before = snapshot(absorbed)
    absorbed.merged_into = into
    absorbed.save(update_fields=["merged_into"])
    audit_changes(actor=acting_user, instance=absorbed, before=before, enterprise_id=absorbed.id)


@transaction.atomic
def enterprise_transfer(
    *, acting_user, enterprise: Enterprise, new_parent: Enterprise, on: date
) -> None:
    """Move a subsidiary to another parent on `on` (无偿划转), with the old parent's stake."""
    old = selectors.parent_link_at(enterprise.id, on)
    management_parent_set(
        acting_user=acting_user, enterprise=enterprise, parent=new_parent, on=on, note="transfer"
    )
    if old is not None and old.parent_id:
        for stake in _open_at(
            EquityLink.objects.filter(held=enterprise, holder_enterprise_id=old.parent_id), on
        ):
            equity_link_end(acting_user=acting_user, link=stake, on=on)
            equity_link_add(
                acting_user=acting_user,
                held=enterprise,
                holder=new_parent,
                pct=stake.pct,
                valid_from=on,
            )
    if new_parent.supervisor_id != enterprise.supervisor_id:
        enterprise_update(
            acting_user=acting_user,
            enterprise=enterprise,
            changes={"supervisor": new_parent.supervisor},
        )


DEFAULT_FUNCTION_CLASSES = [
    ("commercial_competitive", "商业一类", "Commercial, competitive"),
    ("commercial_strategic", "商业二类", "Commercial, strategic"),
    ("public_welfare", "公益类", "Public welfare"),
]


@transaction.atomic
def supervisor_create(*, acting_user, fields: dict, parent: Supervisor | None = None) -> Supervisor:
    """A new supervisor, with the default functional classes (a supervisor may change them)."""
    from .models import FunctionClass

    supervisor = Supervisor(parent=parent, **fields)
    supervisor.full_clean()
    supervisor.save()
    audit_record(
        actor=acting_user, action="create", instance=supervisor, after=snapshot(supervisor)
    )
    for code, name_zh, name_en in DEFAULT_FUNCTION_CLASSES:
        FunctionClass.objects.create(
            supervisor=supervisor, code=code, name_zh=name_zh, name_en=name_en
        )
    return supervisor


@transaction.atomic
def outside_party_create(
    *, acting_user, name_zh: str, name_en: str = "", kind: str
) -> OutsideParty:
    """A holder outside the registry (a fund, private investors, the public float)."""
    if acting_user is not None and not selectors.editable_supervisor_ids(acting_user):
        raise Forbidden(_("You may not change the registry."))
    party = OutsideParty(name_zh=name_zh.strip(), name_en=name_en.strip(), kind=kind)
    party.full_clean()
    party.save()
    audit_record(actor=acting_user, action="create", instance=party, after=snapshot(party))
    return party
