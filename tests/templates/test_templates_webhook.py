"""The webhook and the sync share one path: a status arrives once, notifies once."""

from __future__ import annotations

import json
import time

import sqlalchemy as sa
from template_helpers import form_data

from clickpro.models import Notification, Template
from clickpro.sandbox.webhooks import sign
from clickpro.services.templates.service import sync_templates


def _status_notes(db) -> list[Notification]:
    stmt = sa.select(Notification).where(Notification.kind == "template_status")
    return list(db.session.scalars(stmt))


def _wait_for_review(sandbox, name: str) -> None:
    """The sandbox reviews on its timer thread (delay 0); wait until the event is queued."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        found = sandbox.templates.find("100000000000001", name, "pt_BR")
        if found and found["status"] != "PENDING":
            return
        time.sleep(0.02)
    raise AssertionError("sandbox never reviewed the template")


def test_sandbox_status_webhook_updates_the_row(admin_web, db, tenant, sandbox):
    """Submit → the sandbox approves and posts a signed status webhook to /webhook."""
    assert admin_web.post("/templates/new", data=form_data()).status_code == 302
    _wait_for_review(sandbox, "pedido_enviado")
    sandbox.flush()  # deliver the queued webhooks into the app (signed, real HTTP shape)
    template = db.session.scalar(sa.select(Template))
    db.session.refresh(template)
    assert template.status == "APPROVED"
    assert len(_status_notes(db)) == 1
    # the sync afterwards sees nothing new: no second notification
    result = sync_templates(tenant.id)
    assert (result.created, result.updated) == (0, 0)
    assert len(_status_notes(db)) == 1


def test_signed_post_of_a_rejection(app, client, admin_web, db, tenant, sandbox):
    assert admin_web.post("/templates/new", data=form_data(name="promo_teste")).status_code == 302
    template = db.session.scalar(sa.select(Template))
    body = json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "100000000000001",
                    "time": 1732400000,
                    "changes": [
                        {
                            "field": "message_template_status_update",
                            "value": {
                                "event": "REJECTED",
                                "message_template_id": int(template.meta_template_id),
                                "message_template_name": "promo_teste",
                                "message_template_language": "pt_BR",
                                "reason": "TAG_CONTENT_MISMATCH",
                            },
                        }
                    ],
                }
            ],
        }
    ).encode()
    unsigned = client.post("/webhook", data=body, content_type="application/json")
    assert unsigned.status_code == 403
    db.session.refresh(template)
    assert template.status == "PENDING"
    response = client.post(
        "/webhook",
        data=body,
        content_type="application/json",
        headers={"X-Hub-Signature-256": sign(app.config["META_APP_SECRET"], body)},
    )
    assert response.status_code == 200
    db.session.refresh(template)
    assert template.status == "REJECTED"
    assert template.rejected_reason == "TAG_CONTENT_MISMATCH"
    notes = _status_notes(db)
    explained = "O conteúdo não corresponde à categoria escolhida"  # the reason, in words
    assert len(notes) == 1 and explained in notes[0].text
    assert "TAG_CONTENT_MISMATCH" not in notes[0].text and "novo.." not in notes[0].text
    page = admin_web.get(f"/templates/{template.id}").get_data(as_text=True)
    assert explained in page and "TAG_CONTENT_MISMATCH" not in page
