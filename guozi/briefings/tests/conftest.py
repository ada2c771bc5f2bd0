"""A tour on the common cast (guozi/conftest.py): figures for the steel group and the port
group (the dashboard's profile records), an alert and a rectification on A1, and a tour of A1
(Shenyang), A11 (Anshan) and B1 (Yingkou)."""

from datetime import date

import pytest
from django.utils import translation

from guozi.briefings import services
from guozi.dashboard.tests.test_profile_records import JULY, compute_figures, raise_alert


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def english():
    """Messages in English where a test reads them (jobs run in their creator's language)."""
    with translation.override("en"):
        yield


@pytest.fixture
def figures(cast):
    compute_figures(cast)
    raise_alert(cast, cast.a1)
    return cast


def make_tour(cast, stops=None, **extra):
    if stops is None:
        stops = [(cast.a1, date(2026, 9, 2)), (cast.a11, date(2026, 9, 3)),
                 (cast.b1, date(2026, 9, 4))]  # fmt: skip
    fields = {
        "acting_user": cast.analyst,
        "supervisor": cast.ln,
        "title": "辽宁省国资委主任调研（9月2日至4日）",
        "date_from": date(2026, 9, 2),
        "date_to": date(2026, 9, 4),
        "period": JULY,
        "stops": [services.StopInput(enterprise, day) for enterprise, day in stops],
    }
    return services.tour_create(**(fields | extra))


@pytest.fixture
def tour(figures):
    return make_tour(figures)


@pytest.fixture
def run_jobs(django_capture_on_commit_callbacks):
    """`run_jobs(callable)`: call it and run the jobs it starts, at once."""

    def run(call):
        with django_capture_on_commit_callbacks(execute=True):
            return call()

    return run
