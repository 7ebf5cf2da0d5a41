"""The teams page in Chromium: create a team with members, see it listed; phone width."""

from __future__ import annotations

from clickpro.models import Role

PASSWORD = "senha-segura-123"


def test_create_team_in_the_browser(
    live_server, browser_page, create_client, create_member, create_whatsapp_credential
):
    from playwright.sync_api import expect

    tenant = create_client("Loja Equipes")
    ana = create_member(tenant, Role.CLIENT_USER, name="Ana Agente")
    create_whatsapp_credential(tenant, display_name="Suporte")
    page = browser_page
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", tenant.admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")

    page.click("text=Ajustes")  # the settings group of the top bar
    page.click("text=Equipes")
    page.click("[data-testid=new-team]")
    page.fill("#name", "Financeiro")
    page.select_option("#assignment_rule", "round_robin")
    page.fill("#max_open_per_agent", "5")
    page.check(f"#m{ana.id}")
    page.screenshot(path="/tmp/h6_team_form.png", full_page=True)
    page.click("[data-testid=save-team]")
    page.goto(f"{live_server}/teams/")
    row = page.locator("[data-testid=teams] tbody tr").first
    expect(row).to_contain_text("Financeiro")
    expect(row).to_contain_text("Rodízio")
    page.screenshot(path="/tmp/h6_teams_desktop.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.screenshot(path="/tmp/h6_teams_phone.png", full_page=True)
