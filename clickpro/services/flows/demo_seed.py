"""The demo's chatbot flows: the three ready-made templates, published, each run once.

Called by ``clickpro.services.demo.seed_demo`` (idempotent: nothing happens once the
three flows exist). The menu is on (keywords "menu", "oi"... on the demo number); the
CPF form and the survey are published but off (agents start them from the inbox). Each
is then walked once by a sandbox customer through the real inbound path (the webhook
value Meta sends, stored by ``ingest_messages``, handed to the flows receiver), so the
flow pages open with a report that has numbers and the inbox shows the conversations.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from flask import current_app

from clickpro.extensions import db
from clickpro.models.flows import Flow, FlowTriggerKind
from clickpro.services.conversations import first_number
from clickpro.services.flows import library, versions

log = logging.getLogger(__name__)

# ``clickpro.services.demo.demo_people``: (name, phone, city) of the first ``count`` demo
# customers. Passed in by the demo (it imports this module, not the other way round).
People = Callable[[int], list[tuple[str, str, str]]]

KEYS = ("menu_atendimento", "pre_atendimento_cpf", "pesquisa_satisfacao")
# Per demo customer (the first three of the demo list): the flow an agent starts first
# (None: the customer starts the menu with a keyword) and what the customer types.
SCRIPTS: tuple[tuple[str | None, tuple[str, ...]], ...] = (
    (None, ("oi", "2")),
    ("pre_atendimento_cpf", ("Rafael Lima", "123.456.789-00", "529.982.247-25", "PED-20931")),
    ("pesquisa_satisfacao", ("5", "Sim, quero comentar", "Entrega rápida e atendimento nota 10!")),
)
OPENERS = {
    "pre_atendimento_cpf": "Boa tarde, meu pedido ainda não chegou",
    "pesquisa_satisfacao": "Chegou certinho, obrigada!",
}


def seed_demo_flows(client_id: int, demo_people: People) -> dict[str, Flow]:
    """Create, publish and run the three flows once; the flows by template key.

    ``demo_people`` gives the demo customers who walk the flows."""
    existing = {
        f.template_key: f
        for f in versions.list_flows(client_id, include_archived=True)
        if f.template_key in KEYS
    }
    if len(existing) == len(KEYS):
        return existing
    number = first_number(client_id)
    flows: dict[str, Flow] = {}
    for key in KEYS:
        flow = existing.get(key) or library.create_from_template(
            client_id, key, user_id=None, number_id=number.id if number else None
        )
        if flow.published_version_id is None:
            versions.publish(client_id, flow.id, user_id=None, note="Demo")
        versions.set_enabled(client_id, flow.id, key == "menu_atendimento")
        flows[key] = flow
    if number is not None:
        try:
            _run_scripts(client_id, number, flows, demo_people)
        except Exception as exc:  # the demo must start even if a run cannot
            db.session.rollback()
            log.warning("demo: flow runs not completed: %s", exc, exc_info=True)
    return flows


def _run_scripts(client_id: int, number, flows: dict[str, Flow], demo_people: People) -> None:
    from clickpro.services.flows import engine

    people = demo_people(len(SCRIPTS))
    for index, (person, (manual, texts)) in enumerate(zip(people, SCRIPTS, strict=True), start=1):
        name, phone, _city = person
        wa_id = phone.lstrip("+")
        wamid = f"wamid.DEMO-FLOW-{index}-"
        if manual is not None:
            received = _customer_says(client_id, number, name, wa_id, OPENERS[manual], wamid + "0")
            if received is None:
                continue
            engine.start_run(
                client_id,
                flows[manual].id,
                conversation_id=received.conversation_id,
                trigger=FlowTriggerKind.MANUAL,
            )
        for step, text in enumerate(texts, start=1):
            _customer_says(client_id, number, name, wa_id, text, f"{wamid}{step}")


def _customer_says(client_id: int, number, name: str, wa_id: str, text: str, wamid: str):
    """One inbound text, stored like Meta's webhook and handed to the flows receiver."""
    from clickpro.services.flows import triggers
    from clickpro.services.webhook.inbound import ingest_messages

    value = {
        "messaging_product": "whatsapp",
        "metadata": {"phone_number_id": number.phone_number_id},
        "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
        "messages": [
            {"from": wa_id, "id": wamid, "timestamp": str(int(time.time())), "type": "text",
             "text": {"body": text}}
        ],
    }  # fmt: skip
    ingested = ingest_messages(client_id, value)
    db.session.commit()
    if not ingested.received:
        return None  # seen before (a second seed): nothing new to hand over
    item = ingested.received[0]
    triggers.on_message_received(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        client_id=item.client_id,
        message_id=item.message_id,
        contact_id=item.contact_id,
        conversation_id=item.conversation_id,
        number_id=item.number_id,
    )
    return item
