from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    CREATE = "create", _("Create")
    UPDATE = "update", _("Update")
    DELETE = "delete", _("Delete")
    EXPORT = "export", _("Export")
    DOWNLOAD = "download", _("Download")


class AuditEvent(models.Model):
    """Who did what, when, through which channel, with the record before and after."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,  # audit_actor_at, below
    )
    actor_name = models.CharField(max_length=150, blank=True)
    channel = models.CharField(max_length=8)
    action = models.CharField(max_length=8, choices=Action.choices)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    object_repr = models.CharField(max_length=200, blank=True)
    # Kept as a plain number so the record outlives the enterprise it speaks of.
    enterprise_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            # A person's events only, the ones looked up by actor: the system's (a command-line
            # import without --user, say) stay out.
            models.Index(
                fields=["actor", "at"], condition=Q(actor__isnull=False), name="audit_actor_at"
            ),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} {self.object_id}"
