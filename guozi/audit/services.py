"""The one way to write the audit log."""

from datetime import date, datetime
from decimal import Decimal

from django.db import models

from guozi.lib.context import current_channel

from .models import AuditEvent


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict:
    """A JSON-safe copy of a model's concrete fields (foreign keys as ids)."""
    data = {}
    for field in instance._meta.concrete_fields:
        if fields is not None and field.name not in fields and field.attname not in fields:
            continue
        value = getattr(instance, field.attname)
        if isinstance(value, date | datetime):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        data[field.attname] = value
    return data


def audit_event(
    *,
    actor,
    action: str,
    instance: models.Model,
    before: dict | None = None,
    after: dict | None = None,
    enterprise_id: int | None = None,
) -> AuditEvent:
    actor = actor if actor is not None and actor.is_authenticated else None
    return AuditEvent(
        actor=actor,
        actor_name=actor.get_username() if actor else "system",
        channel=current_channel(),
        action=action,
        object_type=instance._meta.label_lower,
        object_id=str(instance.id),
        object_repr=str(instance)[:200],
        enterprise_id=enterprise_id,
        before=before,
        after=after,
    )


def audit_record(**kwargs) -> AuditEvent:
    event = audit_event(**kwargs)
    event.save()
    return event


def audit_changes(*, actor, instance: models.Model, before: dict, enterprise_id=None):
    """Record an update with only the fields that changed; nothing when nothing did."""
    after = snapshot(instance, list(before))
    changed = [key for key in before if before[key] != after.get(key)]
    if not changed:
        return None
    return audit_record(
        actor=actor,
        action="update",
        instance=instance,
        before={key: before.get(key) for key in changed},
        after={key: after[key] for key in changed},
        enterprise_id=enterprise_id,
    )
