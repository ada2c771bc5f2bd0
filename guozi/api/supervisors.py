"""Supervisors the caller may read."""

from ninja import Router

from guozi.accounts.access import Scope
from guozi.registry import selectors

from . import schemas
from .auth import api_scope
from .convert import user_of

router = Router(tags=["supervisors"])


@router.get("/supervisors", response={200: list[schemas.Supervisor], 403: schemas.Error})
@api_scope(Scope.SELF)
def list_supervisors(request):
    """Your own supervisors and the ones below them; for enterprise users, the supervisors of
    the enterprises they may read."""
    return [
        {
            "id": s.id,
            "code": s.code,
            "name": s.name,
            "name_zh": s.name_zh,
            "name_en": s.name_en,
            "short_name": s.short_name,
            "region_code": s.region_code,
            "level": s.level,
            "parent_id": s.parent_id,
        }
        for s in selectors.readable_supervisors(user_of(request)).order_by("id")
    ]
