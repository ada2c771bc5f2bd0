"""The profile page in a real browser: the charts draw from the embedded options, with no
script error, on a laptop and on a tablet in portrait."""

import pytest

from guozi.conftest import PASSWORD
from guozi.web.tests.test_browser_journey import artifacts

from .test_profile_records import compute_figures, fill_registers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.mark.parametrize("width", [1366, 768])
def test_the_charts_draw_and_the_page_fits(browser_page, live_server, cast, width):
    compute_figures(cast)
    fill_registers(cast, cast.a1)
    page = browser_page
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/login/?next=/dashboard/enterprises/{cast.a1.id}/")
    page.fill("input[name=username]", "analyst")
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.wait_for_selector("#chart-figures-0 svg", timeout=10000)
    for chart in ("chart-reform-0", "chart-safety-0", "chart-supply-0"):
        assert page.locator(f"#{chart} svg").count() == 1, chart
    assert errors == []
    # Wide tables scroll inside their card; the page itself does not scroll sideways.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    page.screenshot(path=str(artifacts() / f"profile-{width}.png"), full_page=True)
