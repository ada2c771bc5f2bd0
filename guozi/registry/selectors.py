"""Scoped reads of the registry: the tree as of a date, chains, and who sees which enterprise.

Tree walks are recursive CTEs over the effective-dated `ManagementLink` table; they run the same
on SQLite and PostgreSQL.
"""

from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.db.models.expressions import RawSQL

from guozi.accounts.access import active_memberships
from guozi.accounts.models import ENTERPRISE_ROLES, PORTFOLIO_ROLES, REGISTRY_EDITOR_ROLES
from guozi.lib import clock

from .models import Enterprise, EquityLink, ManagementLink, Supervisor

LINK = ManagementLink._meta.db_table
VALID_AT = "{t}.valid_from <= %s AND ({t}.valid_to IS NULL OR {t}.valid_to > %s)"


def _subtree_sql(roots: list[int], day: date, *, columns: str = "id") -> tuple[str, list]:
    """SQL selecting the enterprises under (and including) `roots` on `day`, with depth."""
    marks = ",".join(["%s"] * len(roots))
    sql = (
        f"WITH RECURSIVE sub(id, depth) AS ("
        f" SELECT e.id, 0 FROM {Enterprise._meta.db_table} e WHERE e.id IN ({marks})"
        f" UNION SELECT l.child_id, sub.depth + 1 FROM {LINK} l JOIN sub ON l.parent_id = sub.id"
        f" WHERE {VALID_AT.format(t='l')}"
        f") SELECT {columns} FROM sub"
    )
    return sql, [*roots, day, day]


def subtree(root_id: int, day: date) -> list[tuple[int, int]]:
    """(enterprise id, depth below the root) for the root and everything it manages on `day`."""
    sql, params = _subtree_sql([root_id], day, columns="id, depth")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def supervisor_descendants(supervisor_ids: set[int]) -> set[int]:
    """The supervisors themselves and every supervisor below them."""
    edges = dict(Supervisor.objects.values_list("id", "parent_id"))
    found = set(supervisor_ids)
    changed = True
    while changed:
        below = {child for child, parent in edges.items() if parent in found} - found
        found |= below
        changed = bool(below)
    return found


def parent_link_at(enterprise_id: int, day: date) -> ManagementLink | None:
    return (
        ManagementLink.objects.filter(child_id=enterprise_id, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
        .select_related("parent", "parent_supervisor")
        .first()
    )


@dataclass(frozen=True)
class Chain:
    """From an enterprise up to its group, then the group's supervisor and the ones above."""

    enterprises: list[Enterprise]  # the enterprise first, its group last
    supervisors: list[Supervisor]  # the group's supervisor first

    @property
    def level(self) -> int:
        """1 for a group (一级), 2 for its subsidiaries (二级), …; 0 when outside any tree."""
        return len(self.enterprises) if self.supervisors else 0


def chain_up(enterprise: Enterprise, day: date) -> Chain:
    sql = (
        f"WITH RECURSIVE up(id, parent_id, sup_id, depth) AS ("
        f" SELECT l.child_id, l.parent_id, l.parent_supervisor_id, 0 FROM {LINK} l"
        f" WHERE l.child_id = %s AND {VALID_AT.format(t='l')}"
        f" UNION SELECT l.child_id, l.parent_id, l.parent_supervisor_id, up.depth + 1"
        f" FROM {LINK} l JOIN up ON l.child_id = up.parent_id WHERE {VALID_AT.format(t='l')}"
        f" AND up.depth < 50"
        f") SELECT id, sup_id FROM up ORDER BY depth"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [enterprise.id, day, day, day, day])
        rows = cursor.fetchall()
    by_id = Enterprise.objects.in_bulk([row[0] for row in rows])
    enterprises = [by_id[row[0]] for row in rows] or [enterprise]
    supervisor_id = next((row[1] for row in rows if row[1]), None)
    supervisors: list[Supervisor] = []
    if supervisor_id:
        every = Supervisor.objects.in_bulk()
        current = every.get(supervisor_id)
        while current is not None:
            supervisors.append(current)
            current = every.get(current.parent_id)
    return Chain(enterprises=enterprises, supervisors=supervisors)


def children_at(day: date, *, parent_id: int | None = None, supervisor_id: int | None = None):
    """The enterprises managed directly by an enterprise, or the groups of a supervisor."""
    links = ManagementLink.objects.filter(valid_from__lte=day).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=day)
    )
    if supervisor_id is not None:
        links = links.filter(parent_supervisor_id=supervisor_id)
    else:
        links = links.filter(parent_id=parent_id)
    return Enterprise.objects.filter(id__in=links.values("child_id"))


def child_counts_at(parent_ids: list[int], day: date) -> dict[int, int]:
    rows = (
        ManagementLink.objects.filter(parent_id__in=parent_ids, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
        .values("parent_id")
        .annotate(n=Count("id"))
    )
    return {row["parent_id"]: row["n"] for row in rows}


def holders_at(enterprise: Enterprise, day: date) -> QuerySet[EquityLink]:
    return (
        EquityLink.objects.filter(held=enterprise, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
        .select_related("holder_enterprise", "holder_supervisor", "holder_party")
        .order_by("-pct")
    )


# --- who sees what -------------------------------------------------------------------------


def visibility_filter(user, day: date | None = None) -> Q:
    """A filter on Enterprise for what `user` may read about `day` (default today).

    Supervisor roles read their supervisor's portfolio and those of the supervisors below.
    Enterprise roles read their subtree: as it was on `day` if they held the membership then,
    and as it is today (the current parent sees its subsidiaries' whole history).
    """
    today = clock.today()
    day = day or today
    supervisor_nodes: set[int] = set()
    roots_by_day: dict[date, set[int]] = {}
    for check_day in {day, today}:
        for membership in active_memberships(user, check_day):
            if membership.role not in PORTFOLIO_ROLES:
                continue
            if membership.supervisor_id:
                supervisor_nodes.add(membership.supervisor_id)
            elif membership.role in ENTERPRISE_ROLES:
                roots_by_day.setdefault(check_day, set()).add(membership.enterprise_id)
    condition = Q(pk__in=[])
    if supervisor_nodes:
        condition |= Q(supervisor_id__in=supervisor_descendants(supervisor_nodes))
    for check_day, roots in roots_by_day.items():
        sql, params = _subtree_sql(sorted(roots), check_day)
        condition |= Q(id__in=RawSQL(sql, params))
    return condition


def visible_enterprises(user, day: date | None = None) -> QuerySet[Enterprise]:
    return Enterprise.objects.filter(visibility_filter(user, day))


def get_visible_enterprise(user, enterprise_id: int, day: date | None = None) -> Enterprise:
    """The enterprise if `user` may read it, else Http404: the same answer as for no such id."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(visible_enterprises(user, day), id=enterprise_id)


def editable_supervisor_ids(user) -> set[int]:
    """Supervisors whose registry the user may change: only their own, never lower ones."""
    if user is None:
        return set(Supervisor.objects.values_list("id", flat=True))
    return {
        m.supervisor_id
        for m in active_memberships(user)
        if m.role in REGISTRY_EDITOR_ROLES and m.supervisor_id
    }


def readable_supervisors(user) -> QuerySet[Supervisor]:
    ids = {m.supervisor_id for m in active_memberships(user) if m.supervisor_id}
    if not ids:
        enterprise_sups = (
            visible_enterprises(user).values_list("supervisor_id", flat=True).distinct()
        )
        return Supervisor.objects.filter(id__in=enterprise_sups)
    return Supervisor.objects.filter(id__in=supervisor_descendants(ids))


def find_by_identifier(value: str) -> Enterprise | None:
    """Any identifier: internal id, USCC, or COUNTRY:foreign number (or a bare foreign number)."""
    value = (value or "").strip()
    if not value:
        return None
    found = None
    if value.isdigit() and len(value) < 18:
        found = Enterprise.objects.filter(id=int(value)).first()
    found = found or Enterprise.objects.filter(uscc=value.upper()).first()
    if found:
        return found
    country, _, number = value.partition(":")
    if number and len(country) == 2:
        return Enterprise.objects.filter(
            foreign_country=country.upper(), foreign_reg_no=number
        ).first()
    return Enterprise.objects.filter(foreign_reg_no=value).first()
