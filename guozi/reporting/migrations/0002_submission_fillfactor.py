"""Room on every page of the submissions table for the next version of a row: validation
rewrites each report's counts, and with the room PostgreSQL updates in place (a HOT update)
instead of moving the row and touching every index. SQLite has no such setting."""

from django.db import migrations


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE reporting_submission SET (fillfactor = 70)")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE reporting_submission RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("reporting", "0001_initial")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
