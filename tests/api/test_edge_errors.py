"""One error model, one handler per kind of edge: a ServiceError raised by a service is
answered by /api/v1 and the inbox JSON in the same body, and by HTML pages as a form
error (what the user typed kept) or a flash message."""

from __future__ import annotations

import pickle

import pytest

from clickpro.blueprints.contacts import routes as contact_routes
from clickpro.blueprints.errors import error_body
from clickpro.errors import ConflictError, ServiceError
from clickpro.extensions import db
from clickpro.models import Message
from clickpro.services.contacts import service as contacts
from clickpro.services.contacts.phones import InvalidPhone
from clickpro.services.credentials import CredentialError, NoCredentials
from clickpro.services.inbox import actions as inbox_actions
from clickpro.services.inbox import service as inbox
from clickpro.services.messaging.outbound import SendFailed, WindowClosed

EXPECTED = {
    "error": {"code": "conflict", "message": "Estado não permite.", "details": {"q": ["Estado não permite."]}}
}  # fmt: skip


def _refuse(*_args, **_kwargs):
    raise ConflictError("Estado não permite.", field="q")


def test_service_errors_carry_code_message_field_status():
    assert issubclass(contacts.ContactError, ServiceError)
    assert issubclass(contacts.ContactError, ValueError)  # old callers keep working
    error = CredentialError("access_token", "Token recusado.")
    assert (error.code, error.field, error.http_status) == ("validation_error", "access_token", 422)
    assert error_body(error)["error"]["details"] == {"access_token": ["Token recusado."]}
    assert (NoCredentials("sem").code, NoCredentials("sem").http_status) == ("no_credentials", 409)
    assert (WindowClosed().code, WindowClosed().field) == ("window_closed", "text")
    assert issubclass(SendFailed, ServiceError) and SendFailed.http_status == 502
    assert inbox_actions.NotFound("x").http_status == 404
    phone = pickle.loads(pickle.dumps(InvalidPhone("too_short", "Curto demais.")))
    assert (phone.reason_code, phone.message, phone.field) == (
        "too_short",
        "Curto demais.",
        "phone",
    )


def test_api_answers_any_service_error_in_its_error_body(api, monkeypatch):
    monkeypatch.setattr(contacts, "search_contacts", _refuse)
    response = api.get("/api/v1/contacts")
    assert response.status_code == 409 and response.get_json() == EXPECTED


def test_api_answers_a_real_service_refusal_with_its_field(api):
    response = api.post(
        "/api/v1/webhooks", json={"url": "ftp://erp.test/x", "events": ["message.received"]}
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and error["details"]["url"] == [error["message"]]


def test_inbox_json_answers_the_same_body(tenant, login_as, monkeypatch):
    monkeypatch.setattr(inbox, "list_conversations", _refuse)
    response = login_as(tenant.admin, tenant).get("/inbox/api/conversations")
    assert response.status_code == 409 and response.get_json() == EXPECTED


@pytest.mark.parametrize(
    ("kwargs", "status", "code", "field"),
    [
        ({"data": "{nope", "content_type": "application/json"}, 400, "invalid_json", None),
        # 100 000 nested arrays: the JSON decoder's RecursionError, not a 500
        ({"data": "[" * 100_000, "content_type": "application/json"}, 400, "invalid_json", None),
        (
            {"data": "[" * 100_000 + "]" * 100_000, "content_type": "application/json"},
            400,
            "invalid_json",
            None,
        ),
        ({"json": {}}, 422, "validation_error", "body"),
        ({"json": {"body": 12}}, 422, "validation_error", "body"),
        ({"json": {"body": "oi", "extra": 1}}, 422, "validation_error", "extra"),
        ({"json": ["oi"]}, 422, "validation_error", "body"),
        ({"data": "oi", "content_type": "text/plain"}, 415, "unsupported_media_type", None),
    ],
)
def test_inbox_bodies_are_validated_like_the_api(
    tenant, login_as, create_contact, create_conversation, kwargs, status, code, field
):
    conv = create_conversation(tenant, create_contact(tenant))
    http = login_as(tenant.admin, tenant)
    response = http.post(f"/inbox/api/conversations/{conv.id}/notes", **kwargs)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]
    if field:
        assert field in error["details"]


def test_inbox_send_failed_brings_the_stored_message(
    tenant, login_as, create_contact, create_conversation, create_message, monkeypatch
):
    contact = create_contact(tenant)
    conv = create_conversation(tenant, contact)
    failed = create_message(
        tenant,
        contact,
        conversation=conv,
        direction="OUT",
        status="FAILED",
        error_code=131026,
        error_title="Undeliverable",
    )

    def refuse(*_args, **_kwargs):
        raise SendFailed(db.session.get(Message, failed.id))

    monkeypatch.setattr(inbox_actions, "reply_text", refuse)
    response = login_as(tenant.admin, tenant).post(
        f"/inbox/api/conversations/{conv.id}/messages", json={"body": "oi"}
    )
    assert response.status_code == 502
    error = response.get_json()["error"]
    assert error["code"] == "send_failed" and "Undeliverable" in error["message"]
    assert error["details"]["message"]["id"] == failed.id
    assert error["details"]["message"]["status"] == "FAILED"


def test_html_form_keeps_what_was_typed_and_shows_the_error(tenant, login_as, create_contact):
    create_contact(tenant, "+5511987650077")
    http = login_as(tenant.admin, tenant)
    response = http.post(
        "/contacts/new", data={"phone": "+5511987650077", "name": "Joana Digitada"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Já existe um contato com este telefone." in page
    assert 'value="Joana Digitada"' in page and 'value="+5511987650077"' in page


def test_html_page_flashes_an_uncaught_service_error_and_goes_back(tenant, login_as, monkeypatch):
    monkeypatch.setattr(contact_routes, "create_contact", _refuse)
    http = login_as(tenant.admin, tenant)
    back = "http://localhost/contacts/new"
    response = http.post(
        "/contacts/new", data={"phone": "+5511987650078", "name": "X"}, headers={"Referer": back}
    )
    assert response.status_code == 303 and response.headers["Location"] == back
    assert "Estado não permite." in http.get("/contacts/new").get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/api/v1/campaigns/999999", "Campanha não encontrada."),
        ("/api/v1/messages/999999", "Mensagem não encontrada."),
        ("/api/v1/contacts/999999", "Contato não encontrado."),
    ],
)
def test_not_found_agrees_with_the_noun(api, path, message):
    response = api.get(path)
    assert response.status_code == 404
    assert response.get_json()["error"]["message"] == message
