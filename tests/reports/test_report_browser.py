"""/reports in Chromium at 1280 and 390 px: charts drawn from local Chart.js, tables,
presets. Screenshots under /tmp/h7shots."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.services.reports import rollups

_spec = importlib.util.spec_from_file_location(
    "e2e_fixtures", Path(__file__).resolve().parent.parent / "e2e" / "conftest.py"
)
assert _spec and _spec.loader
_e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_e2e)
live_app, live_server, browser_page = _e2e.live_app, _e2e.live_server, _e2e.browser_page

PASSWORD = "senha-segura-123"
SHOTS = Path("/tmp/h7shots")


def _month_of_traffic(world) -> None:
    """A few hundred messages over November, so the charts have a shape."""
    c1, c2, *_ = world.contacts
    db.session.execute(
        sa.text(
            """
            INSERT INTO messages (client_id, contact_id, number_id, direction, author, type,
              body, payload, is_internal_note, status, attempts, created_at, updated_at)
            SELECT :c, CASE WHEN g % 2 = 0 THEN :a ELSE :b END, :n,
              CASE WHEN g % 3 = 0 THEN 'OUT' ELSE 'IN' END,
              CASE WHEN g % 3 = 0 THEN 'AGENT' ELSE 'CONTACT' END, 'text', '', '{}', false,
              CASE WHEN g % 3 = 0 THEN 'DELIVERED' ELSE 'RECEIVED' END, 0,
              TIMESTAMPTZ '2026-11-01 12:00+00' + (g % 30) * INTERVAL '1 day'
                + (g % 7) * INTERVAL '1 hour', now()
            FROM generate_series(1, 20 + 0) AS s(k), generate_series(1, 30) AS t(g)
            WHERE k <= 5 + (g * 7) % 20
            """
        ),
        {"c": world.tenant.id, "a": c1.id, "b": c2.id, "n": world.n1.id},
    )
    db.session.commit()


@pytest.mark.e2e
def test_reports_page_desktop_and_phone(live_server, browser_page, world):
    _month_of_traffic(world)
    rollups.run()
    page = browser_page
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", world.tenant.admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server}/reports?preset=custom&start=2026-11-01&end=2026-11-30")
    page.wait_for_selector("canvas[data-chart=messages]")
    # Chart.js drew: the canvas has pixels and the library is the vendored one
    assert page.evaluate("() => typeof window.Chart === 'function' && Chart.version") == "4.6.1"
    drawn = page.evaluate(
        "() => [...document.querySelectorAll('canvas[data-chart]')].filter(c => Chart.getChart(c)).length"
    )
    assert drawn >= 6
    assert page.is_visible("#start")  # custom preset: the dates show
    assert page.inner_text("[data-testid=card-opened]") == "5"
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "reports-desktop.png"), full_page=True)
    page.select_option("#preset", "7d")
    assert not page.is_visible("#start")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/reports?preset=custom&start=2026-11-01&end=2026-11-30")
    page.wait_for_selector("canvas[data-chart=messages]")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390  # nothing pushes the page sideways on a phone
    page.screenshot(path=str(SHOTS / "reports-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server}/")
    page.wait_for_selector("[data-testid=sparklines] polyline")
    assert page.locator("[data-testid=sparklines] polyline").count() == 4
    page.screenshot(path=str(SHOTS / "dashboard-desktop.png"), full_page=True)
