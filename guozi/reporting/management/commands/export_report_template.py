"""`guozi export_report_template --period P [--enterprise ID [--subsidiaries]] -o FILE.xlsx`."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from guozi.lib.errors import DomainError
from guozi.lib.periods import Period
from guozi.registry.management.commands.import_enterprises import acting_user
from guozi.registry.selectors import find_by_identifier, visible_enterprises
from guozi.reporting import permissions
from guozi.reporting.frameworks import version_in_force
from guozi.reporting.models import Form
from guozi.reporting.workbooks import LAYOUTS, subtree_ids, template_reports, write_template


class Command(BaseCommand):
    help = (
        "Write a report template (.xlsx) for one enterprise, an enterprise and its "
        "subsidiaries, or every reporting enterprise, with the values already entered."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="the period, e.g. 2026-07")
        parser.add_argument("--form", default="fast_report", help="the form's code")
        parser.add_argument(
            "--enterprise",
            help="the enterprise's identifier (USCC, id, COUNTRY:number); default: all the "
            "enterprises the user fills in, or every enterprise",
        )
        parser.add_argument(
            "--subsidiaries", action="store_true", help="add every subsidiary of the enterprise"
        )
        parser.add_argument("--layout", choices=LAYOUTS, default="rows")
        parser.add_argument("--user", help="as this user; default: the system")
        parser.add_argument("-o", "--output", required=True, help="the .xlsx file to write")

    def handle(self, *args, period, form, enterprise, subsidiaries, layout, user, output, **opts):
        if not output.lower().endswith(".xlsx"):
            raise CommandError(_("The output file must end in .xlsx."))
        try:
            chosen = Period.parse(period)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        found_form = Form.objects.filter(code=form).first()
        if found_form is None:
            raise CommandError(_("There is no form %(code)s.") % {"code": form})
        who = acting_user(user)
        ids = self.enterprise_ids(who, enterprise, chosen, subsidiaries)
        try:
            reports = template_reports(form=found_form, period=chosen, enterprise_ids=ids)
            with Path(output).open("wb") as stream:
                write_template(
                    stream,
                    form=found_form,
                    version=version_in_force(found_form, chosen),
                    period=chosen,
                    reports=reports,
                    layout=layout,
                )
        except DomainError as exc:
            Path(output).unlink(missing_ok=True)
            raise CommandError(exc.message) from None
        self.stdout.write(
            _("%(n)d reports written to %(path)s.") % {"n": len(reports), "path": output}
        )

    def enterprise_ids(self, who, identifier, period: Period, subsidiaries: bool):
        if identifier:
            found = find_by_identifier(identifier)
            if found is None or (
                who is not None
                and not visible_enterprises(who, period.end).filter(id=found.id).exists()
            ):
                raise CommandError(
                    _("No enterprise you may see has the identifier %(value)s.")
                    % {"value": identifier}
                )
            return subtree_ids(found.id, period, subsidiaries=subsidiaries)
        if who is None:
            return None
        roots = sorted(permissions.fillable_roots(who))
        if not roots:
            raise CommandError(_("The user fills in no enterprise's reports; name one."))
        ids = {}
        for root in roots:
            ids.update(dict.fromkeys(subtree_ids(root, period, subsidiaries=True)))
        return list(ids)
