"""The demo seed of ``clickpro run``: logins, a shop client wired to the sandbox, data.

Runs only in embedded mode (the sandbox attached in-process) or with ``CLICKPRO_DEMO=1``.
Idempotent: every step first looks for what it would create, so a second run changes
nothing and returns the same logins. The sandbox lives in memory, so after a restart the
templates are re-created *in the sandbox* (not in the database) to keep sends working.
"""

from __future__ import annotations

import logging
import random
import struct
import time
import zlib
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from clickpro.extensions import db
from clickpro.integrations.meta import GraphError
from clickpro.models import Client, Contact, Role, TemplateStatus
from clickpro.services.accounts import service as accounts
from clickpro.services.contacts.lists import add_contacts, get_or_create_list
from clickpro.services.contacts.service import ContactError, create_contact
from clickpro.services.conversations import first_number
from clickpro.services.credentials import (
    CredentialError,
    NoCredentials,
    get_openai_credential,
    get_whatsapp_credential,
    save_openai_credentials,
    save_whatsapp_credentials,
    whatsapp_for,
)
from clickpro.services.templates.rules import ButtonDraft, TemplateDraft
from clickpro.services.templates.service import (
    HeaderFile,
    TemplateError,
    create_template,
    find_template,
    sync_templates,
)
from clickpro.services.webhook.inbound import ingest_messages

log = logging.getLogger(__name__)

PASSWORD = "clickpro-demo"
SUPER_EMAIL = "admin@clickpro.local"
ADMIN_EMAIL = "demo@clickpro.local"
AGENT_EMAIL = "agente@clickpro.local"
CLIENT_NAME = "Loja Demo"
LIST_NAME = "Clientes demo"
CONTACTS = 50
SANDBOX_ACCOUNT = {
    "access_token": "sandbox-token",
    "waba_id": "100000000000001",
    "phone_number_id": "100000000000011",
    "app_id": "100000000000021",
}
OPENAI_KEY = "sk-demo-clickpro"
PERSONA = (
    "Você é a Bia, atendente virtual da Loja Demo, uma loja de roupas e acessórios de "
    "São Paulo com entrega para todo o Brasil. Responda em português do Brasil, de forma "
    "curta, simpática e objetiva (no máximo 3 frases). Frete grátis acima de R$ 199; "
    "trocas em até 30 dias; pagamento no Pix, cartão em até 6x ou boleto. Não invente "
    "preços nem prazos que não conhece: nesses casos, ofereça chamar um atendente."
)
FIRST_NAMES = (
    "Ana", "Beatriz", "Camila", "Daniela", "Fernanda", "Gabriela", "Juliana", "Larissa",
    "Mariana", "Patrícia", "Renata", "Vanessa", "Bruno", "Carlos", "Diego", "Eduardo",
    "Felipe", "Gustavo", "João", "Lucas", "Marcelo", "Rafael", "Rodrigo", "Thiago",
)  # fmt: skip
LAST_NAMES = (
    "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira",
    "Lima", "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Barbosa",
)  # fmt: skip
CITIES = ("São Paulo", "Campinas", "Santos", "Guarulhos", "Osasco", "Sorocaba")


@dataclass(frozen=True)
class DemoInfo:
    email: str
    password: str
    super_email: str | None


def demo_enabled() -> bool:
    app = current_app
    return app.extensions.get("clickpro.sandbox") is not None or app.config["DEMO"]


def seed_demo() -> DemoInfo | None:
    """Create (once) the demo logins, client, credentials, templates and contacts."""
    if not demo_enabled():
        return None
    _ensure_user(SUPER_EMAIL, "Administrador", super_admin=True)
    client = _ensure_client()
    _ensure_member(client, AGENT_EMAIL, "Agente Demo", Role.CLIENT_USER)
    if _ensure_whatsapp(client):
        _ensure_templates(client)
    _ensure_openai(client)
    _ensure_teams(client)  # before any conversation, so the demo's are routed to Suporte
    _ensure_contacts(client)
    _ensure_username_customer(client)
    _ensure_campaign(client)  # h6: shows an estimate, then the actual cost as statuses arrive
    _ensure_flows(client)  # h3: the three ready-made chatbot flows, published and run once
    return DemoInfo(email=ADMIN_EMAIL, password=PASSWORD, super_email=SUPER_EMAIL)


# --------------------------------------------------------------------------- accounts


def _ensure_user(email: str, name: str, *, super_admin: bool = False):
    user = accounts.find_user(email)
    if user is None:
        user = accounts.create_user(email, PASSWORD, name=name, is_super_admin=super_admin)
    return user


def _ensure_client() -> Client:
    client = db.session.scalar(
        sa.select(Client).where(Client.slug == accounts.slugify(CLIENT_NAME))
    )
    if client is None:
        client, _created = accounts.create_client(CLIENT_NAME, ADMIN_EMAIL, PASSWORD)
    _ensure_member(client, ADMIN_EMAIL, "Demo", Role.CLIENT_ADMIN)
    return client


def _ensure_member(client: Client, email: str, name: str, role: str) -> None:
    user = _ensure_user(email, name)
    if accounts.membership_of(client.id, user.id) is None:
        accounts.add_member(client, email, role)


# --------------------------------------------------------------------------- teams


DEMO_WEEKLY = {
    "0": [["08:00", "12:00"], ["13:00", "18:00"]],
    "1": [["08:00", "12:00"], ["13:00", "18:00"]],
    "2": [["08:00", "12:00"], ["13:00", "18:00"]],
    "3": [["08:00", "12:00"], ["13:00", "18:00"]],
    "4": [["08:00", "12:00"], ["13:00", "17:00"]],
    "5": [["08:00", "12:00"]],
}


def _ensure_teams(client: Client) -> None:
    """ "Suporte" owns the demo number (new conversations land in its queue, with an SLA
    and the satisfaction survey), "Financeiro" takes transfers; the shop's hours with a
    lunch break. The off-hours reply is written but left off, so the demo's fake
    customers get the AI's answers at any hour."""
    from clickpro.models import Team
    from clickpro.services.teams import hours, teams

    if db.session.scalar(sa.select(Team.id).where(Team.client_id == client.id).limit(1)):
        return
    members = {m.user.email: m.user_id for m in client.members}
    number = first_number(client.id)
    teams.create_team(
        client.id,
        {
            "name": "Suporte",
            "number_id": number.id if number else None,
            "sla_first_response_minutes": 30,
            "sla_resolution_minutes": 480,
            "csat_enabled": True,
            "member_ids": list(members.values()),
        },
    )
    teams.create_team(
        client.id,
        {"name": "Financeiro", "member_ids": [members[e] for e in (AGENT_EMAIL,) if e in members]},
    )
    hours.save_hours(
        client.id,
        None,
        {
            "weekly": DEMO_WEEKLY,
            "holidays": ["2026-12-25", "2027-01-01"],
            "off_hours_enabled": False,
            "off_hours_message": "Olá! Nosso atendimento está fechado agora. Voltamos {abertura}.",
        },
    )


# --------------------------------------------------------------------------- credentials


def _ensure_whatsapp(client: Client) -> bool:
    """Connect the sandbox's default number (a real live validation); False on failure."""
    if get_whatsapp_credential(client.id) is not None:
        return True
    try:
        save_whatsapp_credentials(client, dict(SANDBOX_ACCOUNT))
    except CredentialError as exc:
        log.warning("demo: WhatsApp credentials not saved: %s", exc.message)
        return False
    return True


def _ensure_openai(client: Client) -> None:
    if get_openai_credential(client.id) is not None:
        return
    try:
        save_openai_credentials(
            client,
            {"api_key": OPENAI_KEY, "model": "gpt-4.1-mini", "instructions": PERSONA,
             "temperature": 0.4, "ai_enabled": True},
        )  # fmt: skip
    except CredentialError as exc:
        log.warning("demo: OpenAI credentials not saved: %s", exc.message)


# --------------------------------------------------------------------------- templates


def _drafts() -> list[TemplateDraft]:
    welcome = TemplateDraft(
        name="boas_vindas",
        category="MARKETING",
        body_text="Olá {{1}}, seja bem-vindo(a) à Loja Demo! Responda esta mensagem "
        "sempre que precisar de ajuda com seus pedidos.",
        body_examples=["Maria"],
        footer_text="Loja Demo",
    )
    promo = TemplateDraft(
        name="promo_black_friday",
        category="MARKETING",
        header_format="IMAGE",
        body_text="Oi {{1}}, a Black Friday da Loja Demo chegou: {{2}} de desconto em "
        "toda a loja, só até domingo!",
        body_examples=["Maria", "30%"],
        footer_text="Responda SAIR para não receber mais",
        buttons=[
            ButtonDraft(type="QUICK_REPLY", text="Parar promoções"),
            ButtonDraft(
                type="URL",
                text="Ver ofertas",
                url="https://loja-demo.example/ofertas/{{1}}",
                url_example="https://loja-demo.example/ofertas/bf",
            ),
        ],
    )
    return [welcome, promo]


def banner_png(width: int = 96, height: int = 48) -> bytes:
    """A small orange PNG (the promo's header image), built without an image library."""
    row = b"\x00" + bytes((245, 124, 0)) * width
    raw = zlib.compress(row * height)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def _sandbox_state():
    sandbox = current_app.extensions.get("clickpro.sandbox")
    return sandbox.extensions["sandbox"] if sandbox is not None else None


def _ensure_templates(client: Client) -> None:
    try:
        credential, graph = whatsapp_for(client.id)
    except NoCredentials:
        return
    for draft in _drafts():
        local = find_template(client.id, draft.name, draft.language)
        try:
            remote = graph.list_templates(credential.waba_id, name=draft.name)
            if local is None:
                header = (
                    HeaderFile("black-friday.png", banner_png())
                    if draft.header_format == "IMAGE"
                    else None
                )
                local = create_template(client, draft, header)
                remote_id = local.meta_template_id
            elif not remote:  # a restarted sandbox forgot it: submit it there again
                payload = {"name": local.name, "language": local.language,
                           "category": local.category, "components": local.components}  # fmt: skip
                remote_id = graph.create_template(credential.waba_id, payload).get("id")
            else:
                remote_id = remote[0].get("id")
            _approve(graph, credential.waba_id, draft.name, str(remote_id))
        except (GraphError, TemplateError) as exc:
            log.warning("demo: template %s not created: %s", draft.name, exc)
    local_rows = [find_template(client.id, d.name, d.language) for d in _drafts()]
    if any(t is not None and t.status != TemplateStatus.APPROVED for t in local_rows):
        sync_templates(client.id)


def _approve(graph, waba_id: str, name: str, remote_id: str, wait_s: float = 10.0) -> None:
    """Approve at once through the in-process sandbox, else wait for its own review."""
    state = _sandbox_state()
    if state is not None:
        template = state.templates.find(waba_id, name, "pt_BR")
        if template is not None and template["status"] != "APPROVED":
            state.templates.set_status(remote_id, "APPROVED")
        return
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        rows = graph.list_templates(waba_id, name=name)
        if rows and rows[0].get("status") != "PENDING":
            return
        time.sleep(0.25)


# --------------------------------------------------------------------------- contacts


def demo_people(count: int = CONTACTS) -> list[tuple[str, str, str]]:
    """(name, +55 11 9xxxx-xxxx, city), always the same list."""
    rng = random.Random(2026)
    people: list[tuple[str, str, str]] = []
    phones: set[str] = set()
    while len(people) < count:
        phone = f"+55119{rng.randint(6, 9)}{rng.randint(0, 9_999_999):07d}"
        if phone in phones:
            continue
        phones.add(phone)
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        people.append((name, phone, rng.choice(CITIES)))
    return people


def _ensure_contacts(client: Client) -> None:
    contact_list = get_or_create_list(client.id, LIST_NAME)
    existing = dict(
        db.session.execute(
            sa.select(Contact.phone_e164, Contact.id).where(Contact.client_id == client.id)
        ).all()
    )
    ids = []
    for name, phone, city in demo_people():
        if phone in existing:
            ids.append(existing[phone])
            continue
        try:
            ids.append(create_contact(client.id, phone, name, {"cidade": city}).id)
        except ContactError as exc:
            log.warning("demo: contact %s skipped: %s", phone, exc)
    add_contacts(contact_list, ids)


# A WhatsApp username user (issue #16): Meta gives us no phone, only the BSUID.
USERNAME_CUSTOMER = {
    "bsuid": "BR.1502576394655843",
    "username": "lojadamaria",
    "name": "Maria da Loja",
    "wamid": "wamid.DEMO-LOJADAMARIA-0001",
    "text": "Oi! Vi o vestido azul no Instagram, ainda tem no tamanho M?",
}


def _ensure_username_customer(client: Client) -> None:
    """One customer who wrote with a username only (no phone): a conversation in the
    inbox showing ``@lojadamaria``. Stored through the inbound path itself (the same
    webhook value Meta sends), once: the fixed wamid makes a second run a no-op."""
    number = first_number(client.id)
    if number is None:
        return
    who = USERNAME_CUSTOMER
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"phone_number_id": number.phone_number_id},
        "contacts": [
            {"profile": {"name": who["name"], "username": who["username"]}, "user_id": who["bsuid"]}
        ],
        "messages": [
            {"from_user_id": who["bsuid"], "id": who["wamid"], "timestamp": str(int(time.time())),
             "type": "text", "text": {"body": who["text"]}}
        ],
    }  # fmt: skip
    try:
        ingest_messages(client.id, value)
        db.session.commit()
    except Exception as exc:  # the demo must start even without it
        db.session.rollback()
        log.warning("demo: username customer not created: %s", exc)


# --------------------------------------------------------------------------- flows


def _ensure_flows(client: Client) -> None:
    from clickpro.services.flows.demo_seed import seed_demo_flows

    try:
        seed_demo_flows(client.id, demo_people)
    except Exception as exc:  # the demo must start even without its flows
        db.session.rollback()
        log.warning("demo: flows not created: %s", exc)


# --------------------------------------------------------------------------- campaign
DEMO_CAMPAIGN = "Boas-vindas (demo)"


def _ensure_campaign(client: Client) -> None:
    """One welcome campaign to the demo list, started once: its page shows the estimate
    (template category × the list's markets × the rate card) and, as the sandbox's status
    webhooks (with ``pricing``) come back, the actual cost."""
    from clickpro.models import Campaign, ContactList
    from clickpro.services.campaigns import service as campaigns
    from clickpro.services.costs.estimate import estimate_campaign

    if db.session.scalar(
        sa.select(Campaign.id).where(
            Campaign.client_id == client.id, Campaign.name == DEMO_CAMPAIGN
        )
    ):
        return
    template = find_template(client.id, "boas_vindas", "pt_BR")
    demo_list = db.session.scalar(
        sa.select(ContactList).where(
            ContactList.client_id == client.id, ContactList.name == LIST_NAME
        )
    )
    if template is None or template.status != TemplateStatus.APPROVED or demo_list is None:
        return
    try:
        campaign = campaigns.save_campaign(
            client.id,
            {"name": DEMO_CAMPAIGN, "template_id": template.id, "list_ids": [demo_list.id],
             "variables": {"body": ["{{contact.name}}"]}, "rate_mps": 20},
        )  # fmt: skip
        campaign = campaigns.start_campaign(client.id, campaign.id)
        estimate_campaign(campaign)
    except Exception as exc:  # the demo must start even if the campaign cannot
        db.session.rollback()
        log.warning("demo: campaign not started: %s", exc)
