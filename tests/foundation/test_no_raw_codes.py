"""No stored code reaches a pt_BR page: statuses, Meta's reasons, quality, tier, kinds.

Each page is rendered with every value its list or badge can hold, and the visible text
(tags, attributes and scripts removed) must not hold the raw code as a word. Codes stay
in ``data-status`` attributes and in ``<option value>``, which the user never reads.
"""

from __future__ import annotations

import html as htmllib
import re

import pytest

from clickpro.extensions import db
from clickpro.js_catalog import js_catalog
from clickpro.labels import KINDS, known_meta_codes, label, meta_error
from clickpro.models import (
    Campaign,
    CampaignStatus,
    CredentialStatus,
    MessageStatus,
    TemplateStatus,
)
from clickpro.models.base import utcnow
from clickpro.services.accounts.notifications import notify


def visible_text(page: str) -> str:
    page = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page)
    page = re.sub(r"(?s)<[^>]*>", " ", page)
    return htmllib.unescape(page)


def raw_codes_in(page: str, codes) -> set[str]:
    text = visible_text(page)
    return {code for code in codes if re.search(rf"(?<![\w{{]){re.escape(code)}(?![\w}}])", text)}


@pytest.fixture
def shop(create_client, login_as):
    tenant = create_client("Loja Códigos")
    web = login_as(tenant.admin, tenant)
    return tenant, web


def test_every_stored_status_has_a_label():
    for enum, kind in ((CampaignStatus, "campaign"), (MessageStatus, "message"),
                       (TemplateStatus, "template"), (CredentialStatus, "credential")):  # fmt: skip
        missing = [value.value for value in enum if value.value not in KINDS[kind]]
        assert missing == [], f"{kind} statuses without a label: {missing}"


def test_campaign_pages_show_statuses_in_portuguese(shop, create_template):
    tenant, web = shop
    template = create_template(tenant)
    for status in CampaignStatus:
        db.session.add(Campaign(client_id=tenant.id, name=f"Camp {status.value.lower()}",
                                template_id=template.id, status=status.value))  # fmt: skip
    db.session.commit()
    page = web.get("/campaigns").get_data(as_text=True)
    assert raw_codes_in(page, [s.value for s in CampaignStatus]) == set()
    assert "Em envio" in page and "Concluída" in page and "Rascunho" in page
    for campaign in db.session.query(Campaign).all():
        detail = web.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
        assert raw_codes_in(detail, [s.value for s in CampaignStatus]) == set(), campaign.status
        assert label("campaign", campaign.status) in detail


def test_template_pages_show_status_reason_quality_in_portuguese(shop, create_template):
    tenant, web = shop
    templates = [
        create_template(tenant, name=f"modelo_{status.value.lower()}", status=status.value,
                        quality_score="YELLOW")
        for status in TemplateStatus
    ]  # fmt: skip
    rejected = next(t for t in templates if t.status == "REJECTED")
    rejected.rejected_reason = "TAG_CONTENT_MISMATCH"
    rejected.last_synced_at = utcnow()
    db.session.commit()
    codes = [s.value for s in TemplateStatus] + ["TAG_CONTENT_MISMATCH", "YELLOW", "pt_BR"]
    page = web.get("/templates").get_data(as_text=True)
    assert raw_codes_in(page, codes) == set()
    assert "Aprovado" in page and "Português (Brasil)" in page and "Média" in page
    assert "Ajuste a categoria ou o texto" in page  # the reason says what to change
    for template in templates:
        detail = web.get(f"/templates/{template.id}").get_data(as_text=True)
        assert raw_codes_in(detail, codes) == set(), template.status


def test_credential_quality_and_tier_in_portuguese(shop, create_whatsapp_credential):
    tenant, web = shop
    create_whatsapp_credential(tenant, quality_rating="GREEN", messaging_tier="TIER_10K")
    page = web.get("/credentials").get_data(as_text=True)
    assert raw_codes_in(page, ["VALID", "GREEN", "TIER_10K"]) == set()
    assert "Válida" in page and "Alta" in page and "10.000 clientes por dia" in page


def test_notification_kinds_in_portuguese(shop, app):
    tenant, web = shop
    kinds = list(KINDS["notification"])
    for n, kind in enumerate(kinds):
        notify(tenant.id, kind, f"Aviso número {n}")
    page = web.get("/notifications").get_data(as_text=True)
    assert raw_codes_in(page, kinds) == set()
    assert "Campanha pausada" in page and "Atendimento humano" in page


def test_contact_history_and_dashboard_statuses(shop, create_contact, create_message):
    tenant, web = shop
    contact = create_contact(tenant, name="Ana")
    outbound = [s.value for s in MessageStatus if s.value != "RECEIVED"]
    for status in outbound:
        create_message(tenant, contact, direction="OUT", author="AGENT", status=status)
    create_message(tenant, contact, direction="IN")
    codes = [s.value for s in MessageStatus] + ["AGENT", "CONTACT"]
    detail = web.get(f"/contacts/{contact.id}").get_data(as_text=True)
    assert raw_codes_in(detail, codes) == set()
    assert "Atendente" in detail and "Entregue" in detail
    db.session.add(Campaign(client_id=tenant.id, name="X", status="RUNNING"))
    db.session.commit()
    dashboard = web.get("/").get_data(as_text=True)
    assert raw_codes_in(dashboard, codes + ["RUNNING"]) == set()


def test_meta_errors_explained_in_portuguese_with_next_step(app):
    reference = [100, 130429, 131026, 131042, 131047, 131048, 131049, 131050, 131056,
                 132000, 132001, 132012, 132015, 132016, 133010, 190, 368]  # fmt: skip
    assert set(reference) <= set(known_meta_codes())
    with app.test_request_context("/"):
        error = meta_error(131049, "This message was not delivered to maintain healthy ecosystem")
        assert error.explanation.startswith("A Meta limitou")
        assert "24 horas" in error.next_step
        assert error.text.endswith(
            "(Meta: This message was not delivered to maintain healthy ecosystem)"
        )
        assert error.text.index("A Meta") < error.text.index("(Meta:")  # English only after
        unknown = meta_error(999999, "Weird")
        assert unknown.explanation and unknown.detail == "Weird"
        ours = meta_error(None, "Sem valor para a variável")
        assert ours.explanation == "Sem valor para a variável" and ours.detail == ""


def test_campaign_failure_table_and_status_labels_reach_the_script(app):
    with app.test_request_context("/"):
        catalog = js_catalog()
    assert catalog["label.campaign.RUNNING"] == "Em envio"
    assert catalog["label.message.SENDING"] == "Enviando"
    assert catalog["metaError.131026"].startswith("Não foi possível entregar")
    assert catalog["metaStep.131049"].startswith("Não é descadastro")


def test_campaign_progress_script_uses_labels():
    """The badge and failure table are rebuilt by JS every 1.5 s: they must use label()."""
    from pathlib import Path

    source = (Path(__file__).parents[2] / "clickpro/static/js/campaign_progress.js").read_text()
    assert 'label("campaign", data.status)' in source and "metaError(f.code, f.title)" in source
    assert "badge.textContent = data.status" not in source


def test_template_status_notification_reads_portuguese(shop, create_template):
    """The stored text of a template status change: status, language and Meta's reason
    in words, never "REJECTED", "pt_BR" or "TAG_CONTENT_MISMATCH"."""
    from clickpro.services.templates.status import apply_template_update

    tenant, web = shop
    create_template(tenant, name="promo", status="PENDING", meta_template_id="9001")
    assert apply_template_update(tenant.id, meta_template_id="9001", status="REJECTED",
                                 reason="TAG_CONTENT_MISMATCH")  # fmt: skip
    page = web.get("/notifications").get_data(as_text=True)
    assert raw_codes_in(page, ["REJECTED", "pt_BR", "TAG_CONTENT_MISMATCH"]) == set()
    assert "Português (Brasil)" in page and "Rejeitado" in page
    assert "Ajuste a categoria ou o texto" in page
