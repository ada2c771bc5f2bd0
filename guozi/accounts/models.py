from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guozi.lib.models import TimeStampedModel


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=[("zh-hans", "简体中文"), ("en", "English")],
        default="zh-hans",
    )

    def __str__(self) -> str:
        return self.display_name or self.username


class Role(models.TextChoices):
    SUPERVISOR_ANALYST = "supervisor_analyst", _("Supervisor analyst")
    SUPERVISOR_REVIEWER = "supervisor_reviewer", _("Supervisor reviewer")
    SUPERVISOR_LEADER = "supervisor_leader", _("Supervisor leader")
    ENTERPRISE_REPORTER = "enterprise_reporter", _("Enterprise reporter")
    ENTERPRISE_REVIEWER = "enterprise_reviewer", _("Enterprise reviewer")
    AUDITOR = "auditor", _("Auditor")
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    SECURITY_ADMIN = "security_admin", _("Security administrator")
    AUDIT_ADMIN = "audit_admin", _("Audit administrator")


SUPERVISOR_ROLES = {
    Role.SUPERVISOR_ANALYST,
    Role.SUPERVISOR_REVIEWER,
    Role.SUPERVISOR_LEADER,
    Role.AUDITOR,
    Role.SYSTEM_ADMIN,
    Role.SECURITY_ADMIN,
    Role.AUDIT_ADMIN,
}
ENTERPRISE_ROLES = {Role.ENTERPRISE_REPORTER, Role.ENTERPRISE_REVIEWER}
# Roles that read the portfolio's data. The three administrators do not (三员分立).
PORTFOLIO_ROLES = {
    Role.SUPERVISOR_ANALYST,
    Role.SUPERVISOR_REVIEWER,
    Role.SUPERVISOR_LEADER,
    Role.AUDITOR,
    Role.ENTERPRISE_REPORTER,
    Role.ENTERPRISE_REVIEWER,
}
# Roles that may change registry data of their own supervisor's portfolio.
REGISTRY_EDITOR_ROLES = {Role.SUPERVISOR_ANALYST, Role.SUPERVISOR_REVIEWER}


class Membership(TimeStampedModel):
    """A user's role at one node (a supervisor or an enterprise), valid from / to."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    supervisor = models.ForeignKey(
        "registry.Supervisor", on_delete=models.PROTECT, null=True, blank=True
    )
    enterprise = models.ForeignKey(
        "registry.Enterprise", on_delete=models.PROTECT, null=True, blank=True
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                condition=(Q(supervisor__isnull=False) & Q(enterprise__isnull=True))
                | (Q(supervisor__isnull=True) & Q(enterprise__isnull=False)),
                name="membership_one_node",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="membership_dates",
            ),
        ]
        indexes = [models.Index(fields=["user", "valid_from"], name="membership_user_from")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.supervisor or self.enterprise}"

    @property
    def node(self):
        return self.supervisor or self.enterprise


class ApiToken(TimeStampedModel):
    """A bearer token for the API; only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")


class Notification(models.Model):
    """One message in a user's in-app inbox (and by e-mail when a relay is configured)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    subject_zh = models.CharField(max_length=200)
    subject_en = models.CharField(max_length=200)
    body_zh = models.TextField(blank=True)
    body_en = models.TextField(blank=True)
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_read")]

    def __str__(self) -> str:
        return self.subject_zh
