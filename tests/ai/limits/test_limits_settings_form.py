"""The assistant form's #21 settings (Credenciais › Assistente): intents on/off, the
teams for "falar com atendente" and complaints, the per-conversation cap and the image
size cap; validated with pt_BR errors, another client's team refused, absent keys kept."""

from __future__ import annotations

from clickpro.models import OpenAICredential
from clickpro.models.teams import Team
from clickpro.services.credentials import save_openai_credentials

FORM = {
    "ai-api_key": "sk-live-secret-key-0001ABCD",
    "ai-model": "gpt-4.1-mini",
    "ai-temperature": "0,3",
    "ai-context_messages": "10",
    "ai-max_output_tokens": "400",
    "ai-handoff_keywords": "atendente, humano",
    "ai-hours_mode": "always",
    "ai-daily_reply_cap": "0",
    "ai-non_text_policy": "fallback",
    "ai-ai_enabled": "y",
}


def _team(db, tenant, name):
    team = Team(client_id=tenant.id, name=name)
    db.session.add(team)
    db.session.commit()
    return team


def _options(db, tenant) -> dict:
    db.session.expire_all()
    credential = db.session.query(OpenAICredential).filter_by(client_id=tenant.id).one()
    return credential.options


def test_the_form_saves_and_shows_the_settings(app, client, sandbox, db, create_client,
                                               login_as):  # fmt: skip
    tenant = create_client()
    support, complaints = _team(db, tenant, "Suporte"), _team(db, tenant, "Reclamações")
    login_as(tenant.admin, tenant)
    page = client.get("/credentials").get_data(as_text=True)
    assert 'data-testid="ai-guards"' in page and "Reclamações" in page
    response = client.post("/credentials/openai", data={
        **FORM, "ai-intents_enabled": "y", "ai-human_team_id": str(support.id),
        "ai-complaint_team_id": str(complaints.id), "ai-conversation_reply_cap": "20",
        "ai-image_max_kb": "512"})  # fmt: skip
    assert response.status_code == 302
    options = _options(db, tenant)
    assert options["intents_enabled"] is True
    assert (options["human_team_id"], options["complaint_team_id"]) == (support.id, complaints.id)
    assert (options["conversation_reply_cap"], options["image_max_kb"]) == (20, 512)
    page = client.get("/credentials").get_data(as_text=True)
    assert f'<option selected value="{complaints.id}">' in page
    assert 'value="512"' in page


def test_bad_values_get_pt_br_errors_and_nothing_is_saved(app, client, sandbox, db,
                                                          create_client, login_as):  # fmt: skip
    tenant = create_client()
    other = create_client("Outra")
    foreign = _team(db, other, "Deles")
    login_as(tenant.admin, tenant)
    response = client.post("/credentials/openai", data={
        **FORM, "ai-conversation_reply_cap": "muitas"})  # fmt: skip
    assert response.status_code == 400
    assert "Limite de respostas por conversa: use um número inteiro" in response.get_data(
        as_text=True
    )
    response = client.post("/credentials/openai", data={
        **FORM, "ai-complaint_team_id": str(foreign.id)})  # fmt: skip
    assert response.status_code == 400
    assert "Equipe não encontrada." in response.get_data(as_text=True)
    response = client.post("/credentials/openai", data={**FORM, "ai-image_max_kb": "99999"})
    assert response.status_code == 400
    assert db.session.query(OpenAICredential).filter_by(client_id=tenant.id).count() == 0


def test_an_api_caller_that_omits_them_keeps_them(app, sandbox, db, create_client):
    tenant = create_client()
    data = {"api_key": "sk-live-secret-key-0001ABCD", "model": "gpt-4.1-mini"}
    save_openai_credentials(tenant, {**data, "conversation_reply_cap": "7",
                                     "intents_enabled": True})  # fmt: skip
    save_openai_credentials(tenant, data)  # e.g. the API, which knows nothing of #21
    options = _options(db, tenant)
    assert options["conversation_reply_cap"] == 7 and options["intents_enabled"] is True
