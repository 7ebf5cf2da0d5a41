"""Flows on live conversations: what the send steps put on the wire (media, reply
buttons, lists, in the Cloud API's shape) and the campaign-reply, off-hours and
new-conversation triggers, through the sandbox's signed webhooks (real PostgreSQL)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from runtime_spies import Files, spy_on

from clickpro.extensions import db as _db
from clickpro.models import BusinessHours, Campaign, Conversation, Message

JPEG = b"\xff\xd8\xff\xe0" + b"foto-da-loja" * 40 + b"\xff\xd9"
PDF = b"%PDF-1.4\n% boleto de teste\n%%EOF\n"
ALL_DAY = {str(d): [["00:00", "24:00"]] for d in range(7)}


def _end(text: str) -> dict:
    return {"type": "end", "message": {"kind": "text", "text": text}}


@pytest.fixture
def meta(app, shop):
    return spy_on(app, "META_HTTP_TRANSPORT", "clickpro.meta_http", ("/messages",))


@pytest.fixture
def files(app):
    app.config["OUTBOUND_WEBHOOK_ALLOW_PRIVATE"] = True
    server = Files({"loja.jpg": JPEG, "boleto.pdf": PDF})
    yield server
    server.close()


def test_media_buttons_and_list_reach_whatsapp_in_the_cloud_api_shape(shop, meta, files, sandbox):
    choices = [{"id": f"c{i}", "title": f"Opção {i}", "next": "fim" if i != 4 else "quatro"}
               for i in range(1, 6)]  # fmt: skip
    shop.publish({"schema": 1, "start": "foto", "triggers": [{"kind": "keyword", "keywords": ["catalogo"]}],
                  "steps": {
        "foto": {"type": "send", "next": "boleto", "message": {
            "kind": "media", "media_type": "image", "url": f"{files.base}/loja.jpg",
            "caption": "Nossa loja, {{contact.name}}"}},
        "boleto": {"type": "send", "next": "pagar", "message": {
            "kind": "media", "media_type": "document", "url": f"{files.base}/boleto.pdf",
            "caption": "Seu boleto", "filename": "boleto-maio.pdf"}},
        "pagar": {"type": "send", "next": "produtos", "message": {
            "kind": "buttons", "text": "Como prefere pagar?",
            "buttons": [{"id": "pix", "title": "Pix"}, {"id": "cartao", "title": "Cartão"}]}},
        "produtos": {"type": "send", "next": "escolha", "message": {
            "kind": "list", "text": "Nossos produtos", "button": "Ver produtos",
            "sections": [{"title": "Camisetas", "rows": [{"id": "p1", "title": "Básica", "description": "49 reais"}]},
                         {"title": "Calças", "rows": [{"id": "p2", "title": "Jeans"}]}]}},
        "escolha": {"type": "ask", "message": {"kind": "text", "text": "Qual assunto?"}, "save_as": "assunto",
                    "validation": {"kind": "choice", "choices": choices}},
        "quatro": _end("Você escolheu a quatro."),
        "fim": _end("Até logo!"),
    }})  # fmt: skip
    shop.say("catalogo")
    (run,) = shop.runs()
    assert run.status == "waiting_input" and run.current_step == "escolha", run.end_reason
    sent = [b for b in meta.bodies if "type" in b]  # the sends (not read marks)
    image, document, buttons, products, question = sent[:5]
    for body in sent[:5]:
        assert body["messaging_product"] == "whatsapp" and body["to"] == shop.wa_id
    assert image["type"] == "image" and set(image["image"]) == {"id", "caption"}
    assert image["image"]["caption"] == "Nossa loja, Maria Cliente"
    assert sandbox.media[image["image"]["id"]]["content"] == JPEG
    assert sandbox.media[image["image"]["id"]]["mime_type"] == "image/jpeg"
    assert document["type"] == "document"
    assert document["document"] == {"id": document["document"]["id"], "caption": "Seu boleto",
                                    "filename": "boleto-maio.pdf"}  # fmt: skip
    assert sandbox.media[document["document"]["id"]]["content"] == PDF
    assert buttons["type"] == "interactive" and buttons["interactive"] == {
        "type": "button", "body": {"text": "Como prefere pagar?"},
        "action": {"buttons": [{"type": "reply", "reply": {"id": "pix", "title": "Pix"}},
                               {"type": "reply", "reply": {"id": "cartao", "title": "Cartão"}}]}}  # fmt: skip
    listed = products["interactive"]
    assert listed["type"] == "list" and listed["body"] == {"text": "Nossos produtos"}
    assert listed["action"] == {"button": "Ver produtos", "sections": [
        {"title": "Camisetas", "rows": [{"id": "p1", "title": "Básica", "description": "49 reais"}]},
        {"title": "Calças", "rows": [{"id": "p2", "title": "Jeans"}]}]}  # fmt: skip
    asked = question["interactive"]  # five choices: more than 3 buttons → a list of rows
    assert asked["type"] == "list" and asked["body"] == {"text": "Qual assunto?"}
    rows = asked["action"]["sections"][0]["rows"]
    assert [r["id"] for r in rows] == ["c1", "c2", "c3", "c4", "c5"]
    assert len(sandbox.list_sends()) >= 5
    kinds = [m.type for m in _db.session.scalars(sa.select(Message).where(
        Message.client_id == shop.tenant.id, Message.direction == "OUT").order_by(Message.id))]  # fmt: skip
    assert kinds[:5] == ["image", "document", "interactive", "interactive", "interactive"]
    shop.say(message={"type": "interactive", "interactive": {
        "type": "list_reply", "list_reply": {"id": "c4", "title": "Opção 4"}}})  # fmt: skip
    (run,) = shop.runs()
    assert run.status == "completed" and run.variables["assunto_id"] == "c4"
    assert shop.bot_texts()[-1] == "Você escolheu a quatro."


def test_unreachable_media_is_journaled_and_the_run_goes_on(shop, meta, files):
    shop.publish({"schema": 1, "start": "foto", "triggers": [{"kind": "keyword", "keywords": ["foto"]}],
                  "steps": {"foto": {"type": "send", "next": "fim", "message": {
                      "kind": "media", "media_type": "image", "url": f"{files.base}/sumiu.jpg"}},
                            "fim": _end("Segue o texto, então.")}})  # fmt: skip
    shop.say("foto")
    (run,) = shop.runs()
    assert run.status == "completed"
    row = [r for r in shop.journal(run.id) if r.step_id == "foto"][0]
    assert row.detail["send"] == "failed" and "404" in row.detail["error"]
    assert not [b for b in meta.bodies if b.get("type") == "image"]
    assert shop.bot_texts()[-1] == "Segue o texto, então."


def _campaign_message(shop, campaign: Campaign) -> Message:
    conv = shop.conversation
    msg = Message(client_id=shop.tenant.id, contact_id=conv.contact_id, conversation_id=conv.id,
                  number_id=conv.number_id, direction="OUT", author="CAMPAIGN", status="DELIVERED",
                  body="Promoção de maio!", type="template", campaign_id=campaign.id)  # fmt: skip
    _db.session.add(msg)
    _db.session.commit()
    return msg


def _flow_for(shop, trigger: dict, text: str, name: str):
    return shop.publish({"schema": 1, "start": "a", "triggers": [trigger], "steps": {"a": _end(text)}},
                        name=name)  # fmt: skip


def test_campaign_reply_starts_the_flow_of_that_campaign_only(shop):
    maio = Campaign(client_id=shop.tenant.id, name="Maio")
    junho = Campaign(client_id=shop.tenant.id, name="Junho")
    _db.session.add_all([maio, junho])
    _db.session.commit()
    flow_maio = _flow_for(
        shop, {"kind": "campaign_reply", "campaign_id": maio.id}, "Oferta de maio", "Maio"
    )
    flow_junho = _flow_for(shop, {"kind": "campaign_reply", "campaign_id": junho.id}, "Oferta de junho", "Junho")  # fmt: skip
    shop.say("oi")  # before any campaign: no flow
    assert shop.runs() == []
    _campaign_message(shop, junho)
    shop.say("Quero!")
    runs = shop.runs()
    assert [(r.flow_id, r.trigger, r.status) for r in runs] == [
        (flow_junho.id, "campaign_reply", "completed")
    ]
    assert shop.bot_texts()[-1] == "Oferta de junho"
    shop.say("obrigada")  # the last outbound is now the flow's own message: no campaign reply
    assert len(shop.runs()) == 1
    _campaign_message(shop, maio)
    shop.say("Tem tamanho G?")
    runs = shop.runs()
    assert [(r.flow_id, r.trigger) for r in runs][-1] == (flow_maio.id, "campaign_reply")
    assert len(runs) == 2


def test_campaign_reply_of_another_client_campaign_does_not_match(shop, create_client):
    other = create_client("Outra Loja")
    theirs = Campaign(client_id=other.id, name="Deles")
    ours = Campaign(client_id=shop.tenant.id, name="Nossa")
    _db.session.add_all([theirs, ours])
    _db.session.commit()
    _flow_for(shop, {"kind": "campaign_reply", "campaign_id": ours.id}, "Nossa oferta", "Nossa")
    shop.say("oi")
    _campaign_message(shop, theirs)  # (never happens for real; the trigger must not care)
    shop.say("Quero")
    assert shop.runs() == []


def _hours(shop, weekly: dict, *, team_id: int | None = None, off_hours: bool = False) -> None:
    _db.session.add(BusinessHours(client_id=shop.tenant.id, team_id=team_id, weekly=weekly, holidays=[],
                                  off_hours_enabled=off_hours,
                                  off_hours_message="Fechados. Voltamos {abertura}."))  # fmt: skip
    _db.session.commit()


def test_off_hours_starts_outside_the_hours_and_the_auto_reply_stays_quiet(shop):
    _hours(shop, {}, off_hours=True)  # no open interval: closed all week
    flow = _flow_for(
        shop, {"kind": "off_hours"}, "Estamos fora do horário, deixe seu recado.", "Plantão"
    )
    shop.say("boa noite")
    (run,) = shop.runs()
    assert (run.flow_id, run.trigger, run.status) == (flow.id, "off_hours", "completed")
    texts = [m.body for m in _db.session.scalars(sa.select(Message).where(
        Message.client_id == shop.tenant.id, Message.direction == "OUT").order_by(Message.id))]  # fmt: skip
    assert texts == ["Estamos fora do horário, deixe seu recado."]  # not the off-hours reply too


def test_off_hours_does_not_start_inside_the_hours(shop):
    _hours(shop, ALL_DAY)
    _flow_for(shop, {"kind": "off_hours"}, "Fora do horário", "Plantão")
    shop.say("bom dia")
    assert shop.runs() == []


def test_off_hours_follows_the_conversation_team_hours(shop):
    team = shop.team("Suporte")
    _hours(shop, {})  # the client: closed
    _hours(shop, ALL_DAY, team_id=team.id)  # its team: open
    _flow_for(shop, {"kind": "off_hours"}, "Fora do horário", "Plantão")
    shop.say("oi")
    first = shop.runs()
    assert len(first) == 1  # no team yet: the client's hours (closed)
    _db.session.execute(sa.update(Conversation).where(Conversation.id == shop.conversation.id)
                        .values(team_id=team.id))  # fmt: skip
    _db.session.commit()
    shop.say("alguém aí?")
    assert len(shop.runs()) == 1  # the team is open


def test_new_conversation_starts_once_and_keyword_then_wins(shop):
    welcome = _flow_for(shop, {"kind": "new_conversation"}, "Bem-vindo!", "Boas-vindas")
    _hours(shop, {})  # closed: an off-hours flow too, lower priority than new_conversation
    _flow_for(shop, {"kind": "off_hours"}, "Fora do horário", "Plantão")
    shop.say("olá")
    runs = shop.runs()
    assert [(r.flow_id, r.trigger) for r in runs] == [(welcome.id, "new_conversation")]
    shop.say("tudo bem?")  # same conversation cycle: not new → the off-hours flow
    runs = shop.runs()
    assert [r.trigger for r in runs] == ["new_conversation", "off_hours"]
    keyword = _flow_for(shop, {"kind": "keyword", "keywords": ["menu"]}, "Menu", "Menu")
    shop.say("menu")  # keyword beats off-hours
    assert (shop.runs()[-1].flow_id, shop.runs()[-1].trigger) == (keyword.id, "keyword")
