"""The management tree as of a date, within the caller's scope, as one flat list."""

from datetime import date

from django.db.models import Q
from django.http import Http404
from django.utils.translation import get_language
from ninja import Router

from guozi.accounts.access import Scope
from guozi.lib.models import pick_language
from guozi.registry import selectors
from guozi.registry.models import Enterprise, ManagementLink

from . import schemas
from .auth import api_scope
from .convert import day_or_today, user_of

router = Router(tags=["tree"])
CHUNK = 2000  # ids per IN (...) list, well under every database's parameter limit


def _links(day: date, visible, candidate_ids: list[int] | None):
    """(child, parent, parent supervisor, names, supervisor) for the visible enterprises that
    are in the tree on `day`, optionally only among `candidate_ids`."""
    links = (
        ManagementLink.objects.filter(valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
        .filter(child__in=visible)
    )
    columns = (
        "child_id",
        "parent_id",
        "parent_supervisor_id",
        "child__name_zh",
        "child__name_en",
        "child__short_name",
        "child__supervisor_id",
    )
    if candidate_ids is None:
        yield from links.values_list(*columns)
        return
    for start in range(0, len(candidate_ids), CHUNK):
        yield from links.filter(child_id__in=candidate_ids[start : start + CHUNK]).values_list(
            *columns
        )


def _level_of_top(enterprise_id: int, parent_supervisor_id: int | None, day: date) -> int:
    if parent_supervisor_id:
        return 1
    return selectors.chain_up(Enterprise(id=enterprise_id), day).level


def build_tree(rows, day: date) -> list[dict]:
    """Depth-first nodes; a node whose parent is not in `rows` is a top of the returned tree."""
    language = get_language()
    nodes = {}
    for child, parent, parent_sup, name_zh, name_en, short_name, supervisor_id in rows:
        nodes[child] = {
            "id": child,
            "name": pick_language(name_zh, name_en, language),
            "short_name": short_name,
            "parent_id": parent,
            "supervisor_id": supervisor_id,
            "_parent_supervisor": parent_sup,
        }
    children: dict[int, list[int]] = {}
    tops = []
    for node_id in sorted(nodes):
        parent = nodes[node_id]["parent_id"]
        if parent in nodes:
            children.setdefault(parent, []).append(node_id)
        else:
            nodes[node_id]["parent_id"] = None
            tops.append(node_id)
    ordered = []
    for top in tops:
        base = _level_of_top(top, nodes[top]["_parent_supervisor"], day)
        stack = [(top, 0)]
        while stack:
            node_id, depth = stack.pop()
            node = nodes[node_id]
            node.pop("_parent_supervisor")
            ordered.append({**node, "depth": depth, "level": base + depth})
            stack.extend((child, depth + 1) for child in reversed(children.get(node_id, [])))
    return ordered


@router.get(
    "/tree",
    response={200: schemas.Tree, 403: schemas.Error, 404: schemas.Error, 422: schemas.Error},
)
@api_scope(Scope.PORTFOLIO)
def management_tree(
    request, as_of: date | None = None, supervisor: str = "", root: int | None = None
):
    """The management tree on a date: everything you may read, or only one supervisor's
    portfolio (`supervisor`: id or code), or the subtree under one enterprise (`root`: id)."""
    user = user_of(request)
    day = day_or_today(as_of)
    visible = selectors.visible_enterprises(user, day)
    if supervisor:
        lookup = Q(code=supervisor)
        if supervisor.isdigit():
            lookup |= Q(id=int(supervisor))
        found = selectors.readable_supervisors(user).filter(lookup).first()
        if found is None:
            raise Http404
        visible = visible.filter(supervisor=found)
    candidates = None
    if root is not None:
        top = selectors.get_visible_enterprise(user, root, day)
        candidates = sorted(row[0] for row in selectors.subtree(top.id, day))
    nodes = build_tree(_links(day, visible, candidates), day)
    return {"as_of": day, "count": len(nodes), "nodes": nodes}
