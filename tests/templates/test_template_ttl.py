"""Message TTL of a template (Meta's message_send_ttl_seconds): form, API, sandbox, pages."""

from __future__ import annotations

import html

import pytest
import sqlalchemy as sa
from template_helpers import form_data

from clickpro.models import Template
from clickpro.services.api import tokens as api_tokens
from clickpro.services.templates.ttl import format_duration, seconds_from_form

WABA = "100000000000001"


def _page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _on_meta(sandbox, name: str = "pedido_enviado") -> dict:
    stored = sandbox.templates.find(WABA, name, "pt_BR")
    assert stored is not None
    return stored


@pytest.fixture
def api(app, tenant):
    _row, raw = api_tokens.create_token(tenant.id, "ttl")
    http = app.test_client()
    headers = {"Authorization": f"Bearer {raw}"}

    class Api:
        def post(self, url, json):
            return http.post(url, json=json, headers=headers)

        def get(self, url):
            return http.get(url, headers=headers)

    return Api()


def _api_body(**overrides) -> dict:
    body = {
        "name": "aviso_entrega",
        "category": "UTILITY",
        "body_text": "Olá {{1}}, seu pedido sai para entrega hoje.",
        "body_examples": ["Maria"],
    }
    body.update(overrides)
    return body


# --------------------------------------------------------------------------- form


def test_form_ttl_in_hours_reaches_meta_and_detail(admin_web, db, sandbox):
    page = _page(admin_web.get("/templates/new"))
    assert "Validade da mensagem (TTL, opcional)" in page
    assert (
        "Marketing: de 12 horas a 30 dias" in page
        and "Autenticação: de 30 segundos a 15 minutos" in page
    )

    response = admin_web.post(
        "/templates/new", data=form_data(send_ttl_value="2", send_ttl_unit="hours")
    )
    assert response.status_code == 302, _page(response)
    assert _on_meta(sandbox)["message_send_ttl_seconds"] == 7200
    template = db.session.scalar(sa.select(Template))
    assert template.send_ttl_seconds == 7200
    detail = _page(admin_web.get(response.headers["Location"]))
    assert 'data-testid="send-ttl">2 horas<' in detail


def test_form_marketing_ttl_in_days(admin_web, sandbox):
    data = form_data(name="oferta_relampago", category="MARKETING")
    data.update(send_ttl_value="30", send_ttl_unit="days")
    assert admin_web.post("/templates/new", data=data).status_code == 302
    assert _on_meta(sandbox, "oferta_relampago")["message_send_ttl_seconds"] == 2592000


@pytest.mark.parametrize(
    ("category", "value", "unit", "rule"),
    [
        ("MARKETING", "6", "hours", "deve ser de 12 horas a 30 dias"),
        ("MARKETING", "31", "days", "deve ser de 12 horas a 30 dias"),
        ("UTILITY", "13", "hours", "deve ser de 30 segundos a 12 horas"),
        ("UTILITY", "20", "seconds", "deve ser de 30 segundos a 12 horas"),
    ],
)
def test_form_out_of_range_refused_with_the_rule(
    admin_web, meta_calls, db, category, value, unit, rule
):
    data = form_data(category=category, send_ttl_value=value, send_ttl_unit=unit)
    response = admin_web.post("/templates/new", data=data)
    assert response.status_code == 400
    page = _page(response)
    assert rule in page
    assert 'data-error-for="send_ttl_seconds"' in page
    assert f'value="{value}"' in page  # the input keeps what was typed
    assert meta_calls.creates() == []  # refused before any Graph call
    assert db.session.scalar(sa.select(sa.func.count(Template.id))) == 0


def test_form_unreadable_number_shown_with_other_errors(admin_web, meta_calls):
    data = form_data(name="Nome Ruim", send_ttl_value="dois", send_ttl_unit="hours")
    page = _page(admin_web.post("/templates/new", data=data))
    assert "Informe a validade da mensagem como um número positivo." in page
    assert "O nome deve ter apenas letras minúsculas" in page
    assert meta_calls.creates() == []


def test_form_blank_ttl_is_not_sent(admin_web, db, sandbox):
    data = form_data(send_ttl_value="", send_ttl_unit="hours")
    assert admin_web.post("/templates/new", data=data).status_code == 302
    assert "message_send_ttl_seconds" not in _on_meta(sandbox)
    template = db.session.scalar(sa.select(Template))
    assert template.send_ttl_seconds is None
    assert 'data-testid="send-ttl">Padrão da Meta<' in _page(
        admin_web.get(f"/templates/{template.id}")
    )


def test_duplicate_keeps_the_ttl(admin_web, db):
    admin_web.post("/templates/new", data=form_data(send_ttl_value="90", send_ttl_unit="minutes"))
    template = db.session.scalar(sa.select(Template))
    page = _page(admin_web.get(f"/templates/{template.id}/duplicate"))
    ttl = page.split('name="send_ttl_value"')[1].split(">")[0]
    assert 'value="90"' in ttl
    assert '<option value="minutes" selected' in page


# --------------------------------------------------------------------------- API


def test_api_ttl_sent_and_in_template_out(api, db, sandbox):
    created = api.post("/api/v1/templates", _api_body(send_ttl_seconds=600))
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["send_ttl_seconds"] == 600
    assert _on_meta(sandbox, "aviso_entrega")["message_send_ttl_seconds"] == 600
    got = api.get(f"/api/v1/templates/{created.get_json()['id']}").get_json()
    assert got["send_ttl_seconds"] == 600
    listed = api.get("/api/v1/templates").get_json()["data"]
    assert listed[0]["send_ttl_seconds"] == 600


def test_api_omitted_ttl_not_sent(api, sandbox):
    created = api.post("/api/v1/templates", _api_body())
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["send_ttl_seconds"] is None
    assert "message_send_ttl_seconds" not in _on_meta(sandbox, "aviso_entrega")


@pytest.mark.parametrize(
    ("category", "ttl", "rule"),
    [
        ("MARKETING", 3600, "de 12 horas a 30 dias"),
        ("UTILITY", 43201, "de 30 segundos a 12 horas"),
        ("UTILITY", 0, "de 30 segundos a 12 horas"),
        ("AUTHENTICATION", 901, "de 30 segundos a 15 minutos"),
    ],
)
def test_api_out_of_range_refused_with_the_rule(api, meta_calls, category, ttl, rule):
    response = api.post("/api/v1/templates", _api_body(category=category, send_ttl_seconds=ttl))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert any(rule in m for m in error["details"]["send_ttl_seconds"])
    assert meta_calls.creates() == []


def test_api_ttl_must_be_an_integer(api, meta_calls):
    for bad in ("3600", 3600.5, True):
        response = api.post("/api/v1/templates", _api_body(send_ttl_seconds=bad))
        assert response.status_code in (400, 422), bad
    assert meta_calls.creates() == []


# --------------------------------------------------------------------------- sandbox / sync


def test_sandbox_refuses_out_of_range_ttl(sandbox):
    account = sandbox.account_for_waba(WABA)
    payload = {
        "name": "direto",
        "language": "pt_BR",
        "category": "AUTHENTICATION",
        "components": [
            {"type": "BODY", "text": "Seu código é {{1}}.", "example": {"body_text": [["1"]]}}
        ],
        "message_send_ttl_seconds": 1200,
    }
    body, status = sandbox.templates.create(account, payload)
    assert status == 400 and "between 30 and 900" in body["error"]["error_data"]["details"]
    payload["message_send_ttl_seconds"] = 900
    body, status = sandbox.templates.create(account, payload)
    assert status == 200
    listed, _ = sandbox.templates.list(WABA, name="direto", limit=10, after=None, next_url="x?")
    assert listed["data"][0]["message_send_ttl_seconds"] == 900


def test_sync_imports_the_ttl_of_templates_made_on_meta(admin_web, db, sandbox):
    payload = {
        "name": "feito_fora",
        "language": "pt_BR",
        "category": "UTILITY",
        "components": [{"type": "BODY", "text": "Mensagem criada no gerenciador da Meta."}],
        "message_send_ttl_seconds": 3600,
    }
    _body, status = sandbox.templates.create(sandbox.account_for_waba(WABA), payload)
    assert status == 200
    admin_web.post("/templates/sync")
    row = db.session.scalar(sa.select(Template).where(Template.name == "feito_fora"))
    assert row.send_ttl_seconds == 3600


# --------------------------------------------------------------------------- pure rules


def test_units_and_words():
    assert seconds_from_form("1,5", "hours") == (5400, None)
    assert seconds_from_form("", "hours") == (None, None)
    assert seconds_from_form("0.5", "seconds")[1]
    assert seconds_from_form("-3", "minutes")[1]
    assert seconds_from_form("3", "weeks")[1]
    assert format_duration(5400) == "1 hora e 30 minutos"
    assert format_duration(2592000) == "30 dias"
