"""Template status/quality/category webhooks and phone number quality updates."""

from __future__ import annotations

import sqlalchemy as sa
from webhook_helpers import WABA_ID, field_payload, post

from clickpro.extensions import db
from clickpro.labels import label
from clickpro.models import Notification, Role, WhatsAppCredential
from clickpro.models.notifications import Audience
from clickpro.services.accounts.notifications import (
    is_visible,
    mark_read,
    recipients,
    unread_count,
)
from clickpro.services.templates.status import apply_template_update


def _status_update(template, event: str, reason: str = "NONE") -> dict:
    return field_payload(
        "message_template_status_update",
        {
            "event": event,
            "message_template_id": int(template.meta_template_id),
            "message_template_name": template.name,
            "message_template_language": template.language,
            "reason": reason,
        },
    )


def test_rejection_updates_template_notifies_admins_and_signals(
    client, shop, create_template, create_member, spy
):
    changed = spy("template_status_changed")
    second_admin = create_member(shop, role=Role.CLIENT_ADMIN)
    agent = create_member(shop, role=Role.CLIENT_USER)
    template = create_template(
        shop, "promo_black_friday", status="PENDING", meta_template_id="594425479261596"
    )
    assert (
        post(client, _status_update(template, "REJECTED", "INCORRECT_CATEGORY")).status_code == 200
    )
    db.session.refresh(template)
    assert template.status == "REJECTED" and template.rejected_reason == "INCORRECT_CATEGORY"
    (note,) = db.session.scalars(sa.select(Notification)).all()
    assert note.client_id == shop.id and note.kind == "template_status"
    # one notification for the event, addressed to the client's admins (read per admin)
    assert note.user_id is None and note.audience == Audience.ADMINS
    assert sorted(recipients(note)) == sorted([shop.admin.id, second_admin.id])
    assert is_visible(note, shop.admin.id) and is_visible(note, second_admin.id)
    assert not is_visible(note, agent.id)
    assert mark_read(shop.id, shop.admin.id, note.id) == 1
    assert mark_read(shop.id, shop.admin.id, note.id) == 0  # already read: nothing marked
    assert unread_count(shop.id, shop.admin.id) == 0
    assert unread_count(shop.id, second_admin.id) == 1  # one admin's read is not the other's
    assert "promo_black_friday" in note.text and "Rejeitado" in note.text
    # Meta's reason explained in words (what to change), never the raw code
    assert label("rejection", "INCORRECT_CATEGORY").rstrip(".") in note.text
    assert "INCORRECT_CATEGORY" not in note.text
    assert note.template_id == template.id
    assert changed.calls == [
        {
            "client_id": shop.id,
            "template_id": template.id,
            "previous": "PENDING",
            "status": "REJECTED",
            "reason": "INCORRECT_CATEGORY",
        }
    ]


def test_same_status_twice_notifies_once(client, shop, create_template):
    template = create_template(shop, status="PENDING", meta_template_id="77")
    post(client, _status_update(template, "APPROVED"))
    post(
        client,
        _status_update(template, "APPROVED") | {"object": "whatsapp_business_account", "x": 1},
    )
    db.session.refresh(template)
    assert template.status == "APPROVED" and template.rejected_reason is None
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 1


def test_matched_by_name_and_language_without_meta_id(app, shop, create_template):
    template = create_template(shop, "boas_vindas", status="PENDING", language="pt_BR")
    create_template(shop, "boas_vindas", status="PENDING", language="en_US")
    assert apply_template_update(
        shop.id, name="boas_vindas", language="pt_BR", status="APPROVED", meta_template_id="99"
    )
    db.session.refresh(template)
    assert template.status == "APPROVED" and template.meta_template_id == "99"
    assert not apply_template_update(shop.id, name="nao_existe", status="APPROVED")


def test_template_of_another_waba_is_unrouted(client, shop, create_template):
    template = create_template(shop, status="PENDING", meta_template_id="88")
    payload = _status_update(template, "APPROVED")
    payload["entry"][0]["id"] = "999999"
    post(client, payload)
    db.session.refresh(template)
    assert template.status == "PENDING"


def test_quality_and_category_updates(client, shop, create_template):
    template = create_template(shop, status="APPROVED", meta_template_id="55", category="UTILITY")
    base = {
        "message_template_id": 55,
        "message_template_name": template.name,
        "message_template_language": "pt_BR",
    }
    post(
        client,
        field_payload(
            "message_template_quality_update",
            base | {"previous_quality_score": "GREEN", "new_quality_score": "YELLOW"},
        ),
    )
    post(
        client,
        field_payload(
            "template_category_update",
            base | {"previous_category": "UTILITY", "new_category": "MARKETING"},
        ),
    )
    db.session.refresh(template)
    assert template.quality_score == "YELLOW" and template.category == "MARKETING"
    assert template.status == "APPROVED"
    # Quality: no notice; the completed category change notifies the admins (issue 17).
    notes = db.session.scalars(sa.select(Notification)).all()
    assert [n.kind for n in notes] == ["template_status"] and "MARKETING" in notes[0].text


def test_throughput_upgrade_and_tier(client, shop):
    value = {
        "display_phone_number": "551130000000",
        "event": "THROUGHPUT_UPGRADE",
        "current_limit": "TIER_10K",
    }
    assert (
        post(client, field_payload("phone_number_quality_update", value, WABA_ID)).status_code
        == 200
    )
    credential = db.session.get(WhatsAppCredential, shop.credential.id)
    db.session.refresh(credential)
    assert credential.throughput_mps == 1000 and credential.messaging_tier == "TIER_10K"
    post(
        client,
        field_payload(
            "phone_number_quality_update",
            {"display_phone_number": "551130000000", "event": "FLAGGED"},
        ),
    )
    db.session.refresh(credential)
    assert credential.quality_rating == "RED"
