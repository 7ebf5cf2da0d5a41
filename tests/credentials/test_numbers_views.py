"""The "Números do WhatsApp" pages: list, add, edit, assistant per number, remove."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from clickpro.models import Role, WhatsAppCredential
from clickpro.services.credentials import add_number, save_openai_credentials

TOKEN_1 = "EAAGfirstNumberSecret0001"
TOKEN_2 = "EAAGsecondNumberSecret0002"


@pytest.fixture
def shop(app, sandbox, create_client, login_as):
    """A signed-in admin whose client has one number ("Vendas"); ``extra`` is a second
    sandbox number not added yet."""
    tenant = create_client("Loja Páginas")
    first = sandbox.create_account(access_token=TOKEN_1, verified_name="Loja Vendas")
    extra = sandbox.create_account(
        access_token=TOKEN_2,
        verified_name="Loja Suporte",
        display_phone_number="+55 11 3000-0002",
        messaging_tier="TIER_10K",
    )
    number = add_number(
        tenant,
        {"access_token": TOKEN_1, "waba_id": first.waba_id,
         "phone_number_id": first.phone_number_id, "display_name": "Vendas"},
    )  # fmt: skip
    http = login_as(tenant.admin, tenant)
    return tenant, number, extra, http


def _add_form(account, **overrides) -> dict:
    return {
        "wa-display_name": "Suporte",
        "wa-access_token": account.access_token,
        "wa-waba_id": account.waba_id,
        "wa-phone_number_id": account.phone_number_id,
        "wa-app_secret": "segredo-do-app-suporte",
        **overrides,
    }


def _numbers(db, tenant) -> list[WhatsAppCredential]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(WhatsAppCredential)
            .where(WhatsAppCredential.client_id == tenant.id)
            .order_by(WhatsAppCredential.id)
        )
    )


def test_add_a_second_number_from_the_page(app, db, shop):
    tenant, first, extra, http = shop
    response = http.post("/credentials/whatsapp", data=_add_form(extra))
    assert response.status_code == 302
    numbers = _numbers(db, tenant)
    assert [n.display_name for n in numbers] == ["Vendas", "Suporte"]

    page = http.get("/credentials").get_data(as_text=True)
    assert "Números do WhatsApp" in page
    rows = re.findall(r'data-testid="number-row" data-number-id="(\d+)"', page)
    assert rows == [str(first.id), str(numbers[1].id)]
    for text in ("Vendas", "Suporte", "Loja Suporte", extra.waba_id, "+55 11 3000-0002"):
        assert text in page
    assert "…0002" in page  # the token's last 4 only
    for secret in (TOKEN_1, TOKEN_2, "segredo-do-app-suporte"):
        assert secret not in page
    assert page.count('data-status="VALID"') >= 2


def test_refused_number_is_a_form_error_and_nothing_is_stored(app, db, shop, sandbox):
    tenant, _first, extra, http = shop
    response = http.post(
        "/credentials/whatsapp", data=_add_form(extra, **{"wa-access_token": "EAAG-wrong"})
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Invalid OAuth access token" in page and "EAAG-wrong" not in page
    assert len(_numbers(db, tenant)) == 1


def test_another_clients_number_is_refused_on_the_page(app, db, shop, create_client, login_as):
    tenant, _first, extra, http = shop
    assert http.post("/credentials/whatsapp", data=_add_form(extra)).status_code == 302
    other = create_client("Loja Outra")
    other_http = login_as(other.admin, other)
    response = other_http.post("/credentials/whatsapp", data=_add_form(extra))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "não pertence ao WABA" in page
    assert "Loja Páginas" not in page and "3000-0002" not in page
    assert _numbers(db, other) == []


def test_edit_a_number(app, db, shop):
    tenant, first, _extra, http = shop
    page = http.get(f"/credentials/whatsapp/{first.id}").get_data(as_text=True)
    assert 'data-testid="number-form"' in page and "…0001" in page and TOKEN_1 not in page
    response = http.post(
        f"/credentials/whatsapp/{first.id}",
        data={"num-display_name": "Vendas Centro", "num-access_token": "",
              "num-verify_token": "meu-verify-vendas", "num-app_id": ""},
    )  # fmt: skip
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/credentials/whatsapp/{first.id}")
    (number,) = _numbers(db, tenant)
    assert number.display_name == "Vendas Centro"
    assert number.verify_token_sha256 is not None
    page = http.get(f"/credentials/whatsapp/{first.id}").get_data(as_text=True)
    assert "meu-verify-vendas" not in page
    bad = http.post(f"/credentials/whatsapp/{first.id}",
                    data={"num-display_name": "X", "num-access_token": "EAAG-nao-vale"})  # fmt: skip
    assert bad.status_code == 400
    assert "Invalid OAuth access token" in bad.get_data(as_text=True)
    assert "EAAG-nao-vale" not in bad.get_data(as_text=True)
    assert _numbers(db, tenant)[0].display_name == "Vendas Centro"


def test_assistant_per_number(app, db, shop, ai_data):
    tenant, first, _extra, http = shop
    save_openai_credentials(tenant, ai_data)
    url = f"/credentials/whatsapp/{first.id}/assistant"
    form = {"nai-enabled": "off", "nai-model": "", "nai-instructions": "Você vende.",
            "nai-temperature": "0,7", "nai-handoff_keywords": "vendedor,  humano ",
            "nai-fallback_text": ""}  # fmt: skip
    assert http.post(url, data=form).status_code == 302
    assert _numbers(db, tenant)[0].ai_settings == {
        "enabled": False,
        "instructions": "Você vende.",
        "temperature": 0.7,
        "handoff_keywords": ["vendedor", "humano"],
    }
    page = http.get(f"/credentials/whatsapp/{first.id}").get_data(as_text=True)
    assert 'value="vendedor, humano"' in page and 'value="0.7"' in page
    assert 'placeholder="gpt-4.1-mini"' in page  # the client's model shows as the default

    refused = http.post(url, data={**form, "nai-model": "gpt-nao-existe"})
    assert refused.status_code == 400 and "não existe" in refused.get_data(as_text=True)
    refused = http.post(url, data={**form, "nai-temperature": "3"})
    assert refused.status_code == 400 and "entre 0 e 2" in refused.get_data(as_text=True)
    assert _numbers(db, tenant)[0].ai_settings["temperature"] == 0.7

    blank = {k: "" for k in form} | {"nai-enabled": "default"}
    assert http.post(url, data=blank).status_code == 302
    assert _numbers(db, tenant)[0].ai_settings is None  # all from the client again


def test_remove_asks_first_then_archives(app, db, shop):
    tenant, first, extra, http = shop
    http.post("/credentials/whatsapp", data=_add_form(extra))
    second = _numbers(db, tenant)[1]
    page = http.get(f"/credentials/whatsapp/{second.id}").get_data(as_text=True)
    form = re.search(r'<form[^>]*data-testid="archive-form"[^>]*>', page, re.S).group(0)
    assert f'action="/credentials/whatsapp/{second.id}/archive"' in form
    assert 'data-confirm="Remover o número Suporte?' in form

    response = http.post(f"/credentials/whatsapp/{second.id}/archive")
    assert response.status_code == 302
    second = _numbers(db, tenant)[1]
    assert second.archived_at is not None and second.app_secret_enc is None
    page = http.get("/credentials").get_data(as_text=True)
    assert re.findall(r'data-number-id="(\d+)"', page) == [str(first.id)]
    assert 'data-testid="archived-numbers"' in page
    assert 'data-testid="archived"' in http.get(f"/credentials/whatsapp/{second.id}").get_data(
        as_text=True
    )
    # Adding it again restores the same row.
    assert http.post("/credentials/whatsapp", data=_add_form(extra)).status_code == 302
    assert [n.id for n in _numbers(db, tenant) if n.archived_at is None] == [first.id, second.id]


def test_retest_of_one_number(app, db, shop, sandbox):
    tenant, first, extra, http = shop
    http.post("/credentials/whatsapp", data=_add_form(extra))
    second = _numbers(db, tenant)[1]
    sandbox.revoke_token(TOKEN_2)
    response = http.post(f"/credentials/whatsapp/{second.id}/test", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Invalid OAuth access token" in page and "Suporte" in page
    statuses = [n.status for n in _numbers(db, tenant)]
    assert statuses == ["VALID", "INVALID"]


def test_another_clients_number_pages_are_404(app, db, shop, create_client, login_as):
    tenant, first, _extra, _http = shop
    other = create_client("Loja Vizinha")
    http = login_as(other.admin, other)
    assert http.get(f"/credentials/whatsapp/{first.id}").status_code == 404
    for suffix in ("", "/assistant", "/archive", "/test"):
        response = http.post(f"/credentials/whatsapp/{first.id}{suffix}",
                             data={"num-display_name": "Roubado", "nai-enabled": "off"})  # fmt: skip
        assert response.status_code == 404, suffix
    (number,) = _numbers(db, tenant)
    assert number.display_name == "Vendas" and number.archived_at is None
    assert number.ai_settings is None and number.status == "VALID"


def test_agent_cannot_open_number_pages(app, shop, create_member, login_as):
    tenant, first, _extra, _http = shop
    agent = create_member(tenant, Role.CLIENT_USER)
    http = login_as(agent, tenant)
    assert http.get(f"/credentials/whatsapp/{first.id}").status_code == 403
    assert http.post(f"/credentials/whatsapp/{first.id}/archive").status_code == 403
    assert http.post(f"/credentials/whatsapp/{first.id}/assistant").status_code == 403


def test_super_admin_sees_names_and_archived_numbers_without_secrets(
    app, db, shop, create_user, login_as
):
    tenant, first, extra, http = shop
    http.post("/credentials/whatsapp", data=_add_form(extra))
    second = _numbers(db, tenant)[1]
    http.post(f"/credentials/whatsapp/{second.id}/archive")
    root = login_as(create_user("root@example.com", is_super_admin=True))
    listing = root.get("/admin/admin_whatsapp/").get_data(as_text=True)
    assert "Vendas" in listing and "Suporte" in listing
    detail = root.get(f"/admin/admin_whatsapp/details/?id={second.id}").get_data(as_text=True)
    assert "Suporte" in detail and str(second.archived_at.year) in detail
    for text in (listing, detail):
        assert TOKEN_1 not in text and TOKEN_2 not in text and "gAAAA" not in text
        assert "segredo-do-app-suporte" not in text
    assert "••••0001" in listing
