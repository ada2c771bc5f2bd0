"""Creating a tour, editing the brief's text, issuing versions."""

from datetime import date

import pytest

from guozi.audit.models import AuditEvent
from guozi.briefings import files, services
from guozi.briefings.compose import points_key, summary_key
from guozi.briefings.models import Brief, BriefState, BriefVersion
from guozi.lib.errors import DomainError, Forbidden

from .conftest import make_tour


def test_a_tour_drafts_its_brief_from_the_data(tour):
    stops = list(tour.stops.select_related("enterprise"))
    assert [stop.order for stop in stops] == [1, 2, 3]
    assert stops[1].city_code == "210300"
    texts = tour.brief.texts
    assert set(texts) == {"overview"} | {summary_key(s) for s in stops} | {
        points_key(s) for s in stops
    }
    assert "Net loss year to date" in texts[points_key(stops[0])]  # drafted in English
    assert "/alerts/" in texts[points_key(stops[0])]  # the evidence's link
    assert texts[points_key(stops[2])] == ""  # nothing to raise at B1
    assert AuditEvent.objects.filter(object_type="briefings.tour", action="create").count() == 1


@pytest.mark.parametrize(
    "change, field",
    [
        ({"title": "  "}, "title"),
        ({"date_to": date(2026, 9, 1)}, "date_to"),
        ({"period": "2025-01"}, "period"),
        ({"stops": []}, "stops"),
    ],
)
def test_a_bad_tour_is_refused_with_the_field(figures, change, field):
    with pytest.raises(DomainError) as refused:
        make_tour(figures, **change)
    assert field in refused.value.fields


def test_stops_outside_the_dates_or_twice_or_out_of_scope_are_refused(figures):
    with pytest.raises(DomainError, match="outside"):
        make_tour(figures, stops=[(figures.a1, date(2026, 9, 5))])
    with pytest.raises(DomainError, match="twice"):
        make_tour(figures, stops=[(figures.a1, date(2026, 9, 2)), (figures.a1, date(2026, 9, 3))])
    # Dalian's metro is in the portfolio of the Dalian SASAC, below Liaoning's: allowed for ln,
    # but the Dalian analyst cannot put Liaoning's groups on a tour of Dalian's.
    make_tour(figures, stops=[(figures.d, date(2026, 9, 2))])
    with pytest.raises(DomainError, match="portfolio"):
        make_tour(
            figures,
            acting_user=figures.dl_analyst,
            supervisor=figures.dl,
            stops=[(figures.a1, date(2026, 9, 2))],
        )


@pytest.mark.parametrize("who", ["reviewer", "leader", "reporter", "dl_analyst"])
def test_only_the_supervisors_analysts_prepare_briefs(figures, who):
    with pytest.raises(Forbidden):
        make_tour(figures, acting_user=getattr(figures, who))


def test_editing_the_text(tour, figures):
    stop = tour.stops.first()
    brief = services.brief_edit(
        acting_user=figures.analyst,
        brief=tour.brief,
        texts={points_key(stop): "• 请关注净亏损\n\n- 应收账款回收\n", "overview": "概述"},
    )
    assert brief.texts[points_key(stop)] == "• 请关注净亏损\n\n- 应收账款回收"
    assert brief.texts["overview"] == "概述"
    event = AuditEvent.objects.get(object_type="briefings.brief", action="update")
    assert event.after["overview"] == "概述"
    assert event.before["overview"].startswith("From") or "2026" in event.before["overview"]
    with pytest.raises(DomainError, match="no section"):
        services.brief_edit(acting_user=figures.analyst, brief=brief, texts={"stop-999-x": "a"})
    with pytest.raises(DomainError):
        services.brief_edit(
            acting_user=figures.analyst, brief=brief, texts={"overview": "x" * 20001}
        )
    with pytest.raises(Forbidden):
        services.brief_edit(acting_user=figures.leader, brief=brief, texts={"overview": "x"})


def test_issuing_twice_keeps_both_versions(tour, figures, run_jobs):
    analyst = figures.analyst
    with pytest.raises(DomainError, match="Generate"):
        services.brief_issue(acting_user=analyst, brief=tour.brief)
    run_jobs(lambda: services.brief_generate(acting_user=analyst, brief=tour.brief))
    first = services.brief_issue(acting_user=analyst, brief=tour.brief)
    assert first.number == 1
    assert Brief.objects.get(id=tour.brief.id).state == BriefState.ISSUED

    brief = services.brief_edit(acting_user=analyst, brief=tour.brief, texts={"overview": "第二版"})
    assert brief.state == BriefState.DRAFT
    with pytest.raises(DomainError, match="Generate"):  # the files show the old text
        services.brief_issue(acting_user=analyst, brief=brief)
    run_jobs(lambda: services.brief_generate(acting_user=analyst, brief=brief))
    second = services.brief_issue(acting_user=analyst, brief=brief)

    versions = list(BriefVersion.objects.filter(brief=brief).order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].texts["overview"] != "第二版" and versions[1].texts["overview"] == "第二版"
    old_pdf = files.path_of(first.files["pdf"])
    new_pdf = files.path_of(second.files["pdf"])
    assert old_pdf != new_pdf and old_pdf.exists() and new_pdf.exists()
    assert "第二版" in new_pdf.parent.joinpath("brief.html").read_text()
    assert "第二版" not in old_pdf.parent.joinpath("brief.html").read_text()
    assert AuditEvent.objects.filter(object_type="briefings.brief", action="issue").count() == 2
