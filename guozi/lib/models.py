from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def pick_language(zh: str, en: str, language: str | None) -> str:
    """The name in the user's language, falling back to the other one."""
    if language and language.startswith("en"):
        return en or zh
    return zh or en
