"""The profile's registry sections: identity, the chain and the holders, the subsidiaries.

The structure is as of today (the day the profile is read); the figures' period does not move
it. Other enterprises are linked only where the user may read them.
"""

from itertools import zip_longest

from django.urls import reverse
from django.utils.translation import gettext as _

from guozi.indicators.presenters import Cell, Table, number_cell, text_cell
from guozi.registry import directory
from guozi.registry.models import PartyKind
from guozi.registry.selectors import chain_up, holders_at, subtree

from .profile import Context, Section, list_section


def profile_link(enterprise_id: int) -> str:
    return reverse("profile:enterprise", args=[enterprise_id])


def registry_link(enterprise_id: int) -> str:
    return reverse("registry:enterprise", args=[enterprise_id])


def as_of_note(context: Context) -> str:
    return _("Registry as of %(day)s.") % {"day": context.today.isoformat()}


def level_text(level: int) -> str:
    if level == 0:
        return _("outside the management tree")
    return _("level %(level)s (1 is a group)") % {"level": level}


def _industry_text(code: str) -> str:
    name = directory.industry_name(code)
    return f"{code} {name}".strip() if code else ""


def identity(context: Context) -> Section:
    enterprise = context.enterprise
    chain = chain_up(enterprise, context.today)
    group = chain.enterprises[-1] if chain.supervisors else None
    parent = chain.enterprises[1] if len(chain.enterprises) > 1 else None
    status = enterprise.get_status_display()
    if enterprise.status_on:
        status = _("%(status)s since %(day)s") % {
            "status": status,
            "day": enterprise.status_on.isoformat(),
        }
    items = [
        (_("Name"), enterprise.name_zh),
        (_("English name"), enterprise.name_en),
        (_("Short name"), enterprise.short_name),
        (_("USCC") if enterprise.uscc else _("Foreign registration"), enterprise.identifier),
        (_("Supervisor"), enterprise.supervisor.name),
        (_("Level in the tree"), level_text(chain.level)),
        (_("Group"), group.name if group else ""),
        (_("Managed by"), parent.name if parent else ""),
        (_("City"), directory.city_name(enterprise.city_code or enterprise.region_code)),
        (_("Industry (GB/T 4754)"), _industry_text(enterprise.industry_code)),
        (
            _("Functional class"),
            enterprise.function_class.name if enterprise.function_class else "",
        ),
        (_("Ownership level"), enterprise.get_ownership_level_display()),
        (_("Status"), status),
        (_("Portfolio"), enterprise.get_portfolio_display()),
        (
            _("Established on"),
            enterprise.established_on.isoformat() if enterprise.established_on else "",
        ),
        (_("Listed stock codes"), enterprise.listed_codes),
        (_("Main business"), enterprise.main_business),
    ]
    items = [(label, value) for label, value in items if value]
    headers = [_("Item"), _("Value")]
    if context.condensed:  # two items a row, to keep a brief's stop short
        left_out = {_("English name"), _("Short name"), _("Portfolio")}
        items = [item for item in items if item[0] not in left_out]
        items = [
            (*first, *second)
            for first, second in zip_longest(items[0::2], items[1::2], fillvalue=("", ""))
        ]
        headers = headers * 2
    rows = [[text_cell(text) for text in item] for item in items]
    return Section(
        key="identity",
        title=_("Identity"),
        tables=[Table("identity", _("Identity"), headers, rows)],
        charts=[],
        notes=[as_of_note(context)],
        link=registry_link(enterprise.id),
    )


def _holder_name(link, visible: set[int]) -> Cell:
    if link.holder_enterprise_id:
        held = link.holder_enterprise
        target = profile_link(held.id) if held.id in visible else ""
        return text_cell(held.name, link=target)
    if link.holder_supervisor_id:
        return text_cell(link.holder_supervisor.name)
    return text_cell(link.holder_party.name)


def _holder_kind(link) -> str:
    if link.holder_enterprise_id:
        return _("State-owned enterprise")
    if link.holder_supervisor_id:
        return _("Supervisor")
    return link.holder_party.get_kind_display()


def _is_state(link) -> bool:
    return bool(
        link.holder_enterprise_id
        or link.holder_supervisor_id
        or link.holder_party.kind == PartyKind.STATE
    )


def holders(context: Context) -> Section:
    enterprise, day = context.enterprise, context.today
    chain = chain_up(enterprise, day)
    links = list(holders_at(enterprise, day))
    visible = directory.visible_ids(
        context.user,
        day,
        [*(e.id for e in chain.enterprises), *(link.holder_enterprise_id for link in links)],
    )
    chain_rows = [
        [text_cell(supervisor.name), text_cell(_("Supervisor")), text_cell("")]
        for supervisor in reversed(chain.supervisors)
    ]
    top = len(chain.enterprises)
    for depth, member in enumerate(reversed(chain.enterprises)):
        link = profile_link(member.id) if member.id in visible and member != enterprise else ""
        level = level_text(depth + 1) if chain.supervisors else level_text(top - depth - 1)
        chain_rows.append(
            [text_cell(member.name, link=link), text_cell(level), text_cell(member.identifier)]
        )
    holder_rows = [
        [
            _holder_name(link, visible),
            text_cell(_holder_kind(link)),
            number_cell(float(link.pct) / 100, "percent"),
            text_cell(link.valid_from.isoformat()),
        ]
        for link in links
    ]
    notes = [as_of_note(context)]
    if links:
        state = sum(float(link.pct) for link in links if _is_state(link))
        total = sum(float(link.pct) for link in links)
        notes.append(
            _("State holders %(state)s of the %(total)s recorded.")
            % {"state": f"{state:.2f}%", "total": f"{total:.2f}%"}
        )
    return Section(
        key="holders",
        title=_("Chain and holders"),
        tables=[
            Table(
                "chain",
                _("Management chain"),
                [_("Supervisor or enterprise"), _("Level in the tree"), _("Identifier")],
                chain_rows,
            ),
            Table(
                "holders",
                _("Holders"),
                [_("Holder"), _("Kind"), _("Stake"), _("Since")],
                holder_rows,
                notes=[] if holder_rows else [_("No holder recorded.")],
            ),
        ],
        charts=[],
        notes=notes,
        empty=_("No holder recorded."),
        link=registry_link(context.enterprise.id),
    )


def subsidiaries(context: Context) -> Section:
    enterprise, day = context.enterprise, context.today
    nodes = directory.tree_children(context.user, enterprise, day)
    stakes = {link.held_id: link.pct for link in directory.holdings_at(enterprise, day)}
    rows = []
    for node in nodes:
        child = node.enterprise
        stake = stakes.get(child.id)
        rows.append(
            [
                text_cell(child.name, link=profile_link(child.id)),
                text_cell(child.identifier),
                text_cell(directory.city_name(child.city_code or child.region_code)),
                text_cell(_industry_text(child.industry_code)),
                number_cell(
                    float(stake) / 100 if stake is not None else None,
                    "percent",
                    reason=_("no direct stake recorded"),
                ),
                Cell(str(node.child_count), node.child_count, "int"),
            ]
        )
    below = len(subtree(enterprise.id, day)) - 1
    notes = [
        as_of_note(context),
        _("%(direct)s managed directly, %(all)s in the whole subtree.")
        % {"direct": len(rows), "all": below},
        *context.more_note(len(rows)),
    ]
    return list_section(
        context,
        "subsidiaries",
        _("Subsidiaries"),
        [
            _("Subsidiary"),
            _("Identifier"),
            _("City"),
            _("Industry"),
            _("Direct stake"),
            _("Own subsidiaries"),
        ],
        context.shorten(rows),
        notes=notes,
        empty=_("No subsidiaries."),
        link=registry_link(enterprise.id),
    )
