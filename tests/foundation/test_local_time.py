"""One time zone everywhere: the client's (Client.timezone), whatever the page.

A moment stored in UTC is shown in the client's zone on campaigns, templates, imports,
contacts and opt-outs, labelled where a page states a sync or start time, passed to the
page's scripts (``<meta name="client-timezone">``), and a bad stored zone falls back to
America/Sao_Paulo instead of a 500.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from clickpro.extensions import db
from clickpro.i18n import valid_zone
from clickpro.models import Campaign, ContactImport, OptOut

MOMENT = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # 12:00 in São Paulo, 11:00 in Manaus
ROOT = Path(__file__).parents[2] / "clickpro"


@pytest.fixture
def manaus(create_client, login_as):
    tenant = create_client("Loja Manaus", timezone="America/Manaus")
    return tenant, login_as(tenant.admin, tenant)


def test_pages_show_the_clients_zone(manaus, create_template, create_contact):
    tenant, web = manaus
    template = create_template(tenant, last_synced_at=MOMENT)
    db.session.add(Campaign(client_id=tenant.id, name="Verão", template_id=template.id,
                            status="SCHEDULED", scheduled_at=MOMENT, created_at=MOMENT))  # fmt: skip
    create_contact(tenant, name="Ana", last_message_at=MOMENT)
    db.session.add(OptOut(client_id=tenant.id, phone_e164="+5511955550009", source="manual",
                          created_at=datetime(2026, 3, 10, 2, 0, tzinfo=UTC)))  # fmt: skip
    db.session.commit()
    campaign = db.session.query(Campaign).one()
    pages = {
        "/campaigns": "10/03/2026 11:00",
        f"/campaigns/{campaign.id}": "10/03/2026 11:00",
        "/templates": "10/03/2026 11:00",
        f"/templates/{template.id}": "10/03/2026 11:00",
        "/contacts": "10/03/2026 11:00",
        "/contacts/opt-outs": "09/03/2026",  # 02:00 UTC is still the 9th in Manaus
    }
    for path, expected in pages.items():
        page = web.get(path).get_data(as_text=True)
        assert expected in page, path
        assert "15:00" not in page and "UTC" not in page, path
        assert '<meta name="client-timezone" content="America/Manaus">' in page
    labelled = web.get(f"/templates/{template.id}").get_data(as_text=True)
    assert "(horário de Manaus)" in labelled


def test_import_list_in_client_zone(manaus):
    tenant, web = manaus
    db.session.add(ContactImport(client_id=tenant.id, filename="base.csv", status="done",
                                 created_at=MOMENT))  # fmt: skip
    db.session.commit()
    page = web.get("/contacts/imports").get_data(as_text=True)
    assert "10/03/2026 11:00" in page and "15:00" not in page


def test_bad_stored_zone_falls_back_to_sao_paulo(create_client, login_as, create_contact):
    tenant = create_client("Loja Torta", timezone="Brasil/Recife")  # not an IANA name
    web = login_as(tenant.admin, tenant)
    create_contact(tenant, name="Ana", last_message_at=MOMENT)
    for path in ("/", "/contacts", "/campaigns", "/templates", "/inbox/"):
        response = web.get(path)
        assert response.status_code == 200, path
        assert '<meta name="client-timezone" content="America/Sao_Paulo">' in response.get_data(
            as_text=True
        )
    assert "10/03/2026 12:00" in web.get("/contacts").get_data(as_text=True)
    assert valid_zone("Brasil/Recife") == "America/Sao_Paulo"
    assert valid_zone("America/Recife") == "America/Recife"
    assert valid_zone("") == valid_zone(None) == "America/Sao_Paulo"


def test_english_mode_uses_the_same_zone(manaus, create_contact):
    tenant, web = manaus
    create_contact(tenant, name="Ana", last_message_at=MOMENT)
    page = web.get("/contacts?lang=en").get_data(as_text=True)
    assert "3/10/26, 11:00" in page  # Babel's English short format, Manaus time


def test_no_strftime_left_in_templates_or_views():
    """Display times go through the localized filters (datetimeformat/dateformat)."""
    offenders = []
    for path in [*ROOT.rglob("*.html"), *ROOT.glob("blueprints/**/*.py")]:
        for n, line in enumerate(path.read_text().splitlines(), start=1):
            # form fields need machine formats (<input type=datetime-local>, HH:MM)
            if ".strftime(" in line and not re.search(r"form\.|\.data =|%Y-%m-%dT|\(\s*$", line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}")
    assert offenders == []
