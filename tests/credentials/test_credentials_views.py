"""The /credentials page: admin only, forms save through the live test, secrets hidden."""

from __future__ import annotations

import sqlalchemy as sa

from clickpro.models import CredentialStatus, Role, WhatsAppCredential

SECRET_TOKEN = "EAAGsuperSecretValue123XYZ9"


def _wa_form(**overrides) -> dict:
    data = {
        "wa-access_token": SECRET_TOKEN,
        "wa-waba_id": "",
        "wa-phone_number_id": "",
        "wa-app_id": "",
        "wa-app_secret": "app-secret-plain-5678",
        "wa-verify_token": "",
    }
    data.update(overrides)
    return data


def _account(sandbox):
    return sandbox.create_account(access_token=SECRET_TOKEN, verified_name="Loja Teste")


def test_client_user_gets_403(app, client, create_client, create_member, login_as):
    tenant = create_client()
    agent = create_member(tenant, Role.CLIENT_USER)
    login_as(agent, tenant)
    assert client.get("/credentials").status_code == 403
    assert client.post("/credentials/whatsapp", data=_wa_form()).status_code == 403
    assert client.post("/credentials/openai", data={}).status_code == 403
    assert client.post("/credentials/whatsapp/test").status_code == 403


def test_anonymous_is_sent_to_login(app, client):
    response = client.get("/credentials")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_save_then_page_never_shows_the_secret(app, db, client, sandbox, create_client, login_as):
    account = _account(sandbox)
    tenant = create_client()
    login_as(tenant.admin, tenant)
    response = client.post(
        "/credentials/whatsapp",
        data=_wa_form(
            **{"wa-waba_id": account.waba_id, "wa-phone_number_id": account.phone_number_id}
        ),
    )
    assert response.status_code == 302
    credential = db.session.scalar(sa.select(WhatsAppCredential))
    assert credential.status == CredentialStatus.VALID

    page = client.get("/credentials").get_data(as_text=True)
    assert SECRET_TOKEN not in page
    assert "app-secret-plain-5678" not in page
    assert "…XYZ9" in page  # only the last 4
    assert "Loja Teste" in page
    assert 'data-status="VALID"' in page


def test_refused_token_shows_metas_error_and_does_not_echo_it(
    app, db, client, sandbox, create_client, login_as
):
    tenant = create_client()
    login_as(tenant.admin, tenant)
    response = client.post(
        "/credentials/whatsapp",
        data=_wa_form(**{"wa-waba_id": "100000000000001", "wa-phone_number_id": "100000000000011"}),
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "A Meta recusou o token de acesso" in page
    assert "Invalid OAuth access token" in page
    assert SECRET_TOKEN not in page
    assert "app-secret-plain-5678" not in page
    assert db.session.scalar(sa.select(sa.func.count(WhatsAppCredential.id))) == 0


def test_unreachable_meta_is_a_form_error(app, db, client, meta_down, create_client, login_as):
    tenant = create_client()
    login_as(tenant.admin, tenant)
    response = client.post(
        "/credentials/whatsapp",
        data=_wa_form(**{"wa-waba_id": "100000000000001", "wa-phone_number_id": "100000000000011"}),
    )
    assert response.status_code == 400
    assert "Não foi possível contatar a Meta" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(WhatsAppCredential.id))) == 0


def test_retest_button_updates_status(app, db, client, sandbox, create_client, login_as):
    account = _account(sandbox)
    tenant = create_client()
    login_as(tenant.admin, tenant)
    client.post(
        "/credentials/whatsapp",
        data=_wa_form(
            **{"wa-waba_id": account.waba_id, "wa-phone_number_id": account.phone_number_id}
        ),
    )
    sandbox.revoke_token(SECRET_TOKEN)
    response = client.post("/credentials/whatsapp/test", follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-status="INVALID"' in page
    assert "Invalid OAuth access token" in page
    assert SECRET_TOKEN not in page


def test_openai_form_unknown_model_and_success(app, client, sandbox, create_client, login_as):
    tenant = create_client()
    login_as(tenant.admin, tenant)
    form = {
        "ai-api_key": "sk-live-secret-key-0001ABCD",
        "ai-model": "gpt-nao-existe",
        "ai-temperature": "0,3",
        "ai-context_messages": "10",
        "ai-max_output_tokens": "400",
        "ai-handoff_keywords": "atendente, humano",
        "ai-hours_mode": "always",
        "ai-daily_reply_cap": "0",
        "ai-non_text_policy": "fallback",
        "ai-ai_enabled": "y",
    }
    response = client.post("/credentials/openai", data=form)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "gpt-nao-existe" in page and "não existe" in page
    assert "sk-live-secret-key-0001ABCD" not in page

    response = client.post("/credentials/openai", data={**form, "ai-model": "gpt-4.1-mini"})
    assert response.status_code == 302
    page = client.get("/credentials").get_data(as_text=True)
    assert "sk-live-secret-key-0001ABCD" not in page
    assert "…ABCD" in page
    assert 'value="atendente, humano"' in page
