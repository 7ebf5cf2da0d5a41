"""Every text a person types has a server-side limit that fits its column, with a clear
error: the walk over every form class and every JSON input model fails when a string
field has no limit (or one above its column); the behaviour tests send the long values
the first day's agency sent (a 3,000-character campaign name, a 20,000-character
attribute) and expect a refusal that says the rule, never a silent cut or a 500."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_wtf import FlaskForm
from pydantic import BaseModel
from wtforms import StringField
from wtforms.validators import EqualTo, Length

from clickpro.blueprints.limits import ColumnLength
from clickpro.models import (
    ApiToken,
    Campaign,
    Contact,
    ContactList,
    Label,
    OpenAICredential,
    OptOut,
    QuickReply,
    Template,
    User,
    WebhookEndpoint,
    WhatsAppCredential,
)
from clickpro.services.accounts.validation import column_length
from clickpro.services.api.tokens import create_token


def _subclasses(cls: type) -> set[type]:
    found: set[type] = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def _app_forms() -> list[type]:
    return sorted(
        (f for f in _subclasses(FlaskForm) if f.__module__.startswith("clickpro.")),
        key=lambda f: (f.__module__, f.__qualname__),
    )


def _input_models() -> list[type[BaseModel]]:
    from clickpro.blueprints.api.schemas import Strict

    return sorted(
        (m for m in _subclasses(Strict) if m.__module__.startswith("clickpro.")),
        key=lambda m: (m.__module__, m.__qualname__),
    )


def _max_of(field) -> int | None:
    highs = [v.max for v in field.validators if isinstance(v, Length) and v.max and v.max > 0]
    return min(highs) if highs else None


# (form or model, field) -> the column it is stored in: its limit may not exceed it.
FORM_COLUMNS = {
    ("TokenForm", "name"): ApiToken.name,
    ("WebhookForm", "url"): WebhookEndpoint.url,
    ("WebhookForm", "description"): WebhookEndpoint.description,
    ("LoginForm", "email"): User.email,
    ("ContactForm", "name"): Contact.name,
    ("ListForm", "name"): ContactList.name,
    ("OptOutForm", "reason"): OptOut.reason,
    ("UploadForm", "list_name"): ContactList.name,
    ("WhatsAppForm", "waba_id"): WhatsAppCredential.waba_id,
    ("WhatsAppForm", "phone_number_id"): WhatsAppCredential.phone_number_id,
    ("WhatsAppForm", "app_id"): WhatsAppCredential.app_id,
    ("OpenAIForm", "model"): OpenAICredential.model,
    ("QuickReplyForm", "shortcut"): QuickReply.shortcut,
}
MODEL_COLUMNS = {
    ("ContactIn", "name"): Contact.name,
    ("ContactPatch", "name"): Contact.name,
    ("ListIn", "name"): ContactList.name,
    ("ListIn", "description"): ContactList.description,
    ("ListPatch", "name"): ContactList.name,
    ("ListPatch", "description"): ContactList.description,
    ("OptOutIn", "reason"): OptOut.reason,
    ("TemplateIn", "name"): Template.name,
    ("TemplateIn", "language"): Template.language,
    ("CampaignIn", "name"): Campaign.name,
    ("SendMessageIn", "name"): Contact.name,
    ("WebhookIn", "url"): WebhookEndpoint.url,
    ("WebhookIn", "description"): WebhookEndpoint.description,
    ("WebhookPatch", "url"): WebhookEndpoint.url,
    ("WebhookPatch", "description"): WebhookEndpoint.description,
    ("WhatsAppCredentialsIn", "waba_id"): WhatsAppCredential.waba_id,
    ("WhatsAppCredentialsIn", "phone_number_id"): WhatsAppCredential.phone_number_id,
    ("WhatsAppCredentialsIn", "app_id"): WhatsAppCredential.app_id,
    ("OpenAICredentialsIn", "model"): OpenAICredential.model,
    ("LabelIn", "name"): Label.name,
    ("LabelIn", "color"): Label.color,
}


def test_every_form_text_field_has_a_limit_within_its_column(app):
    forms = _app_forms()
    assert len(forms) >= 15  # the walk really found the app's forms
    seen, missing, too_big = set(), [], []
    with app.test_request_context():
        for form_class in forms:
            form = form_class(meta={"csrf": False})
            for field in form:
                if not isinstance(field, StringField):  # Email/URL/Password/TextArea too
                    continue
                where = (form_class.__name__, field.name)
                high = _max_of(field)
                twin = next((v for v in field.validators if isinstance(v, EqualTo)), None)
                if high is None and twin is not None:  # "repeat the password": the twin's
                    high = _max_of(form[twin.fieldname])
                if high is None:
                    missing.append(where)
                    continue
                for v in field.validators:
                    if isinstance(v, ColumnLength) and v.max != column_length(v.column):
                        too_big.append((where, v.max))
                if where in FORM_COLUMNS:
                    seen.add(where)
                    if high > column_length(FORM_COLUMNS[where]):
                        too_big.append((where, high))
    assert missing == [], f"text fields without a Length(max=…): {missing}"
    assert too_big == [], f"limits above their column: {too_big}"
    assert seen == set(FORM_COLUMNS), f"fields not found: {set(FORM_COLUMNS) - seen}"


_BOUNDED_PATTERN = re.compile(r"[*+]|\{\d+,\}")


def _unbounded_strings(schema: dict, path: str, defs: dict) -> list[str]:
    """Paths of string nodes without maxLength (enum/const, a date-time or a fixed-length
    anchored pattern are bounded already)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return _unbounded_strings(defs[name], path, defs) if name in defs else []
    found: list[str] = []
    if schema.get("type") == "string":
        pattern = schema.get("pattern", "")
        fixed = pattern.startswith("^") and pattern.endswith("$")
        fixed = fixed and not _BOUNDED_PATTERN.search(pattern)
        bounded = (
            "maxLength" in schema
            or "enum" in schema
            or "const" in schema
            or schema.get("format") in ("date-time", "date")
            or fixed
        )
        if not bounded:
            found.append(path)
    for key in ("anyOf", "oneOf", "allOf"):
        for i, sub in enumerate(schema.get(key, [])):
            found += _unbounded_strings(sub, f"{path}|{i}", defs)
    if isinstance(schema.get("items"), dict):
        found += _unbounded_strings(schema["items"], f"{path}[]", defs)
    if isinstance(schema.get("additionalProperties"), dict):
        found += _unbounded_strings(schema["additionalProperties"], f"{path}{{}}", defs)
    for name, sub in (schema.get("properties") or {}).items():
        found += _unbounded_strings(sub, f"{path}.{name}", defs)
    return found


def test_every_input_model_string_has_a_limit_within_its_column(app):
    models = _input_models()
    names = {m.__name__ for m in models}
    assert {"ContactIn", "CampaignIn", "TextIn", "LabelIn", "TemplateIn"} <= names
    missing: list[str] = []
    for model in models:
        schema = model.model_json_schema()
        missing += _unbounded_strings(schema, model.__name__, schema.get("$defs", {}))
    assert missing == [], f"strings without max_length: {missing}"
    too_big, seen = [], set()
    for model in models:
        for name, info in model.model_fields.items():
            where = (model.__name__, name)
            if where not in MODEL_COLUMNS:
                continue
            seen.add(where)
            highs = [getattr(m, "max_length", None) for m in info.metadata]
            high = min(h for h in highs if h is not None)
            if high > column_length(MODEL_COLUMNS[where]):
                too_big.append((where, high))
    assert too_big == []
    assert seen == set(MODEL_COLUMNS), f"fields not found: {set(MODEL_COLUMNS) - seen}"


def test_template_limits_are_metas(app):
    from clickpro.blueprints.api.schemas import ButtonIn, TemplateIn

    def high(model, name):
        return min(
            m.max_length for m in model.model_fields[name].metadata if hasattr(m, "max_length")
        )

    assert (high(TemplateIn, "body_text"), high(TemplateIn, "header_text")) == (1024, 60)
    assert (high(TemplateIn, "footer_text"), high(ButtonIn, "text")) == (60, 25)


# --------------------------------------------------------------------------- behaviour


@pytest.fixture
def tenant(create_client):
    return create_client("Agência")


@pytest.fixture
def api(app, tenant):
    _row, raw = create_token(tenant.id, "limites")
    http = app.test_client()
    headers = {"Authorization": f"Bearer {raw}"}

    class Api:
        def post(self, url, json):
            return http.post(url, json=json, headers=headers)

        def patch(self, url, json):
            return http.patch(url, json=json, headers=headers)

    return Api()


def test_a_3000_character_campaign_name_is_refused(app, tenant, api):
    from clickpro.services.campaigns.form import CampaignError, clean_campaign_data

    with pytest.raises(CampaignError, match=r"no máximo 200 caracteres \(tem 3000\)"):
        clean_campaign_data(tenant.id, {"name": "N" * 3000}, Campaign(), None, datetime.now(UTC))
    response = api.post(
        "/api/v1/campaigns", json={"name": "N" * 3000, "template_id": 1, "list_ids": [1]}
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["details"]["name"] == [
        "No máximo 200 caracteres (tem 3000)."
    ]


def test_contact_attribute_and_attribute_count_limits(app, tenant, api, login_as, db):
    http = login_as(tenant.admin, tenant)
    page = http.post(
        "/contacts/new",
        data={"phone": "11987654321", "name": "Ana", "attr_key": "obs", "attr_value": "x" * 20000},
    )
    assert page.status_code == 400
    assert "no máximo 1000 caracteres (tem 20000)" in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Contact.id))) == 0
    refused = api.post(
        "/api/v1/contacts", json={"phone": "11987654321", "attributes": {"obs": "x" * 1001}}
    )
    assert refused.status_code == 422, refused.get_json()
    assert "1000" in refused.get_json()["error"]["message"]
    many = {f"campo{i}": "v" for i in range(51)}
    refused = api.post("/api/v1/contacts", json={"phone": "11987654321", "attributes": many})
    assert refused.status_code == 422
    assert "No máximo 50 atributos" in refused.get_json()["error"]["message"]
    ok = api.post(
        "/api/v1/contacts", json={"phone": "11987654321", "attributes": {"obs": "x" * 1000}}
    )
    assert ok.status_code in (200, 201), ok.get_json()


def test_the_attribute_limits_are_settings(make_app, create_client, login_as, db):
    app = make_app(CONTACT_ATTRIBUTE_MAX_CHARS=10, CONTACT_MAX_ATTRIBUTES=2)
    from clickpro.services.contacts.service import ContactError, clean_attributes

    with app.app_context():
        assert clean_attributes({"a": "x" * 10, "b": "y"}) == {"a": "x" * 10, "b": "y"}
        with pytest.raises(ContactError, match="no máximo 10 caracteres"):
            clean_attributes({"a": "x" * 11})
        with pytest.raises(ContactError, match="No máximo 2 atributos"):
            clean_attributes({"a": "1", "b": "2", "c": "3"})


def test_long_names_get_the_rule_in_forms(tenant, login_as, db):
    http = login_as(tenant.admin, tenant)
    page = http.post("/contacts/new", data={"phone": "11987654321", "name": "N" * 201})
    assert page.status_code == 400
    assert "Use no máximo 200 caracteres (você escreveu 201)." in page.get_data(as_text=True)
    page = http.post("/inbox/quick-replies", data={"shortcut": "oi", "body": "x" * 4097})
    assert "Use no máximo 4096 caracteres (você escreveu 4097)." in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(QuickReply.id))) == 0


def test_inbox_and_template_bodies_are_bounded(tenant, api, login_as):
    http = login_as(tenant.admin, tenant)
    label = http.post("/inbox/api/labels", json={"name": "L" * 61})
    assert label.status_code == 422
    assert label.get_json()["error"]["details"]["name"] == ["No máximo 60 caracteres (tem 61)."]
    template = api.post(
        "/api/v1/templates",
        json={"name": "promo", "body_text": "Oi", "footer_text": "F" * 61},
    )
    assert template.status_code == 422
    assert template.get_json()["error"]["details"]["footer_text"] == [
        "No máximo 60 caracteres (tem 61)."
    ]


def test_a_wrong_meta_id_says_the_rule(tenant, login_as):
    from clickpro.services.credentials.common import CredentialError, clean_id

    with pytest.raises(CredentialError, match="tem de 5 a 32 dígitos, só números"):
        clean_id("12ab", "phone_number_id", "phone number id")
    with pytest.raises(CredentialError, match=r"5 a 32 dígitos.*\(você informou 40 caracteres\)"):
        clean_id("1" * 40, "phone_number_id", "phone number id")
    assert clean_id(" 106540352242922 ", "phone_number_id", "phone number id") == (
        "106540352242922"
    )
