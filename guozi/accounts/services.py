"""Users, memberships, API tokens and notifications: every write goes through here, audited."""

import hashlib
import secrets
from datetime import date

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guozi.audit.services import audit_changes, audit_record, snapshot
from guozi.lib.errors import DomainError, Forbidden

from .access import Scope, has_scope
from .models import ENTERPRISE_ROLES, ApiToken, Membership, Notification, Role, User

TOKEN_PREFIX = "gz_"


def _require_security_admin(acting_user) -> None:
    if acting_user is not None and not has_scope(acting_user, Scope.SECURITY_ADMIN):
        raise Forbidden(_("Only the security administrator manages users and memberships."))


@transaction.atomic
def user_create(
    *,
    acting_user,
    username: str,
    password: str,
    display_name: str = "",
    email: str = "",
    language: str = "zh-hans",
) -> User:
    _require_security_admin(acting_user)
    if User.objects.filter(username=username).exists():
        raise DomainError(
            _("The user name %(name)s is taken.") % {"name": username},
            fields={"username": [_("Taken.")]},
        )
    user = User(username=username, display_name=display_name, email=email, language=language)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), fields={"password": exc.messages}) from exc
    user.set_password(password)
    user.save()
    after = snapshot(user)
    after.pop("password", None)
    audit_record(actor=acting_user, action="create", instance=user, after=after)
    return user


@transaction.atomic
def user_set_active(*, acting_user, user: User, active: bool) -> User:
    _require_security_admin(acting_user)
    before = snapshot(user, ["is_active"])
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit_changes(actor=acting_user, instance=user, before=before)
    return user


def administered_supervisor_ids(acting_user) -> set[int]:
    """The supervisors whose users a security administrator manages: theirs and those below."""
    from guozi.registry.selectors import supervisor_descendants

    from .access import active_memberships

    own = {
        m.supervisor_id for m in active_memberships(acting_user) if m.role == Role.SECURITY_ADMIN
    }
    return supervisor_descendants(own) if own else set()


@transaction.atomic
def membership_create(
    *,
    acting_user,
    user: User,
    role: str,
    supervisor=None,
    enterprise=None,
    valid_from: date,
    valid_to: date | None = None,
) -> Membership:
    _require_security_admin(acting_user)
    if role not in Role.values:
        raise DomainError(_("Unknown role %(role)s.") % {"role": role})
    if (supervisor is None) == (enterprise is None):
        raise DomainError(_("A membership is at one node: a supervisor or an enterprise."))
    if (role in ENTERPRISE_ROLES) != (enterprise is not None):
        raise DomainError(
            _("Enterprise roles are held at an enterprise; all other roles at a supervisor.")
        )
    if acting_user is not None and acting_user.id == user.id:
        raise Forbidden(_("Nobody grants roles to themselves."))
    if acting_user is not None:
        node_supervisor_id = supervisor.id if supervisor else enterprise.supervisor_id
        if node_supervisor_id not in administered_supervisor_ids(acting_user):
            raise Forbidden(
                _("You administer users of your own supervisor and those below it only.")
            )
    membership = Membership(
        user=user,
        role=role,
        supervisor=supervisor,
        enterprise=enterprise,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    membership.full_clean()
    membership.save()
    audit_record(
        actor=acting_user,
        action="create",
        instance=membership,
        after=snapshot(membership),
        enterprise_id=enterprise.id if enterprise else None,
    )
    return membership


@transaction.atomic
def membership_end(*, acting_user, membership: Membership, on: date) -> Membership:
    _require_security_admin(acting_user)
    if on <= membership.valid_from:
        raise DomainError(_("A membership must end after it starts."))
    before = snapshot(membership)
    membership.valid_to = on
    membership.save(update_fields=["valid_to"])
    audit_changes(
        actor=acting_user,
        instance=membership,
        before=before,
        enterprise_id=membership.enterprise_id,
    )
    return membership


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def token_create(*, acting_user, user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new API token; the key is returned once and only its hash is kept."""
    if acting_user is not None and acting_user.id != user.id:
        _require_security_admin(acting_user)
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=key[:8], key_hash=_hash(key))
    audit_record(
        actor=acting_user,
        action="create",
        instance=token,
        after={"user": user.username, "name": name, "prefix": token.prefix},
    )
    return token, key


@transaction.atomic
def token_revoke(*, acting_user, token: ApiToken) -> ApiToken:
    if acting_user is not None and acting_user.id != token.user_id:
        _require_security_admin(acting_user)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=acting_user,
            action="update",
            instance=token,
            before={"revoked_at": None},
            after={"revoked_at": token.revoked_at.isoformat()},
        )
    return token


def token_user(key: str) -> User | None:
    """The active user behind a bearer key, or None for an unknown or revoked key."""
    if not key or not key.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash(key), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    ApiToken.objects.filter(id=token.id).update(last_used_at=timezone.now())
    return token.user


def notify(
    *,
    user: User,
    subject_zh: str,
    subject_en: str,
    body_zh: str = "",
    body_en: str = "",
    link: str = "",
) -> Notification:
    """Put a message in the user's inbox, and e-mail it when a mail relay is configured."""
    note = Notification.objects.create(
        user=user,
        subject_zh=subject_zh,
        subject_en=subject_en,
        body_zh=body_zh,
        body_en=body_en,
        link=link,
    )
    if settings.EMAIL_HOST and user.email:
        english = user.language == "en"

        def send() -> None:
            send_mail(
                subject_en if english else subject_zh,
                body_en if english else body_zh,
                settings.DEFAULT_FROM_EMAIL,
                [user.email],
                fail_silently=True,
            )
            Notification.objects.filter(id=note.id).update(emailed_at=timezone.now())

        transaction.on_commit(send)
    return note


def notification_mark_read(*, user: User, notification_ids: list[int] | None = None) -> int:
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(id__in=notification_ids)
    return unread.update(read_at=timezone.now())


@transaction.atomic
def user_update(*, acting_user, user: User, changes: dict) -> User:
    """Change a user's display name, e-mail or language (not the password, not the roles)."""
    _require_security_admin(acting_user)
    allowed = {"display_name", "email", "language"}
    unknown = set(changes) - allowed
    if unknown:
        raise DomainError(
            _("These fields cannot be changed here: %(fields)s")
            % {"fields": ", ".join(sorted(unknown))}
        )
    if not changes:
        return user
    before = snapshot(user)
    for name, value in changes.items():
        setattr(user, name, value)
    try:
        user.full_clean(exclude=["password", "username"])
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), fields=exc.message_dict) from exc
    user.save(update_fields=sorted(changes))
    audit_changes(actor=acting_user, instance=user, before=before)
    return user


def locked_out_usernames(usernames) -> set[str]:
    """The names among `usernames` whose sign-in is refused after repeated failures (axes)."""
    from axes.models import AccessAttempt

    threshold = timezone.now() - settings.AXES_COOLOFF_TIME
    return set(
        AccessAttempt.objects.filter(
            username__in=list(usernames),
            attempt_time__gte=threshold,
            failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
        ).values_list("username", flat=True)
    )


def user_locked_out(user: User) -> bool:
    return bool(locked_out_usernames([user.get_username()]))


@transaction.atomic
def user_unlock(*, acting_user, user: User) -> int:
    """Clear the failed sign-ins recorded for the user's name; returns how many were cleared."""
    from axes.utils import reset

    _require_security_admin(acting_user)
    was_locked = user_locked_out(user)
    cleared = reset(username=user.get_username())
    if cleared:
        audit_record(
            actor=acting_user,
            action="update",
            instance=user,
            before={"locked_out": was_locked, "failed_attempts": cleared},
            after={"locked_out": False, "failed_attempts": 0},
        )
    return cleared


@transaction.atomic
def token_revoke_all(*, acting_user, user: User) -> int:
    """Revoke every live API token of the user; returns how many were revoked."""
    if acting_user is not None and acting_user.id != user.id:
        _require_security_admin(acting_user)
    tokens = list(ApiToken.objects.filter(user=user, revoked_at__isnull=True))
    for token in tokens:
        token_revoke(acting_user=acting_user, token=token)
    return len(tokens)
