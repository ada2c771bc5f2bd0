"""`guozi import_reports PATH [--dry-run] [--valid-only] [--period P] [--form CODE] [--user U]`."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from guozi.registry.management.commands.import_enterprises import acting_user, progress_for, report
from guozi.reporting import imports


class Command(BaseCommand):
    help = (
        "Check a workbook (.xlsx, from a template or in the rows layout) or a CSV file of "
        "reports and import them as drafts: the whole file is checked first, and nothing is "
        "written while any report has a problem unless --valid-only is given. Exits with "
        "status 1 on any problem."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("path", help="the .xlsx or .csv file")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check and show what would change and which rules would fail; write nothing",
        )
        parser.add_argument(
            "--valid-only",
            action="store_true",
            help="write the valid reports even when others have problems",
        )
        parser.add_argument("--period", help="the period, when the file names none (e.g. 2026-07)")
        parser.add_argument(
            "--form", help="the form's code, when the file names none (default fast_report)"
        )
        parser.add_argument(
            "--user", help="import as this user (an enterprise reporter); default: the system"
        )

    def handle(self, *args, path, dry_run, valid_only, period, form, user, **options):
        from pathlib import Path

        file = Path(path)
        if not file.is_file():
            raise CommandError(_("No file %(path)s.") % {"path": path})
        result = imports.import_reports(
            acting_user=acting_user(user),
            path=file,
            form_code=form,
            period=period,
            dry_run=dry_run,
            valid_only=valid_only,
            progress=progress_for(self, file),
        )
        verbosity = options.get("verbosity", 1)
        if verbosity >= 2:
            for plan in result.reports:
                self.stdout.write(_report_line(plan))
            self.stdout.write(
                "  ".join(f"{phase} {seconds:.2f} s" for phase, seconds in result.timings.items())
            )
        outcome = result.rule_outcome
        if result.reports and (result.written or result.dry_run):
            self.stdout.write(
                _(
                    "Validation: %(errors)d reports fail a rule with an error, %(warnings)d "
                    "only with warnings."
                )
                % {
                    "errors": outcome["with_rule_errors"],
                    "warnings": outcome["with_rule_warnings"],
                }
            )
        report(self, result)


def _report_line(plan: imports.ReportPlan) -> str:
    place = f"{plan.sheet}:{plan.row}" if plan.sheet else str(plan.row)
    state = _("problems: %(n)d") % {"n": len(plan.problems)} if plan.problems else plan.action
    rules = ""
    if plan.rule_errors is not None:
        rules = _("rule errors %(errors)d, warnings %(warnings)d") % {
            "errors": plan.rule_errors,
            "warnings": plan.rule_warnings or 0,
        }
    return f"{place}  {plan.identifier}  {plan.scope}  {plan.period}  {state}  {rules}".rstrip()
