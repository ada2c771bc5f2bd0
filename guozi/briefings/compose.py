"""A tour's brief as a `Document`: the cover, the tour's overview, and per stop the analyst's
text, the points to raise and the enterprise's condensed profile.

The first draft of the text (`first_texts`) is written from the data; what the analyst edits is
kept on the brief by section key (`overview`, `stop-<id>-summary`, `stop-<id>-points`).
"""

from datetime import date

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from guozi.indicators.presenters import Table, period_label, text_cell
from guozi.lib import clock
from guozi.registry.directory import city_name, industry_name

from . import points as points_module
from .document import Document, Part, paragraphs, points_table
from .models import Tour

OVERVIEW = "overview"


def summary_key(stop) -> str:
    return f"stop-{stop.id}-summary"


def points_key(stop) -> str:
    return f"stop-{stop.id}-points"


def text_keys(tour: Tour) -> list[str]:
    keys = [OVERVIEW]
    for stop in tour.stops.all():
        keys += [summary_key(stop), points_key(stop)]
    return keys


def day_label(day: date) -> str:
    return date_format(day, "DATE_FORMAT")


def stop_title(stop) -> str:
    return _("Stop %(number)d: %(city)s, %(enterprise)s (%(day)s)") % {
        "number": stop.order,
        "city": city_name(stop.city_code),
        "enterprise": stop.enterprise.name,
        "day": day_label(stop.day),
    }


def first_texts(tour: Tour, user) -> dict[str, str]:
    """The draft the analyst starts from: an overview, a line on each stop and its points."""
    stops = list(tour.stops.select_related("enterprise"))
    cities = []
    for stop in stops:
        name = city_name(stop.city_code)
        if name not in cities:
            cities.append(name)
    texts = {
        OVERVIEW: _(
            "From %(start)s to %(end)s the tour visits %(count)d enterprises in %(cities)s. "
            "The figures are those of %(period)s."
        )
        % {
            "start": day_label(tour.date_from),
            "end": day_label(tour.date_to),
            "count": len(stops),
            "cities": "、".join(cities),
            "period": period_label(tour.period),
        }
    }
    today = clock.today()
    for stop in stops:
        enterprise = stop.enterprise
        line = _("%(name)s, %(industry)s, in %(city)s.") % {
            "name": enterprise.name,
            "industry": industry_name(enterprise.industry_code) or enterprise.industry_code,
            "city": city_name(stop.city_code),
        }
        if enterprise.main_business:
            line += " " + _("Main business: %(business)s") % {"business": enterprise.main_business}
        texts[summary_key(stop)] = line
        found = points_module.points_for(user, enterprise, tour.period, today=today)
        texts[points_key(stop)] = points_module.point_lines(found)
    return texts


def stops_table(tour: Tour) -> Table:
    return Table(
        key="stops",
        title=_("Stops"),
        headers=[_("Stop"), _("Date"), _("City"), _("Enterprise"), _("Identifier")],
        rows=[
            [
                text_cell(stop.order),
                text_cell(stop.day.isoformat()),
                text_cell(city_name(stop.city_code)),
                text_cell(stop.enterprise.name),
                text_cell(stop.enterprise.identifier),
            ]
            for stop in tour.stops.select_related("enterprise")
        ],
    )


# A stop is two or three pages: the profile's sections less the chain of holders (a group's is
# the supervisor at 100%) and the reporting record (the supervisor's business, not the
# visitor's), with the trend chart only.
LEFT_OUT_OF_BRIEFS = {"holders", "reporting"}
CHARTS_IN_BRIEFS = {"figures"}


def tour_document(
    tour: Tour, texts: dict[str, str], user, *, watermark: str, progress=None
) -> tuple[Document, list[Table]]:
    """The brief of the tour with `texts`, the profiles read as `user` sees them; and the
    appendix's own tables (the stops and the points)."""
    from guozi.dashboard.profile import enterprise_profile, latest_period_with_figures

    stops = list(tour.stops.select_related("enterprise"))
    parts = [
        Part(
            key=OVERVIEW,
            title=_("Overview of the tour"),
            level=1,
            paragraphs=paragraphs(texts.get(OVERVIEW, "")),
            tables=[stops_table(tour)],
        )
    ]
    point_rows = []
    for stop in stops:
        label = str(stop.order)
        raised = points_module.split_lines(texts.get(points_key(stop), ""))
        point_rows += [(stop_title(stop), point) for point in raised]
        period = latest_period_with_figures(stop.enterprise_id, tour.period) or tour.period
        said = paragraphs(texts.get(summary_key(stop), ""))
        if period != tour.period:
            said.append(
                _("The figures of %(asked)s are not approved yet; those of %(shown)s are shown.")
                % {"asked": period_label(tour.period), "shown": period_label(period)}
            )
        parts.append(Part(key=f"stop-{stop.id}", title=stop_title(stop), level=1, paragraphs=said))
        parts.append(
            Part(
                key=points_key(stop),
                title=_("Points to raise"),
                points=raised,
                empty=_("No points to raise."),
            )
        )
        profile = enterprise_profile(user, stop.enterprise_id, period=period, condensed=True)
        for section in profile.sections:
            if section.key in LEFT_OUT_OF_BRIEFS:
                continue
            parts.append(
                Part(
                    key=f"stop-{stop.id}-{section.key}",
                    title=section.title,
                    level=3,
                    tables=[table for table in section.tables if table.rows],
                    charts=list(section.charts) if section.key in CHARTS_IN_BRIEFS else [],
                    notes=list(section.notes),
                    empty=section.empty,
                    label=label,
                )
            )
        if progress:
            progress()
    document = Document(
        title=tour.title,
        subtitle=_("Inspection brief"),
        facts=[
            (_("Supervisor"), tour.supervisor.name),
            (_("Dates"), f"{day_label(tour.date_from)} – {day_label(tour.date_to)}"),
            (_("Figures of"), period_label(tour.period)),
            (_("Stops"), "、".join(stop.enterprise.name for stop in stops)),
        ],
        parts=parts,
        watermark=watermark,
    )
    return document, [stops_table(tour), points_table(point_rows)]


def chart_count(document: Document) -> int:
    return sum(len(part.charts) for part in document.parts)
