"""The context sent to OpenAI: the last N messages of the conversation, oldest first."""

from __future__ import annotations

from clickpro.services.ai.claim import Thread
from clickpro.services.ai.reply import build_context


def _thread(conversation) -> Thread:
    return Thread(conversation.id, conversation.contact_id, conversation.number_id)


def test_context_roles_order_exclusions_and_stand_ins(
    shop, create_contact, create_message, create_conversation
):
    tenant = shop.tenant
    contact = create_contact(tenant)
    thread = _thread(create_conversation(tenant, contact))

    def add(**kw):
        return create_message(tenant, contact, **kw)

    add(body="Mensagem antiga demais")  # falls out of the window below
    add(direction="OUT", author="CAMPAIGN", type="template", body="Promoção de pizza!")
    add(body="Quero uma")
    add(direction="OUT", author="AGENT", body="Qual sabor?", status="DELIVERED")
    add(direction="OUT", author="AGENT", body="nota: cliente VIP", is_internal_note=True)
    add(type="image", body="[Imagem] essa aqui")
    add(type="audio", body="")
    add(type="reaction", body="👍")
    add(direction="OUT", author="AI", body="nunca saiu", status="FAILED")
    add(direction="OUT", author="AI", body="Anotado!", status="READ")
    last = add(body="Quanto fica?")

    context = build_context(tenant.id, thread, 7, upto_message_id=last.id)

    assert context == [
        {"role": "assistant", "content": "Promoção de pizza!"},
        {"role": "user", "content": "Quero uma"},
        {"role": "assistant", "content": "Qual sabor?"},
        {"role": "user", "content": "[Imagem] essa aqui"},
        {"role": "user", "content": "[audio]"},
        {"role": "assistant", "content": "Anotado!"},
        {"role": "user", "content": "Quanto fica?"},
    ]


def test_context_stops_at_the_trigger_and_is_per_contact(
    shop, create_contact, create_message, create_conversation
):
    tenant = shop.tenant
    contact, other = create_contact(tenant), create_contact(tenant)
    thread = _thread(create_conversation(tenant, contact))
    first = create_message(tenant, contact, body="um")
    create_message(tenant, other, body="de outra pessoa")
    create_message(tenant, contact, body="depois do gatilho")
    assert build_context(tenant.id, thread, 10, upto_message_id=first.id) == [
        {"role": "user", "content": "um"}
    ]
    assert [m["content"] for m in build_context(tenant.id, thread, 10)] == [
        "um",
        "depois do gatilho",
    ]
    # Another client's id sees nothing.
    assert build_context(tenant.id + 1000, thread, 10) == []


def test_context_size_comes_from_the_assistant_settings(shop, db, openai_spy):
    shop.credential.context_messages = 2
    db.session.commit()
    shop.say("primeira")
    shop.say("segunda")
    assert openai_spy.bodies[-1]["input"] == [
        {"role": "assistant", "content": shop.ai_messages()[0].body},
        {"role": "user", "content": "segunda"},
    ]
