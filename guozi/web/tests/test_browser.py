"""The journey in a real browser: sign in, search, open an enterprise, expand the tree, switch
language. Needs Chromium; outside CI a missing browser is skipped with the reason."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser_page):
    return browser_page


def sign_in(page, live_server, username):
    from guozi.conftest import PASSWORD

    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.wait_for_load_state("networkidle")


def test_supervisor_journey(page, live_server, cast):
    sign_in(page, live_server, "analyst")
    assert "/registry/" in page.url
    page.fill("input[name=q]", "lngk")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    assert "辽宁港口集团有限公司" in page.content()
    assert "辽宁钢铁集团有限公司" not in page.content()
    page.click("text=辽宁港口集团有限公司")
    page.wait_for_load_state("networkidle")
    assert cast.b.uscc in page.content()
    assert "营口港务有限公司" in page.content()

    page.goto(f"{live_server.url}/registry/tree/")
    page.click(f"[data-enterprise='{cast.a.id}'] summary")
    page.wait_for_selector("text=辽钢板材有限公司")

    page.click("button[name=language][value=en]")
    page.wait_for_load_state("networkidle")
    assert "Portfolio tree" in page.content()


def test_enterprise_user_sees_only_their_subtree(page, live_server, cast):
    sign_in(page, live_server, "reporter")
    assert "辽宁钢铁集团有限公司" in page.content()
    assert "辽宁港口集团有限公司" not in page.content()
    response = page.goto(f"{live_server.url}/registry/enterprises/{cast.b.id}/")
    assert response.status == 404
