"""Condition, set, HTTP and media steps on live conversations (sandbox WhatsApp, real
PostgreSQL): each condition source routes to its exit and to ``else``; a set step's labels,
attributes and variables land on the contact; the HTTP step's timeout and private-address
refusal; the media step uploads under the type the URL served."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from runtime_spies import Files, spy_on

from clickpro.extensions import db as _db
from clickpro.models import BusinessHours, Contact, ContactLabel, Conversation, Label, Message
from clickpro.services.flows import engine
from clickpro.services.flows.steps import http as http_step

WEEKDAYS_LUNCH = {str(d): [["08:00", "12:00"], ["13:00", "18:00"]] for d in range(5)}
ALL_DAY = {str(d): [["00:00", "24:00"]] for d in range(7)}
# Instants in America/Sao_Paulo (UTC-3, no DST): Wednesday 2 Dec 2026 and Christmas (a Friday).
WED_10H = datetime(2026, 12, 2, 13, 0, tzinfo=UTC)  # 10:00 local: open
WED_12H30 = datetime(2026, 12, 2, 15, 30, tzinfo=UTC)  # 12:30 local: lunch break
WED_19H = datetime(2026, 12, 2, 22, 0, tzinfo=UTC)  # 19:00 local: after hours
XMAS_10H = datetime(2026, 12, 25, 13, 0, tzinfo=UTC)  # 10:00 local on a holiday
SAT_10H = datetime(2026, 12, 5, 13, 0, tzinfo=UTC)  # 10:00 local on a Saturday


def _end(text: str) -> dict:
    return {"type": "end", "message": {"kind": "text", "text": text}}


def _condition_flow(
    shop, rules: list[tuple[dict, str]], *, before: dict | None = None, keyword: str = "teste"
):
    """Keyword "teste" → [before steps] → condition (rule i → end "rota i", else → "senão")."""
    steps = dict(before or {})
    steps["decide"] = {
        "type": "condition",
        "rules": [{"if": cond, "next": f"r{i}"} for i, (cond, _) in enumerate(rules)],
        "else": "senao",
    }
    for i, (_, text) in enumerate(rules):
        steps[f"r{i}"] = _end(text)
    steps["senao"] = _end("senão")
    start = next(iter(before)) if before else "decide"
    return shop.publish({"schema": 1, "start": start, "steps": steps,
                         "triggers": [{"kind": "keyword", "keywords": [keyword]}]}, name=keyword)  # fmt: skip


def _route(shop, *answers: str, keyword: str = "teste") -> str:
    """Start the flow, answer its questions, and return the exit it ended at (its text)."""
    shop.say(keyword)
    for answer in answers:
        shop.say(answer)
    run = shop.runs()[-1]
    assert run.status == "completed", (run.status, run.end_reason)
    decide = [r for r in shop.journal(run.id) if r.step_id == "decide"]
    assert len(decide) == 1 and decide[0].outcome == "matched"
    return shop.bot_texts()[-1]


@pytest.fixture
def sao_paulo(shop):
    shop.tenant.timezone = "America/Sao_Paulo"
    _db.session.commit()
    return shop


def _at(monkeypatch, instant: datetime) -> None:
    monkeypatch.setattr(engine, "clock", lambda: instant)


def test_condition_on_a_variable_text_and_number(shop):
    ask = {"type": "ask", "message": {"kind": "text", "text": "Qual o plano?"}, "save_as": "plano",
           "next": "decide"}  # fmt: skip
    _condition_flow(shop, [({"source": "var", "name": "plano", "op": "eq", "value": "ouro"}, "plano ouro"),
                           ({"source": "var", "name": "plano", "op": "gte", "value": "100"}, "cem ou mais")],
                    before={"pergunta": ask})  # fmt: skip
    assert _route(shop, "OURO") == "plano ouro"  # folded: case does not matter
    assert _route(shop, "150") == "cem ou mais"
    assert _route(shop, "99,5") == "senão"  # a number below the bound
    assert _route(shop, "prata") == "senão"  # not a number: gte is false
    run = shop.runs()[0]
    assert [r.detail["result"]["rule"] for r in shop.journal(run.id) if r.step_id == "decide"] == [
        0
    ]


def test_condition_on_a_contact_field_and_attribute(shop):
    _condition_flow(shop, [({"source": "contact", "field": "attr:cidade", "op": "eq", "value": "Recife"}, "de Recife"),
                           ({"source": "contact", "field": "name", "op": "contains", "value": "maria"}, "é Maria")])  # fmt: skip
    assert _route(shop) == "é Maria"  # the webhook's profile name "Maria Cliente"
    contact = _db.session.get(Contact, shop.conversation.contact_id)
    contact.attributes = {"cidade": "recife"}
    _db.session.commit()
    assert _route(shop) == "de Recife"
    contact = _db.session.get(Contact, shop.conversation.contact_id)
    contact.attributes, contact.name = {"cidade": "Natal"}, "João"
    _db.session.commit()
    assert _route(shop) == "senão"


def test_condition_on_a_label(shop):
    vip = Label(client_id=shop.tenant.id, name="VIP")
    _db.session.add(vip)
    _db.session.commit()
    _condition_flow(shop, [({"source": "label", "op": "has", "value": vip.id}, "cliente VIP")])
    assert _route(shop) == "senão"
    _db.session.add(ContactLabel(contact_id=shop.conversation.contact_id, label_id=vip.id))
    _db.session.commit()
    assert _route(shop) == "cliente VIP"


def test_condition_on_the_number(shop, create_whatsapp_credential):
    elsewhere = create_whatsapp_credential(shop.tenant, {  # a second number of the shop
        "access_token": "sandbox-token", "waba_id": "100000000000001",
        "phone_number_id": "100000000000098", "app_id": "100000000000021"}).id  # fmt: skip
    _condition_flow(shop, [({"source": "number", "op": "eq", "value": elsewhere}, "outro número"),
                           ({"source": "number", "op": "eq", "value": shop.number.id}, "número da loja")])  # fmt: skip
    assert _route(shop) == "número da loja"
    _condition_flow(shop, [({"source": "number", "op": "eq", "value": elsewhere}, "outro número")],
                    keyword="numero")  # fmt: skip
    assert _route(shop, keyword="numero") == "senão"


def test_condition_on_business_hours_lunch_break_holiday_and_team(sao_paulo, monkeypatch):
    shop = sao_paulo
    _db.session.add(BusinessHours(client_id=shop.tenant.id, weekly=WEEKDAYS_LUNCH,
                                  holidays=["2026-12-25"]))  # fmt: skip
    team = shop.team("Plantão")
    _db.session.add(BusinessHours(client_id=shop.tenant.id, team_id=team.id, weekly=ALL_DAY,
                                  holidays=[]))  # fmt: skip
    _db.session.commit()
    _condition_flow(shop, [({"source": "business_hours", "op": "closed"}, "fechado")])  # else: open
    _at(monkeypatch, WED_10H)
    assert _route(shop) == "senão"  # open
    for instant in (WED_12H30, WED_19H, XMAS_10H):  # lunch break, after hours, holiday
        _at(monkeypatch, instant)
        assert _route(shop) == "fechado", instant
    # the conversation's team has its own hours (open all day): they win over the client's
    _db.session.execute(sa.update(Conversation).where(Conversation.id == shop.conversation.id)
                        .values(team_id=team.id))  # fmt: skip
    _db.session.commit()
    _at(monkeypatch, WED_12H30)
    assert _route(shop) == "senão"


def test_condition_on_an_explicit_team_open(sao_paulo, monkeypatch):
    shop = sao_paulo
    team = shop.team("Financeiro")
    _db.session.add(BusinessHours(client_id=shop.tenant.id, team_id=team.id, weekly=WEEKDAYS_LUNCH,
                                  holidays=["2026-12-25"]))  # fmt: skip
    _db.session.commit()  # the client has no hours row: always open; the team's apply
    _condition_flow(shop, [({"source": "business_hours", "op": "open", "team_id": team.id}, "financeiro aberto")])  # fmt: skip
    _at(monkeypatch, WED_10H)
    assert _route(shop) == "financeiro aberto"
    _at(monkeypatch, WED_12H30)
    assert _route(shop) == "senão"
    _at(monkeypatch, XMAS_10H)
    assert _route(shop) == "senão"


def test_condition_on_a_time_window_and_weekdays(sao_paulo, monkeypatch):
    shop = sao_paulo
    _condition_flow(shop, [({"source": "time", "op": "between", "from": "08:00", "to": "12:00",
                             "weekdays": [0, 1, 2, 3, 4]}, "manhã útil")])  # fmt: skip
    _at(monkeypatch, WED_10H)
    assert _route(shop) == "manhã útil"
    _at(monkeypatch, WED_12H30)  # past the window's end (local time, not UTC 15:30)
    assert _route(shop) == "senão"
    _at(monkeypatch, SAT_10H)  # inside the hours, but not a listed weekday
    assert _route(shop) == "senão"


def test_set_step_labels_attributes_and_variables_on_the_live_contact(shop, create_client):
    vip, novo = (
        Label(client_id=shop.tenant.id, name="VIP"),
        Label(client_id=shop.tenant.id, name="Novo"),
    )
    other = create_client("Outra Loja")
    theirs = Label(client_id=other.id, name="Deles")
    _db.session.add_all([vip, novo, theirs])
    _db.session.commit()
    shop.say("oi")  # the contact exists, labelled "Novo"
    contact_id = shop.conversation.contact_id
    _db.session.add(ContactLabel(contact_id=contact_id, label_id=novo.id))
    _db.session.commit()
    shop.publish({"schema": 1, "start": "cidade", "triggers": [{"kind": "keyword", "keywords": ["cadastro"]}],
                  "steps": {
        "cidade": {"type": "ask", "message": {"kind": "text", "text": "Sua cidade?"}, "save_as": "cidade",
                   "next": "marca"},
        "marca": {"type": "set", "add_labels": [vip.id, theirs.id], "remove_labels": [novo.id],
                  "attributes": {"cidade": "{{cidade}}", "origem": "fluxo"},
                  "variables": {"saudacao": "Bem-vinda, cliente de {{cidade}}"}, "next": "ola"},
        "ola": {"type": "send", "message": {"kind": "text", "text": "{{saudacao}}!"}, "next": "decide"},
        "decide": {"type": "condition", "else": "sem",
                   "rules": [{"if": {"source": "label", "op": "has", "value": vip.id}, "next": "com"}]},
        "com": _end("Etiqueta VIP aplicada."),
        "sem": _end("Sem etiqueta."),
    }})  # fmt: skip
    shop.say("cadastro")
    shop.say("Recife")
    (run,) = shop.runs()
    assert run.status == "completed", run.end_reason
    assert run.variables["saudacao"] == "Bem-vinda, cliente de Recife"
    assert shop.bot_texts()[-2:] == ["Bem-vinda, cliente de Recife!", "Etiqueta VIP aplicada."]
    _db.session.expire_all()
    contact = _db.session.get(Contact, contact_id)
    assert contact.attributes == {"cidade": "Recife", "origem": "fluxo"}
    labels = set(
        _db.session.scalars(
            sa.select(ContactLabel.label_id).where(ContactLabel.contact_id == contact_id)
        )
    )
    assert labels == {vip.id}  # "Novo" removed, another client's label never applied  # fmt: skip


def _http_flow(shop, url: str, *, timeout_s: int = 1, before: dict | None = None):
    steps = dict(before or {})
    steps.update({
        "consulta": {"type": "http", "url": url, "method": "POST", "timeout_s": timeout_s,
                     "map": {"status_pedido": "pedido.status"}, "next": "ok", "on_error": "erro"},
        "ok": _end("Pedido {{status_pedido}}."),
        "erro": _end("Não consegui consultar agora."),
    })  # fmt: skip
    start = next(iter(before)) if before else "consulta"
    return shop.publish({"schema": 1, "start": start, "steps": steps,
                         "triggers": [{"kind": "keyword", "keywords": ["pedido"]}]})  # fmt: skip


def _http_row(shop):
    (run,) = shop.runs()
    assert run.status == "completed", run.end_reason
    (row,) = [r for r in shop.journal(run.id) if r.step_id == "consulta"]
    return run, row


def test_http_slower_than_its_timeout_takes_on_error_in_about_the_timeout(
    shop, endpoint, monkeypatch
):
    endpoint.delay_s = 4.0
    _http_flow(shop, endpoint.url, timeout_s=1)
    real, calls = http_step.call, []

    def timed(*args, **kwargs):
        started = time.monotonic()
        try:
            return real(*args, **kwargs)
        finally:
            calls.append(time.monotonic() - started)

    monkeypatch.setattr(http_step, "call", timed)
    shop.say("pedido")
    run, row = _http_row(shop)
    assert len(endpoint.bodies) == 1  # the request went out, the answer came too late
    (elapsed,) = calls
    assert 0.9 < elapsed < 2.5, elapsed  # the 1 s timeout, never the endpoint's 4 s delay
    assert row.outcome == "http_error" and row.detail["result"]["error"] == "timeout"
    assert row.detail["result"]["reason"] == "Sem resposta em 1 s."
    assert shop.bot_texts()[-1] == "Não consegui consultar agora."
    assert "status_pedido" not in run.variables
    endpoint.delay_s = 0.0


def test_http_to_a_private_address_is_refused_before_connecting(shop, endpoint, app):
    app.config["OUTBOUND_WEBHOOK_ALLOW_PRIVATE"] = False  # production: private networks refused
    # a template URL is judged at run time (a literal one is already refused on publish)
    _http_flow(shop, "{{destino}}", before={
        "alvo": {"type": "set", "variables": {"destino": endpoint.url}, "next": "consulta"}})  # fmt: skip
    shop.say("pedido")
    run, row = _http_row(shop)
    assert endpoint.bodies == []  # the local server never saw a request
    assert row.outcome == "http_error" and row.detail["result"]["error"] == "refused"
    assert (
        row.detail["result"]["reason"] == "Endereço recusado: a URL aponta para uma rede interna."
    )
    assert shop.bot_texts()[-1] == "Não consegui consultar agora."


def test_http_to_localhost_name_is_refused_too(shop, endpoint, app):
    app.config["OUTBOUND_WEBHOOK_ALLOW_PRIVATE"] = False
    port = endpoint.url.split(":")[2].split("/")[0]
    _http_flow(shop, "{{destino}}", before={
        "alvo": {"type": "set", "variables": {"destino": f"http://localhost:{port}/pedido"},
                 "next": "consulta"}})  # fmt: skip
    shop.say("pedido")
    _, row = _http_row(shop)
    assert endpoint.bodies == [] and row.detail["result"]["error"] == "refused"


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"logo" * 50
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document>Contrato</w:document>")
    return buffer.getvalue()


@pytest.fixture
def meta(app, shop):
    return spy_on(app, "META_HTTP_TRANSPORT", "clickpro.meta_http", ("/messages",))


@pytest.fixture
def typed_files(app):
    app.config["OUTBOUND_WEBHOOK_ALLOW_PRIVATE"] = True
    docx = _docx()
    server = Files(
        {"logo.png": PNG, "contrato.docx": docx, "foto.jpg": b"<html>erro</html>", "bin": PNG},
        types={"logo.png": "image/png", "contrato.docx": DOCX_TYPE,
               "foto.jpg": "text/html; charset=utf-8", "bin": "application/octet-stream"},
    )  # fmt: skip
    server.docx = docx  # type: ignore[attr-defined]
    yield server
    server.close()


def _media(url: str, media_type: str, nxt: str, **extra) -> dict:
    return {"type": "send", "next": nxt,
            "message": {"kind": "media", "media_type": media_type, "url": url, **extra}}  # fmt: skip


def test_media_uploads_under_the_served_type_and_refuses_a_mismatch(
    shop, meta, typed_files, sandbox
):
    base = typed_files.base
    shop.publish({"schema": 1, "start": "png", "triggers": [{"kind": "keyword", "keywords": ["arquivos"]}],
                  "steps": {
        "png": _media(f"{base}/logo.png", "image", "docx", caption="Logo"),
        "docx": _media(f"{base}/contrato.docx", "document", "html", filename="contrato.docx"),
        "html": _media(f"{base}/foto.jpg", "image", "octet"),  # an error page behind a .jpg
        "octet": _media(f"{base}/bin", "image", "fim"),  # no useful type: the bytes tell
        "fim": _end("Enviados."),
    }})  # fmt: skip
    shop.say("arquivos")
    (run,) = shop.runs()
    assert run.status == "completed", run.end_reason
    sent = [b for b in meta.bodies if b.get("type") in ("image", "document")]
    assert [b["type"] for b in sent] == ["image", "document", "image"]
    png, docx, octet = (sandbox.media[b[b["type"]]["id"]] for b in sent)
    assert (png["content"], png["mime_type"]) == (PNG, "image/png")
    assert (docx["content"], docx["mime_type"]) == (typed_files.docx, DOCX_TYPE)
    assert octet["mime_type"] == "image/png"
    assert sent[1]["document"]["filename"] == "contrato.docx"
    journal = {r.step_id: r for r in shop.journal(run.id)}
    refused = journal["html"].detail
    assert refused["send"] == "failed"
    assert refused["error"] == ("A mídia veio como “text/html”, que o WhatsApp não aceita como imagem "
                                "(aceitos: image/jpeg, image/png).")  # fmt: skip
    assert journal["png"].detail["send"] == "sent" and journal["docx"].detail["send"] == "sent"
    assert typed_files.paths == ["logo.png", "contrato.docx", "foto.jpg", "bin"]
    kinds = [m.type for m in _db.session.scalars(sa.select(Message).where(
        Message.client_id == shop.tenant.id, Message.direction == "OUT").order_by(Message.id))]  # fmt: skip
    assert kinds.count("image") == 2 and kinds.count("document") == 1


def test_media_type_rules(app):
    from clickpro.services.flows.steps.outbox import accepted_mimes, media_mime
    from clickpro.services.inbox.media import MediaRefused

    assert accepted_mimes("image") == ["image/jpeg", "image/png"]
    assert DOCX_TYPE in accepted_mimes("document") and "application/pdf" in accepted_mimes(
        "document"
    )
    assert media_mime("image", "IMAGE/JPG", b"") == "image/jpeg"  # an alias, case folded
    assert media_mime("audio", "audio/ogg; codecs=opus", b"OggS") == "audio/ogg"
    assert media_mime("document", "", b"%PDF-1.4") == "application/pdf"  # no header: sniffed
    with pytest.raises(MediaRefused):
        media_mime("video", "image/png", PNG)  # an accepted type, but not for this kind
    with pytest.raises(MediaRefused):
        media_mime("image", "", b"GIF89a....")  # sniffed, but WhatsApp takes no GIF image
