"""The Django admin, scoped by roles instead of Django's permission tables and `is_staff`.

Who enters the admin at all: active users holding one of `ADMIN_SITE_ROLES`. Which models each
of them sees and may change: the `view_roles` / `change_roles` of each `RoleAdmin`. Every save
and delete goes through a service or writes an audit event.
"""

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from guozi.audit.services import audit_changes, audit_record, snapshot
from guozi.lib.errors import DomainError
from guozi.registry.models import Supervisor
from guozi.registry.selectors import find_by_identifier

from . import services
from .access import roles_of
from .forms import manageable_supervisor_ids
from .models import Membership, Role, User

ADMIN_SITE_ROLES = {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN, Role.AUDITOR}


def has_admin_access(request) -> bool:
    user = request.user
    return user.is_authenticated and user.is_active and bool(roles_of(user) & ADMIN_SITE_ROLES)


def admin_login(request, extra_context=None):
    """Everyone signs in on the one login page (lock-out, login log); the admin has none."""
    if request.user.is_authenticated:
        if has_admin_access(request):
            return redirect("admin:index")
        raise PermissionDenied
    return redirect_to_login(request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index"))


admin.site.has_permission = has_admin_access
admin.site.login = admin_login
admin.site.site_header = _("Guozi master data")
admin.site.site_title = _("Guozi master data")
admin.site.index_title = _("Master data")
# Roles, not Django's groups and permissions, say who may do what; the login log page replaces
# axes' own tables (whose admin would let anyone with the permission unlock without audit).
for model in (Group, AccessAttempt, AccessFailureLog, AccessLog):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class RoleAdmin(admin.ModelAdmin):
    """A ModelAdmin whose permissions come from the user's roles; audited saves and deletes."""

    view_roles: set[str] = set()
    change_roles: set[str] = set()
    can_add = can_change = can_delete = False

    def _roles(self, request) -> set[str]:
        return roles_of(request.user)

    def may_change(self, request, obj) -> bool:
        """Object-level rule on top of the role, e.g. only the admin's own supervisor."""
        return True

    def has_module_permission(self, request):
        return bool(self._roles(request) & (self.view_roles | self.change_roles))

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self.can_add and bool(self._roles(request) & self.change_roles)

    def has_change_permission(self, request, obj=None):
        allowed = self.can_change and bool(self._roles(request) & self.change_roles)
        return allowed and (obj is None or self.may_change(request, obj))

    def has_delete_permission(self, request, obj=None):
        allowed = self.can_delete and bool(self._roles(request) & self.change_roles)
        return allowed and (obj is None or self.may_change(request, obj))

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            # The admin's transaction has been rolled back; say why instead of a server error.
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def audit_enterprise_id(self, obj) -> int | None:
        return None

    def save_model(self, request, obj, form, change):
        if change:
            before = snapshot(type(obj).objects.get(pk=obj.pk))
            obj.save()
            audit_changes(
                actor=request.user,
                instance=obj,
                before=before,
                enterprise_id=self.audit_enterprise_id(obj),
            )
        else:
            obj.save()
            audit_record(
                actor=request.user,
                action="create",
                instance=obj,
                after=snapshot(obj),
                enterprise_id=self.audit_enterprise_id(obj),
            )

    def delete_model(self, request, obj):
        audit_record(
            actor=request.user,
            action="delete",
            instance=obj,
            before=snapshot(obj),
            enterprise_id=self.audit_enterprise_id(obj),
        )
        obj.delete()

    def delete_queryset(self, request, queryset):
        # One audited delete per object, never a silent bulk delete.
        for obj in queryset:
            self.delete_model(request, obj)


def adopt_created(target, created) -> None:
    """Make the admin's unsaved object stand for the one a service created."""
    target.pk = created.pk
    target._state.adding = False
    target._state.db = created._state.db


# --- users and memberships: the security administrator -------------------------------------


class UserAddForm(forms.ModelForm):
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput,
        help_text=password_validators_help_text_html(),
    )
    password_again = forms.CharField(
        label=_("Password again"), strip=False, widget=forms.PasswordInput
    )

    class Meta:
        model = User
        fields = ["username", "display_name", "email", "language"]

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return data


@admin.register(User)
class UserAdmin(RoleAdmin):
    view_roles = change_roles = {Role.SECURITY_ADMIN}
    can_add = can_change = True
    list_display = ["username", "display_name", "email", "is_active", "last_login"]
    list_filter = ["is_active", "memberships__role"]
    search_fields = ["username", "display_name", "email"]
    fields = ["username", "display_name", "email", "language", "is_active"]
    readonly_fields = ["username", "last_login", "date_joined"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return [*UserAddForm.Meta.fields, "password", "password_again"]
        return [*self.fields, "last_login", "date_joined"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = UserAddForm
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created = services.user_create(
                acting_user=request.user,
                username=data["username"],
                password=data["password"],
                display_name=data["display_name"],
                email=data["email"],
                language=data["language"],
            )
            adopt_created(obj, created)
            return
        current = User.objects.get(pk=obj.pk)
        services.user_update(
            acting_user=request.user,
            user=current,
            changes={name: data[name] for name in ["display_name", "email", "language"]},
        )
        if current.is_active != data["is_active"]:
            services.user_set_active(
                acting_user=request.user, user=current, active=data["is_active"]
            )


class MembershipAddForm(forms.ModelForm):
    enterprise_ref = forms.CharField(
        label=_("Enterprise"),
        required=False,
        help_text=_("Internal id, USCC or COUNTRY:registration number"),
    )
    allowed_supervisors: set[int] = set()

    class Meta:
        model = Membership
        fields = ["user", "role", "supervisor", "valid_from", "valid_to"]

    def clean_enterprise_ref(self):
        value = self.cleaned_data["enterprise_ref"].strip()
        if not value:
            return None
        found = find_by_identifier(value)
        if found is None or found.supervisor_id not in self.allowed_supervisors:
            raise forms.ValidationError(
                _("No enterprise %(value)s under your supervisors."), params={"value": value}
            )
        return found


@admin.register(Membership)
class MembershipAdmin(RoleAdmin):
    view_roles = change_roles = {Role.SECURITY_ADMIN}
    can_add = can_change = True
    list_display = ["user", "role", "supervisor", "enterprise", "valid_from", "valid_to"]
    list_filter = ["role"]
    list_select_related = ["user", "supervisor", "enterprise"]
    search_fields = ["user__username", "user__display_name"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return [*MembershipAddForm.Meta.fields, "enterprise_ref"]
        return ["user", "role", "supervisor", "enterprise", "valid_from", "valid_to"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["user", "role", "supervisor", "enterprise", "valid_from"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = type(
                "MembershipAddForm",
                (MembershipAddForm,),
                {"allowed_supervisors": manageable_supervisor_ids(request.user)},
            )
        return super().get_form(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "supervisor":
            kwargs["queryset"] = Supervisor.objects.filter(
                id__in=manageable_supervisor_ids(request.user)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created = services.membership_create(
                acting_user=request.user,
                user=data["user"],
                role=data["role"],
                supervisor=data["supervisor"],
                enterprise=data["enterprise_ref"],
                valid_from=data["valid_from"],
                valid_to=data["valid_to"],
            )
            adopt_created(obj, created)
            return
        current = Membership.objects.get(pk=obj.pk)
        if data["valid_to"] == current.valid_to:
            return
        if data["valid_to"] is None:
            raise DomainError(_("An ended membership is not reopened; add a new one."))
        services.membership_end(acting_user=request.user, membership=current, on=data["valid_to"])
