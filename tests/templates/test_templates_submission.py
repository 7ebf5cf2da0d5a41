"""Submission against the sandbox, review outcome through the sync, pages, delete."""

from __future__ import annotations

import html

import sqlalchemy as sa
from template_helpers import form_data

from clickpro.models import Notification, Template


def _page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _notes(db, kind="template_status") -> list[Notification]:
    return list(db.session.scalars(sa.select(Notification).where(Notification.kind == kind)))


def _sync(web):
    return web.post("/templates/sync", follow_redirects=True)


def test_form_page_has_preview_and_scripts(admin_web):
    page = admin_web.get("/templates/new").get_data(as_text=True)
    assert "data-template-preview" in page
    assert 'data-preview="body_text"' in page
    assert "js/template_form.js" in page and "js/template_preview.js" in page
    assert '<option value="pt_BR" selected' in page


def test_submit_pending_then_approved_by_sync(
    admin_web, meta_calls, db, tenant, sandbox, create_member
):
    create_member(tenant, role="CLIENT_ADMIN")  # two admins: one notification, read per admin
    response = admin_web.post("/templates/new", data=form_data())
    assert response.status_code == 302
    template = db.session.scalar(sa.select(Template))
    assert template.status == "PENDING"
    assert template.meta_template_id
    assert sandbox.templates.find("100000000000001", "pedido_enviado", "pt_BR")["id"] == (
        template.meta_template_id
    )
    detail = _page(admin_web.get(response.headers["Location"]))
    assert "PENDING" in detail and template.meta_template_id in detail

    page = _page(_sync(admin_web))
    db.session.expire_all()
    assert template.status == "APPROVED"
    assert template.last_synced_at is not None
    assert 'data-status="APPROVED"' in page
    notes = _notes(db)
    assert len(notes) == 1 and notes[0].user_id is None and notes[0].audience == "admins"
    assert notes[0].client_id == tenant.id
    assert "pedido_enviado" in notes[0].text and notes[0].template_id == template.id
    # the detail page shows the change once in the status history
    detail = _page(admin_web.get(f"/templates/{template.id}"))
    history = detail.split('data-testid="history"')[1].split("</ul>")[0]
    assert history.count("<li>") == 1 and "Aprovado" in history


def test_rejected_with_reason(admin_web, meta_calls, db):
    admin_web.post("/templates/new", data=form_data(name="reject_promo"))
    page = _page(_sync(admin_web))
    template = db.session.scalar(sa.select(Template))
    assert template.status == "REJECTED"
    assert template.rejected_reason == "INVALID_FORMAT"
    explained = "Formato inválido: variáveis sem exemplo"  # the reason and what to change
    assert explained in page and "INVALID_FORMAT" not in page  # reason shown in the list
    assert explained in _page(admin_web.get(f"/templates/{template.id}"))
    notes = _notes(db)
    assert len(notes) == 1 and explained in notes[0].text


def test_detail_renders_components_with_examples(admin_web, tenant, create_template):
    template = create_template(
        tenant,
        name="boas_vindas",
        components=[
            {
                "type": "HEADER",
                "format": "TEXT",
                "text": "Oi {{1}}!",
                "example": {"header_text": ["Ana"]},
            },
            {
                "type": "BODY",
                "text": "Seu cupom {{1}} vale até {{2}}.",
                "example": {"body_text": [["BF30", "sexta"]]},
            },
            {"type": "FOOTER", "text": "Loja Exemplo"},
            {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Parar promoções"}]},
        ],
    )
    page = _page(admin_web.get(f"/templates/{template.id}"))
    assert "Oi Ana!" in page
    assert "Seu cupom BF30 vale até sexta." in page
    assert "Loja Exemplo" in page and "Parar promoções" in page


def test_buttons_and_header_text_reach_meta(admin_web, meta_calls, db, sandbox):
    data = form_data(
        name="oferta_relampago",
        category="MARKETING",
        header_format="TEXT",
        header_text="Oferta para {{1}}",
        header_example="Maria",
        button_type=["QUICK_REPLY", "URL", "PHONE_NUMBER", "COPY_CODE"],
        button_text=["Parar promoções", "Ver ofertas", "Ligar", ""],
        button_url=["", "https://loja.example/{{1}}", "", ""],
        button_url_example=["", "bf", "", ""],
        button_phone=["", "", "+55 11 99999-0000", ""],
        button_code=["", "", "", "BF30"],
    )
    response = admin_web.post("/templates/new", data=data)
    assert response.status_code == 302, _page(response)
    stored = sandbox.templates.find("100000000000001", "oferta_relampago", "pt_BR")
    buttons = stored["components"][-1]["buttons"]
    assert [b["type"] for b in buttons] == ["QUICK_REPLY", "URL", "PHONE_NUMBER", "COPY_CODE"]
    assert buttons[1]["example"] == ["https://loja.example/bf"]
    assert buttons[2]["phone_number"] == "+5511999990000"
    assert stored["components"][0]["example"] == {"header_text": ["Maria"]}


def test_duplicate_as_new_prefills_the_form(admin_web, tenant, create_template):
    template = create_template(tenant, name="lembrete_pagamento")
    page = _page(admin_web.get(f"/templates/{template.id}/duplicate"))
    assert 'value="lembrete_pagamento_copia"' in page
    assert "Olá {{1}}, temos uma oferta para você!" in page
    assert 'value="Maria"' in page  # the example of {{1}}


def test_delete_removes_every_language(admin_web, meta_calls, db, sandbox):
    admin_web.post("/templates/new", data=form_data())
    admin_web.post("/templates/new", data=form_data(language="en_US"))
    rows = list(db.session.scalars(sa.select(Template).order_by(Template.language)))
    assert len(rows) == 2
    confirm = _page(admin_web.get(f"/templates/{rows[0].id}/delete"))
    assert "en_US" in confirm and "pt_BR" in confirm
    response = admin_web.post(f"/templates/{rows[0].id}/delete")
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Template.id))) == 0
    assert sandbox.templates.find("100000000000001", "pedido_enviado", "pt_BR") is None
    assert sandbox.templates.find("100000000000001", "pedido_enviado", "en_US") is None
    assert ("DELETE", "/graph/v23.0/100000000000001/message_templates") in meta_calls.calls


def test_delete_of_a_name_meta_no_longer_has(admin_web, db, tenant, create_template, sandbox):
    template_id = create_template(tenant, name="sumiu_da_meta", meta_template_id="123").id
    response = admin_web.post(f"/templates/{template_id}/delete")
    assert response.status_code == 302
    assert db.session.get(Template, template_id) is None


def test_status_filter(admin_web, tenant, create_template):
    create_template(tenant, name="aprovado_um", status="APPROVED")
    create_template(tenant, name="rejeitado_um", status="REJECTED", rejected_reason="SCAM")
    page = _page(admin_web.get("/templates?status=REJECTED"))
    assert "rejeitado_um" in page and "aprovado_um" not in page
    page = _page(admin_web.get("/templates?status=bogus"))
    assert "rejeitado_um" in page and "aprovado_um" in page
