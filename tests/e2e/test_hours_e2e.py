"""Business hours editor in Chromium (desktop and phone): an admin sets a lunch break,
a holiday and the off-hours reply; the preview shows the next opening."""

from __future__ import annotations

import os

import pytest

PASSWORD = "senha-segura-123"  # tests/conftest.py create_user's default
SHOTS = os.environ.get("H7_SHOTS")


@pytest.mark.e2e
def test_admin_edits_hours_and_sees_preview(live_server, browser_page, create_client, db):
    from clickpro.services.teams.hours import hours_state

    tenant = create_client()
    page = browser_page
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", tenant.admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server}/settings/hours")
    for day in range(5):
        page.fill(f"#day_{day}", "08:00-12:00, 13:00-18:00")
    page.fill("#holidays", "2026-12-25\n2027-01-01")
    page.check("#off_hours_enabled")
    page.fill("#off_hours_message", "Estamos fechados. Voltamos {abertura}.")
    page.click("[data-testid=hours-form] button.btn-primary")
    page.wait_for_selector("[data-testid=hours-preview]")
    preview = page.inner_text("[data-testid=hours-preview]")
    assert "Estamos fechados. Voltamos" in preview and "{abertura}" not in preview
    assert page.input_value("#day_0") == "08:00-12:00, 13:00-18:00"
    db.session.expire_all()
    state = hours_state(tenant.id)
    assert state["weekly"]["4"] == [["08:00", "12:00"], ["13:00", "18:00"]]
    assert state["holidays"] == ["2026-12-25", "2027-01-01"]
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/hours-desktop.png", full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()
        page.screenshot(path=f"{SHOTS}/hours-phone.png", full_page=True)
