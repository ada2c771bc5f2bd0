"""Memberships (the security administrator's) and the caller's own account (`/me`)."""

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from guozi.accounts import services
from guozi.accounts.access import Scope, active_memberships, has_scope
from guozi.accounts.models import Membership, Role, User
from guozi.lib import clock
from guozi.registry import selectors

from . import schemas
from .auth import api_scope
from .convert import clean_day, enterprise_ref, find_supervisor, supervisor_ref, user_of
from .errors import FieldErrors

router = Router(tags=["memberships"])
ERRORS = {400: schemas.Error, 403: schemas.Error, 404: schemas.Error, 422: schemas.Error}


def membership_out(membership: Membership) -> dict:
    today = clock.today()
    return {
        "id": membership.id,
        "user": membership.user.username,
        "role": membership.role,
        "role_name": str(membership.get_role_display()),
        "supervisor": supervisor_ref(membership.supervisor) if membership.supervisor else None,
        "enterprise": enterprise_ref(membership.enterprise) if membership.enterprise else None,
        "valid_from": membership.valid_from,
        "valid_to": membership.valid_to,
        "active": membership.valid_from <= today
        and (membership.valid_to is None or membership.valid_to > today),
    }


def _memberships():
    return Membership.objects.select_related("user", "supervisor", "enterprise").order_by("id")


@router.get("/memberships", response={200: schemas.MembershipPage, **ERRORS})
@api_scope(Scope.SECURITY_ADMIN)
def list_memberships(
    request,
    user: str = "",
    active: bool | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
):
    """Every membership, optionally of one user (`user`: user name) or only those in force
    today (`active=true`) or not (`active=false`)."""
    found = _memberships()
    if user:
        found = found.filter(user__username=user)
    if active is not None:
        today = clock.today()
        in_force = Q(valid_from__lte=today) & (Q(valid_to__isnull=True) | Q(valid_to__gt=today))
        found = found.filter(in_force) if active else found.exclude(in_force)
    return {
        "total": found.count(),
        "limit": limit,
        "offset": offset,
        "items": [membership_out(m) for m in found[offset : offset + limit]],
    }


@router.post("/memberships", response={201: schemas.Membership, **ERRORS})
@api_scope(Scope.SECURITY_ADMIN)
def create_membership(request, payload: schemas.MembershipCreate):
    """Give a user a role at a supervisor (supervisor roles) or an enterprise (enterprise
    roles), from a date."""
    errors: dict[str, list[str]] = {}
    member = User.objects.filter(username=payload.user).first()
    if member is None:
        errors["user"] = [_("No user has the name %(value)s.") % {"value": payload.user}]
    if payload.role not in Role.values:
        errors["role"] = [
            _("%(value)s is not a role; the roles are: %(roles)s.")
            % {"value": payload.role, "roles": ", ".join(Role.values)}
        ]
    supervisor = enterprise = None
    if payload.supervisor:
        supervisor = find_supervisor(payload.supervisor)
        if supervisor is None:
            errors["supervisor"] = [
                _("No supervisor has the code %(value)s.") % {"value": payload.supervisor}
            ]
    if payload.enterprise:
        enterprise = selectors.find_by_identifier(payload.enterprise)
        if enterprise is None:
            errors["enterprise"] = [
                _("No enterprise has the identifier %(value)s.") % {"value": payload.enterprise}
            ]
    try:
        valid_from = clean_day(payload.valid_from, "valid_from", required=False) or clock.today()
        valid_to = clean_day(payload.valid_to, "valid_to", required=False)
    except FieldErrors as exc:
        errors.update(exc.fields)
    if errors:
        raise FieldErrors(errors)
    membership = services.membership_create(
        acting_user=user_of(request),
        user=member,
        role=payload.role,
        supervisor=supervisor,
        enterprise=enterprise,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    return Status(201, membership_out(membership))


@router.post("/memberships/{int:id}/end", response={200: schemas.Membership, **ERRORS})
@api_scope(Scope.SECURITY_ADMIN)
def end_membership(request, id: int, payload: schemas.EndOn):
    """End a membership on a date (the first day it no longer applies)."""
    membership = get_object_or_404(_memberships(), id=id)
    on = clean_day(payload.on, "on")
    services.membership_end(acting_user=user_of(request), membership=membership, on=on)
    return membership_out(membership)


@router.get("/me", response={200: schemas.Me, 403: schemas.Error}, tags=["me"])
@api_scope(Scope.SELF)
def me(request):
    """Your account, your roles today, the scopes they give, and all your memberships."""
    user = user_of(request)
    return {
        "user": {
            "id": user.id,
            "username": user.username,
            "display_name": user.display_name,
            "email": user.email,
            "language": user.language,
        },
        "roles": sorted({m.role for m in active_memberships(user)}),
        "scopes": [scope.value for scope in Scope if has_scope(user, scope)],
        "memberships": [membership_out(m) for m in _memberships().filter(user=user)],
    }
