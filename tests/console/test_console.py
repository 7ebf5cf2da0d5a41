"""The agency console: figures on a seeded dataset, sorting/filter, links, roles, queries."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import (
    Message,
    OpenAICredential,
    Role,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from clickpro.models.base import utcnow
from clickpro.services.console import build_console

_seq = iter(range(1, 10_000))


def _event(client_id, *, dead: bool, processed: bool = False) -> WebhookEvent:
    body = f'{{"n": {next(_seq)}}}'
    return WebhookEvent(
        client_id=client_id,
        body=body,
        body_sha256=hashlib.sha256(body.encode()).hexdigest(),
        signature_ok=True,
        routed=client_id is not None,
        attempts=5 if dead else 1,
        dead_at=utcnow() if dead else None,
        processed_at=utcnow() if processed else None,
        error="boom" if dead else None,
    )


def _endpoint(tenant, *, failures=0) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(
        client_id=tenant.id, url="https://example.com/hook", events=[], secret_enc="x",
        failures=failures,
    )  # fmt: skip
    db.session.add(endpoint)
    db.session.flush()
    return endpoint


def _delivery(endpoint, status, *, age=timedelta(0)) -> WebhookDelivery:
    return WebhookDelivery(
        client_id=endpoint.client_id, endpoint_id=endpoint.id, event="message.received",
        body="{}", status=status, attempts=5, updated_at=utcnow() - age,
        created_at=utcnow() - age,
    )  # fmt: skip


@pytest.fixture
def world(create_client, create_whatsapp_credential, create_template, create_contact):
    """Alfa: a YELLOW number, templates paused/rejected, a failing endpoint, a dead
    letter, AI and WhatsApp spend. Beta: an INVALID number and OpenAI key. Gama: healthy."""
    alfa = create_client("Alfa")
    beta = create_client("Beta")
    gama = create_client("Gama")
    n_alfa = create_whatsapp_credential(
        alfa, quality_rating="YELLOW", messaging_tier="TIER_10K", display_name="Vendas"
    )
    invalid = create_whatsapp_credential(
        beta,
        {"access_token": "t", "waba_id": "200", "phone_number_id": "201"},
        quality_rating="GREEN",
        last_error="token expirado",
    )
    invalid.status = "INVALID"
    create_whatsapp_credential(
        gama, {"access_token": "t", "waba_id": "300", "phone_number_id": "301"},
        quality_rating="GREEN",
    )  # fmt: skip
    archived = create_whatsapp_credential(
        gama, {"access_token": "t", "waba_id": "300", "phone_number_id": "302"},
        quality_rating="RED",
    )  # fmt: skip
    archived.status = "INVALID"
    archived.archived_at = utcnow()  # a removed number is no problem any more
    db.session.add(
        OpenAICredential(client_id=beta.id, api_key_enc="x", status="INVALID", last_error="401")
    )
    create_template(alfa, "promo_pausada", status="PAUSED")
    create_template(alfa, "promo_rejeitada", status="REJECTED")
    create_template(alfa, "outra_rejeitada", status="REJECTED")
    create_template(gama, "boa", status="APPROVED")
    failing = _endpoint(alfa, failures=4)
    db.session.add_all(
        [
            _delivery(failing, "failed"),
            _delivery(failing, "failed"),
            _delivery(failing, "failed", age=timedelta(days=3)),  # too old to count
        ]
    )
    healthy = _endpoint(gama)
    db.session.add(_delivery(healthy, "succeeded"))
    old_failure = _endpoint(gama)  # failed 3 days ago and recovered since
    db.session.add(_delivery(old_failure, "failed", age=timedelta(days=3)))
    db.session.add_all(
        [
            _event(alfa.id, dead=True),
            _event(alfa.id, dead=True, processed=True),  # reprocessed: not open
            _event(gama.id, dead=False, processed=True),
            _event(None, dead=True),  # no client
        ]
    )
    contact = create_contact(alfa, phone="5511999990001")
    now = utcnow()
    last_month = now.replace(day=1) - timedelta(days=2)
    db.session.add_all(
        [
            Message(client_id=alfa.id, contact_id=contact.id, number_id=n_alfa.id,
                    direction="OUT", author="AI", status="SENT", body="a",
                    ai_usage={"cost": 0.5}),
            Message(client_id=alfa.id, contact_id=contact.id, number_id=n_alfa.id,
                    direction="OUT", author="AI", status="SENT", body="b",
                    ai_usage={"cost": 0.25}),
            Message(client_id=alfa.id, contact_id=contact.id, number_id=n_alfa.id,
                    direction="OUT", author="AI", status="SENT", body="c",
                    ai_usage={"cost": 9.0}, created_at=last_month),
            Message(client_id=alfa.id, contact_id=contact.id, number_id=n_alfa.id,
                    direction="OUT", author="AGENT", status="DELIVERED", body="d",
                    pricing_category="marketing", cost=Decimal("0.0625"),
                    cost_currency="BRL", delivered_at=now),
            Message(client_id=alfa.id, contact_id=contact.id, number_id=n_alfa.id,
                    direction="OUT", author="AGENT", status="READ", body="e",
                    pricing_category="marketing", cost=Decimal("0.0625"),
                    cost_currency="BRL", delivered_at=now),
            Message(client_id=alfa.id, contact_id=contact.id, number_id=n_alfa.id,
                    direction="OUT", author="AGENT", status="FAILED", body="f",
                    pricing_category="marketing", cost=Decimal("1"),
                    cost_currency="BRL", delivered_at=now),  # not charged
        ]
    )  # fmt: skip
    db.session.commit()
    return {"alfa": alfa, "beta": beta, "gama": gama, "n_alfa": n_alfa}


@pytest.fixture
def root(create_user, login_as):
    return login_as(create_user("root@example.com", is_super_admin=True))


def _by_name(console):
    return {row.name: row for row in console.clients}


def test_figures_against_the_seeded_dataset(world):
    console = build_console()
    rows = _by_name(console)
    alfa, beta, gama = rows["Alfa"], rows["Beta"], rows["Gama"]
    assert [(n.quality_rating, n.messaging_tier) for n in alfa.numbers] == [("YELLOW", "TIER_10K")]
    assert alfa.bad_quality == 1 and beta.bad_quality == 0
    assert alfa.templates == {"PAUSED": 1, "REJECTED": 2}
    assert alfa.failing_endpoints == 1 and alfa.failed_deliveries == 2
    assert alfa.dead_letters == 1
    assert alfa.ai_spend == Decimal("0.75")
    assert alfa.whatsapp_spend == {"BRL": Decimal("0.125")}
    assert alfa.failing_credentials == 0
    assert alfa.problems == 4  # quality, templates, webhooks, dead letters
    assert beta.failing_credentials == 2  # the number and the OpenAI key
    assert beta.problems == 1
    assert len(gama.numbers) == 1  # the archived one is left out
    assert gama.problems == 0 and gama.failing_endpoints == 0 and gama.dead_letters == 0
    assert console.unrouted_dead_letters == 1
    assert console.total_clients == 3 and console.with_problems == 2


def test_sort_and_only_problems(world):
    assert [r.name for r in build_console().clients] == ["Alfa", "Beta", "Gama"]  # problems ↓
    asc = build_console(sort="problems", direction="asc")
    assert [r.name for r in asc.clients] == ["Gama", "Beta", "Alfa"]
    by_credentials = build_console(sort="credentials")
    assert by_credentials.clients[0].name == "Beta"
    assert [r.name for r in build_console(sort="name", direction="desc").clients] == [
        "Gama", "Beta", "Alfa"
    ]  # fmt: skip
    only = build_console(only_problems=True)
    assert [r.name for r in only.clients] == ["Alfa", "Beta"]
    assert build_console(sort="nonsense").sort == "problems"


def test_page_shows_figures_and_filtered_links(world, root):
    response = root.get("/admin/console/?sort=name&dir=asc")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    alfa = world["alfa"]
    row = html[html.index(f'data-client="{alfa.id}"') :]
    row = row[: row.index("</tr>")]
    assert 'data-quality="YELLOW"' in row and 'data-tier="TIER_10K"' in row
    assert ">Média<" in row and "10.000/dia" in row  # words, not Meta's codes
    beta = html[html.index(f'data-client="{world["beta"].id}"') :]
    assert "credencial inválida" in beta[: beta.index("</tr>")]
    assert 'data-template-status="PAUSED"' in row
    links = re.findall(r'href="([^"]+)"', row)
    templates = [u for u in links if "/admin/template/" in u or "admin_templates" in u]
    assert templates, links
    # The link really filters the list to this client's paused templates.
    listing = root.get(templates[0].replace("&amp;", "&")).get_data(as_text=True)
    assert "promo_pausada" in listing and "promo_rejeitada" not in listing
    dead = next(u for u in links if "dead" in u)
    assert root.get(dead.replace("&amp;", "&")).status_code == 200
    deliveries = next(u for u in links if "webhookdelivery" in u or "deliver" in u)
    page = root.get(deliveries.replace("&amp;", "&")).get_data(as_text=True)
    assert page.count("failed") >= 3  # the client's three failed deliveries are listed
    assert "R$" in row  # WhatsApp spend in the client's currency
    # The filter of the page keeps only clients with problems.
    only = root.get("/admin/console/?problems=1").get_data(as_text=True)
    assert f'data-client="{world["gama"].id}"' not in only
    assert f'data-client="{world["beta"].id}"' in only


@pytest.mark.parametrize("role", [Role.CLIENT_ADMIN, Role.CLIENT_USER])
def test_members_of_a_client_get_404(world, create_member, login_as, role):
    member = create_member(world["alfa"], role=role)
    http = login_as(member, world["alfa"])
    assert http.get("/admin/console/").status_code == 404
    assert http.get("/admin/webhookdelivery/").status_code == 404


def test_anonymous_goes_to_login(client, world):
    response = client.get("/admin/console/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def _count_queries(fn) -> int:
    seen = []

    def before(conn, cursor, statement, *args):
        seen.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
    return len(seen)


def test_query_count_does_not_grow_with_clients(
    world, root, create_client, create_whatsapp_credential, create_template
):
    db.session.expire_all()
    few = _count_queries(lambda: root.get("/admin/console/"))
    for i in range(40):
        tenant = create_client(f"Extra {i:02d}")
        create_whatsapp_credential(
            tenant,
            {"access_token": "t", "waba_id": f"9{i}", "phone_number_id": f"9{i:03d}1"},
            quality_rating="RED",
        )
        create_template(tenant, f"t{i}", status="PAUSED")
        db.session.add(_event(tenant.id, dead=True))
    db.session.commit()
    db.session.expire_all()
    response = None

    def load():
        nonlocal response
        response = root.get("/admin/console/")

    many = _count_queries(load)
    assert response is not None and response.status_code == 200
    assert response.get_data(as_text=True).count("data-client=") == 43
    assert many == few, (few, many)
    assert many <= 20


def test_meta_codes_read_as_words(app):
    from clickpro.services.console import labels

    assert [labels.quality(c) for c in ("GREEN", "YELLOW", "RED", None, "UNKNOWN")] == [
        "Alta", "Média", "Baixa", "sem dado", "sem dado"
    ]  # fmt: skip
    assert labels.tier("TIER_2K") == "2.000/dia" and labels.tier("TIER_UNLIMITED") == "ilimitado"
    assert labels.tier("TIER_NOT_SET") == "—" and labels.tier("TIER_ODD") == "TIER_ODD"
    assert labels.credential("INVALID") == "credencial inválida"
