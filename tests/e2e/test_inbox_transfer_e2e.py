"""Headless Chromium (#18/#19): an agent of "Suporte" transfers a conversation to
"Financeiro" with a note; in another browser the Financeiro agent sees it appear live in
"Da minha equipe" (and its "Não atribuídas" count move) without reload, and reads the
note in the history. SLA, priority and team badges on the rows; 1280 and 390 px.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "senha-e2e-transfer-1"
SHOTS = Path(os.environ.get("INBOX_TRANSFER_SHOTS", "/tmp/h8_shots"))

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} not installed"),
]


def _login(page, url: str, email: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda u: "/login" not in u)
    page.goto(f"{url}/inbox/")
    page.wait_for_selector('#inbox-live[data-state="online"]')


@pytest.fixture
def scene(app, create_client, create_member, create_contact, create_conversation):
    from clickpro.extensions import db
    from clickpro.models import Role
    from clickpro.models.base import utcnow
    from clickpro.models.teams import Team, TeamMember

    tenant = create_client("Loja Equipes")
    sara = create_member(tenant, Role.CLIENT_USER, password=PASSWORD, name="Sara Suporte")
    fabio = create_member(tenant, Role.CLIENT_USER, password=PASSWORD, name="Fábio Financeiro")
    suporte = Team(client_id=tenant.id, name="Suporte")
    financeiro = Team(client_id=tenant.id, name="Financeiro")
    db.session.add_all([suporte, financeiro])
    db.session.flush()
    db.session.add_all(
        [
            TeamMember(team_id=suporte.id, user_id=sara.id),
            TeamMember(team_id=financeiro.id, user_id=fabio.id),
        ]
    )
    db.session.commit()
    now = utcnow()

    def conv(name, minutes_ago, **state):
        contact = create_contact(tenant, name=name)
        at = now - timedelta(minutes=minutes_ago)
        return create_conversation(
            tenant,
            contact,
            last_inbound_at=at,
            last_message_at=at,
            last_message_preview=f"Mensagem de {name}",
            unread_count=1,
            **state,
        )

    boleto = conv(
        "Rita Boleto",
        3,
        team_id=suporte.id,
        assigned_user_id=sara.id,
        first_response_due_at=now + timedelta(minutes=25),
    )
    conv(
        "Caio Atrasado",
        40,
        team_id=suporte.id,
        assigned_user_id=sara.id,
        first_response_due_at=now - timedelta(minutes=61),
    )
    conv("Lia Urgente", 90, team_id=suporte.id, assigned_user_id=sara.id, priority=1)
    conv("Nina Fatura", 10, team_id=financeiro.id)
    return tenant, sara, fabio, boleto


def test_transfer_to_another_team_appears_live_with_note(live_server, browser_page, scene):
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    url = live_server
    tenant, sara, fabio, boleto = scene
    page_s = browser_page
    ctx_f = page_s.context.browser.new_context(
        locale="pt-BR", viewport={"width": 1280, "height": 800}
    )
    page_f = ctx_f.new_page()
    page_f.set_default_timeout(10_000)
    errors: list[str] = []
    for page in (page_s, page_f):
        page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        _login(page_s, url, sara.email)
        _login(page_f, url, fabio.email)
        rows_s = page_s.locator('[data-testid="conversation"]')
        rows_f = page_f.locator('[data-testid="conversation"]')

        # Sara: "Minhas" — urgent first, SLA "vence em" / "atrasada", team badge
        page_s.click('[data-testid="view-mine"]')
        expect(rows_s).to_have_count(3)
        expect(rows_s.first).to_contain_text("Lia Urgente")
        expect(rows_s.first.locator('[data-testid="priority"]')).to_be_visible()
        rita = rows_s.filter(has_text="Rita Boleto")
        expect(rita.locator('[data-testid="sla"]')).to_contain_text("vence em")
        expect(rita.locator('[data-testid="team-badge"]')).to_have_text("Suporte")
        late = rows_s.filter(has_text="Caio Atrasado").locator('[data-testid="sla"]')
        expect(late).to_contain_text("atrasada 1 h")
        expect(late).to_have_attribute("data-state", "overdue")
        expect(page_s.locator('[data-count="mine"]')).to_have_text("3")
        # deadline sort: urgent first, then overdue, then the nearest deadline
        page_s.select_option('[data-testid="sort"]', "deadline")
        expect(rows_s.nth(1)).to_contain_text("Caio Atrasado")
        expect(rows_s.nth(2)).to_contain_text("Rita Boleto")

        # Fábio: "Da minha equipe" holds only Financeiro's one
        page_f.click('[data-testid="view-team"]')
        expect(rows_f).to_have_count(1)
        expect(rows_f.first).to_contain_text("Nina Fatura")
        expect(page_f.locator('[data-count="unassigned"]')).to_have_text("1")

        # Sara transfers Rita to Financeiro (team queue) with a note
        rita.click()
        expect(page_s.locator("#thread-name")).to_have_text("Rita Boleto")
        expect(page_s.locator('[data-testid="history"]')).to_contain_text("Nada ainda.")
        page_s.click('[data-testid="transfer"]')
        dialog = page_s.locator('[data-testid="transfer-dialog"]')
        expect(dialog).to_be_visible()
        page_s.select_option('[data-testid="transfer-team"]', label="Financeiro")
        page_s.select_option('[data-testid="transfer-user"]', value="")
        page_s.fill('[data-testid="transfer-note"]', "Cliente pediu a segunda via do boleto")
        page_s.screenshot(path=str(SHOTS / "transfer_dialog_1280.png"))
        page_s.click('[data-testid="transfer-submit"]')
        expect(dialog).to_be_hidden()
        # it leaves Sara's "Minhas" live; her history shows the transfer and the note
        expect(rows_s.filter(has_text="Rita Boleto")).to_have_count(0)
        expect(page_s.locator('[data-count="mine"]')).to_have_text("2")
        event = page_s.locator('[data-testid="history-event"]').first
        expect(event).to_contain_text("Sara Suporte transferiu para Financeiro")
        expect(event.locator('[data-testid="history-note"]')).to_have_text(
            "Cliente pediu a segunda via do boleto"
        )

        # Fábio: it appears in "Da minha equipe" without reload, with the Financeiro badge
        arrived = rows_f.filter(has_text="Rita Boleto")
        expect(arrived).to_have_count(1)
        expect(arrived.locator('[data-testid="team-badge"]')).to_have_text("Financeiro")
        expect(page_f.locator('[data-count="unassigned"]')).to_have_text("2")
        expect(page_f.locator('[data-count="team"]')).to_have_text("2")
        # ... and in "Não atribuídas"
        page_f.click('[data-testid="view-unassigned"]')
        expect(rows_f.filter(has_text="Rita Boleto")).to_have_count(1)
        rows_f.filter(has_text="Rita Boleto").click()
        note = page_f.locator('[data-testid="history-note"]')
        expect(note).to_have_text("Cliente pediu a segunda via do boleto")
        expect(page_f.locator('[data-testid="history-event"]').first).to_contain_text(
            "Sara Suporte transferiu para Financeiro"
        )
        page_f.screenshot(path=str(SHOTS / "financeiro_1280.png"))
        page_s.screenshot(path=str(SHOTS / "suporte_1280.png"))

        # phone width: views, badges and SLA still readable
        page_f.set_viewport_size({"width": 390, "height": 844})
        page_f.goto(f"{url}/inbox/")
        page_f.wait_for_selector('[data-testid="conversation"]')
        page_f.screenshot(path=str(SHOTS / "financeiro_390.png"))
        page_s.set_viewport_size({"width": 390, "height": 844})
        page_s.goto(f"{url}/inbox/")
        page_s.wait_for_selector('[data-testid="conversation"]')
        page_s.screenshot(path=str(SHOTS / "suporte_390.png"))
        assert errors == []
    finally:
        ctx_f.close()
