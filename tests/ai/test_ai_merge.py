"""Two contacts merged: the AI runs of the merged conversation follow it into the kept
conversation on that number (the chain is unique per conversation)."""

from __future__ import annotations

import sqlalchemy as sa

from clickpro.models import AIReplyRun, Conversation
from clickpro.services.contacts.merge import merge_contacts


def test_runs_follow_their_conversation_into_the_kept_one(
    shop, db, create_contact, create_conversation, create_message
):
    kept = create_contact(shop.tenant, "+5511987650010", name="Maria")
    gone = create_contact(shop.tenant, "+5511987650011", name="")
    for contact in (kept, gone):
        conversation = create_conversation(shop.tenant, contact)
        inbound = create_message(shop.tenant, contact, body="quero", conversation=conversation)
        db.session.add(
            AIReplyRun(client_id=shop.tenant.id, contact_id=contact.id,
                       conversation_id=conversation.id, trigger_message_id=inbound.id,
                       after_message_id=0, message_ids=[inbound.id], status="DONE")
        )  # fmt: skip
    db.session.commit()
    kept_id = kept.id

    merge_contacts(shop.tenant.id, kept_id, gone.id, reason="test")
    db.session.commit()

    (conversation,) = db.session.scalars(sa.select(Conversation)).all()
    runs = db.session.scalars(sa.select(AIReplyRun).order_by(AIReplyRun.id)).all()
    assert len(runs) == 2  # the merged conversation's run survived the delete
    assert {(r.contact_id, r.conversation_id) for r in runs} == {(kept_id, conversation.id)}
    assert runs[0].after_message_id == 0  # the kept chain is untouched
    assert runs[1].after_message_id == -runs[1].id
