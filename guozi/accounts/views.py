"""Inbox and API tokens (every user, their own), users and memberships (security admin), and
the login log (audit roles and the security admin)."""

from axes.models import AccessFailureLog, AccessLog
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import BooleanField, CharField, DateTimeField, F, Prefetch, Q, Value
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guozi.lib import clock
from guozi.lib.errors import DomainError
from guozi.lib.models import pick_language

from . import services
from .access import Scope, scoped
from .forms import (
    LoginLogFilterForm,
    MembershipEndForm,
    MembershipForm,
    TokenCreateForm,
    UserCreateForm,
    UserEditForm,
    UserFilterForm,
)
from .models import ApiToken, Membership, Notification, User

PAGE_SIZE = 50


def _page(request, queryset, size=PAGE_SIZE):
    return Paginator(queryset, size).get_page(request.GET.get("page") or request.POST.get("page"))


def _query(request) -> str:
    """The current filters as a query string, for the pager's links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# --- inbox ---------------------------------------------------------------------------------


def _inbox_context(request) -> dict:
    notes = Notification.objects.filter(user=request.user)
    page = _page(request, notes, 30)
    language = get_language()
    page.object_list = list(page.object_list)
    for note in page.object_list:
        note.subject_text = pick_language(note.subject_zh, note.subject_en, language)
        note.body_text = pick_language(note.body_zh, note.body_en, language)
    return {"page": page, "unread": notes.filter(read_at__isnull=True).count()}


@scoped(Scope.SELF)
def inbox(request):
    return render(request, "accounts/inbox.html", _inbox_context(request))


@scoped(Scope.SELF)
@require_POST
def inbox_read(request, notification_id: int | None = None):
    """Mark one notification (or, without an id, all of them) read."""
    ids = None if notification_id is None else [notification_id]
    services.notification_mark_read(user=request.user, notification_ids=ids)
    if request.htmx:
        return render(request, "accounts/_inbox_list.html", _inbox_context(request))
    return redirect("accounts:inbox")


# --- API tokens ----------------------------------------------------------------------------


@scoped(Scope.SELF)
def tokens(request):
    """List the user's own tokens; a POST creates one and shows its key this once."""
    new_key = None
    form = TokenCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _token, new_key = services.token_create(
            acting_user=request.user, user=request.user, name=form.cleaned_data["name"]
        )
        form = TokenCreateForm()
    return render(
        request,
        "accounts/tokens.html",
        {
            "tokens": ApiToken.objects.filter(user=request.user).order_by("-created_at"),
            "form": form,
            "new_key": new_key,
        },
        status=400 if form.errors else 200,
    )


@scoped(Scope.SELF)
@require_POST
def token_revoke(request, token_id: int):
    token = get_object_or_404(ApiToken, id=token_id, user=request.user)
    services.token_revoke(acting_user=request.user, token=token)
    messages.success(request, _("Token %(prefix)s… revoked.") % {"prefix": token.prefix})
    return redirect("accounts:tokens")


# --- users and memberships (security administrator) ----------------------------------------


def _memberships():
    return Membership.objects.select_related("supervisor", "enterprise").order_by(
        "-valid_from", "id"
    )


@scoped(Scope.SECURITY_ADMIN)
def users(request):
    form = UserFilterForm(request.GET or None)
    found = User.objects.order_by("username")
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            found = found.filter(
                Q(username__icontains=data["q"])
                | Q(display_name__icontains=data["q"])
                | Q(email__icontains=data["q"])
            )
        if data["role"]:
            found = found.filter(memberships__role=data["role"])
        if node := data["node"].strip():
            found = found.filter(
                Q(memberships__supervisor__code__iexact=node)
                | Q(memberships__supervisor__name_zh__icontains=node)
                | Q(memberships__supervisor__name_en__icontains=node)
                | Q(memberships__enterprise__uscc=node.upper())
                | Q(memberships__enterprise__name_zh__icontains=node)
                | Q(memberships__enterprise__short_name__icontains=node)
                | Q(memberships__enterprise__name_en__icontains=node)
            )
    found = found.distinct().prefetch_related(Prefetch("memberships", queryset=_memberships()))
    page = _page(request, found)
    return render(
        request,
        "accounts/users.html",
        {
            "form": form,
            "page": page,
            "locked": services.locked_out_usernames(u.username for u in page),
            "today": clock.today(),
            "query": _query(request),
        },
    )


@scoped(Scope.SECURITY_ADMIN)
def user_new(request):
    form = UserCreateForm(request.POST or None, initial={"language": "zh-hans"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(
                acting_user=request.user,
                username=data["username"],
                password=data["password"],
                display_name=data["display_name"],
                email=data["email"],
                language=data["language"],
            )
        except DomainError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("User %(name)s created.") % {"name": user.username})
            return redirect("accounts:user", user_id=user.id)
    return render(
        request, "accounts/user_new.html", {"form": form}, status=400 if form.errors else 200
    )


def _form_errors(form, exc: DomainError) -> None:
    placed = False
    for field, errors in exc.fields.items():
        if field in form.fields:
            for error in errors:
                form.add_error(field, error)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


def _user_page(request, user, *, status=200, **forms):
    context = {
        "subject": user,
        "memberships": _memberships().filter(user=user),
        "tokens": ApiToken.objects.filter(user=user).order_by("-created_at"),
        "locked": services.user_locked_out(user),
        "today": clock.today(),
        "edit_form": UserEditForm(
            initial={
                "display_name": user.display_name,
                "email": user.email,
                "language": user.language,
            }
        ),
        "membership_form": MembershipForm(acting_user=request.user),
        "end_form": MembershipEndForm(initial={"on": clock.today()}),
        "own_account": user.id == request.user.id,
    }
    context.update(forms)
    return render(request, "accounts/user.html", context, status=status)


@scoped(Scope.SECURITY_ADMIN)
def user_detail(request, user_id: int):
    return _user_page(request, get_object_or_404(User, id=user_id))


@scoped(Scope.SECURITY_ADMIN)
@require_POST
def user_edit(request, user_id: int):
    user = get_object_or_404(User, id=user_id)
    form = UserEditForm(request.POST)
    if form.is_valid():
        try:
            services.user_update(acting_user=request.user, user=user, changes=form.cleaned_data)
        except DomainError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("accounts:user", user_id=user.id)
    return _user_page(request, user, status=400, edit_form=form)


@scoped(Scope.SECURITY_ADMIN)
@require_POST
def user_set_active(request, user_id: int):
    user = get_object_or_404(User, id=user_id)
    active = request.POST.get("active") == "1"
    services.user_set_active(acting_user=request.user, user=user, active=active)
    if active:
        messages.success(request, _("User %(name)s activated.") % {"name": user.username})
    else:
        messages.success(request, _("User %(name)s deactivated.") % {"name": user.username})
    return redirect("accounts:user", user_id=user.id)


@scoped(Scope.SECURITY_ADMIN)
@require_POST
def user_unlock(request, user_id: int):
    user = get_object_or_404(User, id=user_id)
    cleared = services.user_unlock(acting_user=request.user, user=user)
    if cleared:
        messages.success(request, _("User %(name)s unlocked.") % {"name": user.username})
    else:
        messages.info(request, _("User %(name)s was not locked.") % {"name": user.username})
    return redirect("accounts:user", user_id=user.id)


@scoped(Scope.SECURITY_ADMIN)
@require_POST
def user_tokens_revoke(request, user_id: int):
    user = get_object_or_404(User, id=user_id)
    count = services.token_revoke_all(acting_user=request.user, user=user)
    message = ngettext("%(count)d API token revoked.", "%(count)d API tokens revoked.", count)
    messages.success(request, message % {"count": count})
    return redirect("accounts:user", user_id=user.id)


@scoped(Scope.SECURITY_ADMIN)
@require_POST
def membership_new(request, user_id: int):
    user = get_object_or_404(User, id=user_id)
    form = MembershipForm(request.POST, acting_user=request.user)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.membership_create(
                acting_user=request.user,
                user=user,
                role=data["role"],
                supervisor=data["supervisor"],
                enterprise=data["enterprise"],
                valid_from=data["valid_from"],
                valid_to=data["valid_to"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
            status = exc.status
        else:
            messages.success(request, _("Membership added."))
            return redirect("accounts:user", user_id=user.id)
    return _user_page(request, user, status=status, membership_form=form)


@scoped(Scope.SECURITY_ADMIN)
@require_POST
def membership_end(request, membership_id: int):
    membership = get_object_or_404(Membership, id=membership_id)
    form = MembershipEndForm(request.POST)
    if form.is_valid():
        try:
            services.membership_end(
                acting_user=request.user, membership=membership, on=form.cleaned_data["on"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Membership ended."))
    else:
        messages.error(request, _("Give the date the membership ends."))
    return redirect("accounts:user", user_id=membership.user_id)


# --- login log -----------------------------------------------------------------------------


def _login_log(request, template_base: str):
    """Sign-ins (axes' AccessLog) and failures (AccessFailureLog), newest first."""
    form = LoginLogFilterForm(request.GET or None)
    columns = ["username", "ip_address", "user_agent", "attempt_time", "logout_at", "locked"]
    # Both sides of the union name the same columns in the same order.
    ok = AccessLog.objects.annotate(
        logout_at=F("logout_time"),
        locked=Value(False, output_field=BooleanField()),
        kind=Value("success", output_field=CharField()),
    ).values(*columns, "kind")
    failed = AccessFailureLog.objects.annotate(
        logout_at=Value(None, output_field=DateTimeField()),
        locked=F("locked_out"),
        kind=Value("failure", output_field=CharField()),
    ).values(*columns, "kind")
    kind = ""
    if form.is_valid():
        data = form.cleaned_data
        kind = data["kind"]
        filters = Q()
        if data["username"]:
            filters &= Q(username__icontains=data["username"].strip())
        if data["date_from"]:
            filters &= Q(attempt_time__date__gte=data["date_from"])
        if data["date_to"]:
            filters &= Q(attempt_time__date__lte=data["date_to"])
        ok, failed = ok.filter(filters), failed.filter(filters)
    if form.is_bound and not form.is_valid():
        rows = ok.none()
    elif kind == "success":
        rows = ok.order_by("-attempt_time")
    elif kind == "failure":
        rows = failed.order_by("-attempt_time")
    else:
        rows = ok.union(failed, all=True).order_by("-attempt_time")
    return render(
        request,
        "accounts/login_log.html",
        {
            "form": form,
            "page": _page(request, rows),
            "base": template_base,
            "query": _query(request),
        },
        status=400 if form.errors else 200,
    )


@scoped(Scope.AUDIT)
def login_log(request):
    """The login log for auditors and the audit administrator."""
    return _login_log(request, "audit")


@scoped(Scope.SECURITY_ADMIN)
def security_login_log(request):
    """The same login log for the security administrator, who answers for lock-outs."""
    return _login_log(request, "security")
