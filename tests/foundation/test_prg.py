"""Post/redirect/get: every successful form POST answers a redirect, so a refresh of the
page that follows never repeats it (today's bug: a refresh after "Criar token" created a
second token)."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from forms_world import forms_world  # noqa: F401  (fixture)

from clickpro.models import ApiToken

# endpoint → (url values, form data) of a POST that succeeds in ``forms_world``.
SUCCESSFUL_POSTS: dict[str, tuple[dict, dict]] = {
    "api.tokens": ({}, {"name": "Outro"}),
    "api.revoke_token": ({"token_id": "token_id"}, {}),
    "api.toggle_webhook": ({"webhook_id": "webhook_id"}, {}),
    "api.delete_webhook": ({"webhook_id": "webhook_id"}, {}),
    "contacts.new": ({}, {"phone": "+5511987650002", "name": "Bia"}),
    "contacts.edit": ({"contact_id": "contact_id"}, {"phone": "+5511987650001", "name": "Ana B"}),
    "contacts.delete": ({"contact_id": "contact_id"}, {}),
    "contacts.lists": ({}, {"name": "Nova lista"}),
    "contacts.list_rename": ({"list_id": "list_id"}, {"name": "VIP 2"}),
    "contacts.list_add": ({"list_id": "list_id"}, {"phones": "+5511987650001"}),
    "contacts.add_to_list": ({"contact_id": "contact_id"}, {"list_id": "list_id"}),
    "contacts.list_remove": ({"list_id": "list_id", "contact_id": "contact_id"}, {}),
    "contacts.list_delete": ({"list_id": "list_id"}, {}),
    "contacts.optout_add": ({}, {"phone": "11987650055", "reason": "pediu"}),
    "contacts.optout_remove": ({"optout_id": "optout_id"}, {}),
    "contacts.optout_import": ({}, {"file": "optouts.csv"}),
    "contacts.import_new": ({}, {"file": "contatos.csv"}),
    "inbox.quick_replies_page": ({}, {"shortcut": "tchau", "body": "Até logo!"}),
    "inbox.delete_quick_reply_view": ({"reply_id": "reply_id"}, {}),
    "members.set_role": ({"member_id": "member_id"}, {"role": "CLIENT_ADMIN"}),
    "members.deactivate": ({"member_id": "member_id"}, {}),
    "members.reactivate": ({"member_id": "member_id"}, {}),
    "members.revoke_invitation": ({"invitation_id": "invitation_id"}, {}),
    "members.agent_permissions": ({}, {"import_contacts": "y"}),
    "notifications.read_one": ({"notification_id": "notification_id"}, {}),
    "notifications.read_all": ({}, {}),
    "credentials.test_whatsapp": ({}, {}),
    "credentials.test_openai": ({}, {}),
    "templates.sync": ({}, {}),
    "auth.switch": ({}, {"client_id": "client_id"}),
    "auth.language": ({"lang": "en"}, {}),
    "auth.logout": ({}, {}),
    "account.set_name": ({}, {"name": "Novo Nome"}),
    "costs.ai_budget": ({}, {"budget": "150,00"}),
    "ai_tools.delete": ({"tool_id": "tool_id"}, {}),
    "ai_playground.reset": ({}, {}),
    "knowledge.retry": ({"document_id": "document_id"}, {}),
    "knowledge.delete": ({"document_id": "document_id"}, {}),
    "flows.archive": ({"flow_id": "flow_id"}, {}),
    "flows.duplicate": ({"flow_id": "flow_id"}, {}),
    "flows.set_enabled": ({"flow_id": "flow_id"}, {"enabled": "on"}),  # the list's switch
}

# Form POSTs whose success needs a world of their own: covered where that world lives.
ELSEWHERE = {
    "api.webhooks": "tests/api/test_outbound_webhooks.py (SSRF-checked URL): 303",
    "auth.login": "tests/foundation/test_login.py",
    "auth.accept_invitation": "tests/foundation/test_invitations.py",
    "auth.decline_invitation": "tests/foundation/test_invitations.py",
    "members.add": "tests/foundation/test_members.py (e-mailed invitations)",
    "members.resend_invitation": "tests/foundation/test_invitations.py (e-mail)",
    "contacts.import_mapping": "tests/contacts (starts the import job)",
    "contacts.import_sheet": "tests/contacts (xlsx with several sheets)",
    "contacts.import_resume": "tests/contacts (a failed import)",
    "credentials.save_whatsapp": "tests/credentials (Meta sandbox)",
    "credentials.update_number": "tests/credentials/test_numbers_views.py (Meta sandbox)",
    "credentials.archive_number": "tests/credentials/test_numbers_views.py (Meta sandbox)",
    "credentials.test_number": "tests/credentials/test_numbers_views.py (Meta sandbox)",
    "credentials.number_assistant": "tests/credentials/test_numbers_views.py (Meta sandbox)",
    "credentials.save_openai": "tests/credentials (OpenAI sandbox)",
    "templates.create": "tests/templates/test_templates_submission.py (Meta sandbox)",
    "templates.delete": "tests/templates (Meta sandbox)",
    "campaigns.new": "tests/campaigns (wizard)",
    "campaigns.edit": "tests/campaigns (wizard)",
    "campaigns.act": "tests/campaigns",
    "campaigns.from_sheet": "tests/campaigns",
    "costs.marketing_api_setting": "tests/costs (asks Meta's sandbox)",
    "account.set_password": "tests/foundation (password change ends other sessions)",
    "audit.two_factor_policy": "tests/foundation (two-factor policy)",
    "auth.forgot_password": "tests/foundation (password reset e-mail)",
    "auth.reset_password": "tests/foundation (password reset e-mail)",
    "auth.invitation_link": "tests/foundation/test_invitations.py (e-mailed link)",
    "two_factor.challenge": "tests/foundation (two-factor)",
    "two_factor.enable": "tests/foundation (two-factor)",
    "two_factor.disable": "tests/foundation (two-factor)",
    "two_factor.regenerate": "tests/foundation (two-factor)",
    "hours.client_hours": "tests/teams/test_hours_api.py, tests/e2e/test_hours_e2e.py",
    "hours.team_hours": "tests/teams/test_hours_api.py (a team's hours)",
    "hours.reset_team_hours": "tests/teams/test_hours_api.py (back to the company hours)",
    "teams.new": "tests/teams/test_teams_panel.py (members checklist)",
    "teams.edit": "tests/teams/test_teams_panel.py",
    "teams.archive": "tests/teams/test_teams_panel.py",
    "teams.away": "tests/teams/test_teams_panel.py (the 'Ausente' switch)",
    "teams.heartbeat": "tests/teams/test_teams_panel.py (JSON presence ping, not a form)",
    "media.refetch": "tests/media/test_inbox_media_backend.py (JSON, queues the fetch)",
    "ai_tools.new": "tests/ai/tools/test_ai_tools_pages.py (a receiver for the tool's URL): 302",
    "ai_tools.edit": "tests/ai/tools/test_ai_tools_pages.py (a receiver for the tool's URL): 302",
    "ai_playground.ask": "tests/ai/playground (OpenAI sandbox; the page's script asks for JSON)",
    "ai_playground.save_instructions": "tests/ai/playground/test_ai_playground_pages.py: 302",
    "knowledge.upload": "tests/ai/knowledge/test_knowledge_pages.py (OpenAI sandbox): 302",
    "knowledge.faq": "tests/ai/knowledge/test_knowledge_pages.py (OpenAI sandbox): 302",
    "flows.new": "tests/flows/editor/test_flows_pages.py (from a template, blank): 302",
    "flows.import_json": "tests/flows/editor/test_flows_pages.py (export then import): 302",
    "flows.restore_version": "tests/flows/editor/test_flows_pages.py (a published version): 302",
}
# Answer JSON to scripts (not forms) or are not the panel's.
NOT_FORMS_PREFIXES = ("api.v1.", "admin", "inbox.", "webhook.")
NOT_FORMS = {
    "campaigns.audience",
    "campaigns.preview",
    "costs.estimate_json",
    "ai_tools.test",  # the edit page's "Testar" button (fetch)
    # the flow editor and its simulator (fetch, JSON bodies)
    "flows.validate_graph",
    "flows.save_draft",
    "flows.settings",
    "flows.publish",
    "flows.simulator_start",
    "flows.simulator_input",
}
FORM_POSTS_IN_INBOX = {"inbox.quick_replies_page", "inbox.delete_quick_reply_view"}


def _is_form_post(endpoint: str) -> bool:
    if endpoint in FORM_POSTS_IN_INBOX:
        return True
    return endpoint not in NOT_FORMS and not endpoint.startswith(NOT_FORMS_PREFIXES)


def test_every_form_post_is_listed(app):
    posts = {r.endpoint for r in app.url_map.iter_rules() if "POST" in r.methods}
    unlisted = sorted(
        e for e in posts if _is_form_post(e) and e not in SUCCESSFUL_POSTS and e not in ELSEWHERE
    )
    assert unlisted == [], "add a successful POST to SUCCESSFUL_POSTS (or say where it is)"


def _resolve(world, values: dict, data: dict) -> tuple[dict, dict]:
    ids = {**world.ids, "client_id": world.tenant.id}
    url_values = {k: ids.get(v, v) for k, v in values.items()}
    form = {k: str(ids[v]) if v in ids else v for k, v in data.items()}
    if form.get("file") == "optouts.csv":
        form["file"] = (io.BytesIO(b"telefone\n11987650066\n"), "optouts.csv")
    elif form.get("file") == "contatos.csv":
        form["file"] = (io.BytesIO(b"telefone;nome\n11987650077;Caio\n"), "contatos.csv")
    return url_values, form


@pytest.mark.parametrize("endpoint", sorted(SUCCESSFUL_POSTS))
def test_successful_form_post_redirects(app, forms_world, endpoint):  # noqa: F811
    values, data = _resolve(forms_world, *SUCCESSFUL_POSTS[endpoint])
    with app.test_request_context():
        from flask import url_for

        url = url_for(endpoint, **values)
    response = forms_world.http.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code in (302, 303), f"{endpoint}: {response.status_code}"
    flashed = forms_world.http.get(response.headers["Location"])
    assert flashed.status_code in (200, 302), endpoint


def test_refreshing_after_create_token_creates_no_second_token(app, forms_world, db):  # noqa: F811
    before = db.session.scalar(sa.select(sa.func.count(ApiToken.id)))
    posted = forms_world.http.post("/settings/api-tokens", data={"name": "Integração"})
    assert posted.status_code == 303 and posted.headers["Location"].endswith("/settings/api-tokens")
    shown = forms_world.http.get(posted.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="token-value">cpk_' in shown
    refreshed = forms_world.http.get(posted.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="token-value"' not in refreshed  # shown once, then gone
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == before + 1


def test_the_token_waits_encrypted_in_the_session(app, forms_world):  # noqa: F811
    forms_world.http.post("/settings/api-tokens", data={"name": "Cofre"})
    with forms_world.http.session_transaction() as session:
        stored = session["once:api_token"]
    assert "cpk_" not in stored
