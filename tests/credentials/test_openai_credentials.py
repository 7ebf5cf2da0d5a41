"""OpenAI key + assistant configuration: live validation, encryption, resolved settings."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
import sqlalchemy as sa

from clickpro.crypto import decrypt
from clickpro.models import CredentialStatus, OpenAICredential
from clickpro.services.credentials import (
    DEFAULT_HANDOFF_KEYWORDS,
    AssistantSettings,
    CredentialError,
    NoCredentials,
    assistant_settings,
    openai_for,
    retest_openai,
    save_openai_credentials,
)


def _count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count(OpenAICredential.id)))


def test_valid_key_and_assistant_are_saved(app, db, sandbox, create_client, ai_data):
    tenant = create_client()
    credential = save_openai_credentials(tenant, ai_data)
    assert credential.status == CredentialStatus.VALID
    assert credential.key_last4 == "WXYZ"
    assert credential.assistant_id and credential.assistant_id.startswith("cpa_")
    raw = db.session.scalar(sa.text("SELECT api_key_enc FROM openai_credentials"))
    assert ai_data["api_key"] not in raw
    assert decrypt(raw) == ai_data["api_key"]
    assert tenant.ai_enabled is True

    settings = assistant_settings(tenant.id)
    assert settings.enabled is True
    assert settings.model == "gpt-4.1-mini"
    assert settings.temperature == 0.5
    assert settings.context_messages == 8
    assert settings.max_output_tokens == 300
    assert settings.handoff_keywords == ("atendente", "falar com alguém")
    assert settings.fallback_text == "Já te respondemos!"
    assert settings.non_text_policy == "handoff"
    assert settings.hours_always is True
    assert settings.handoff_text.startswith("Certo! Vou chamar")
    assert settings.options["handoff_text"] == settings.handoff_text  # what the AI plugin reads


def test_bad_key_is_refused_with_openais_message(app, db, sandbox, create_client, ai_data):
    ai_data["api_key"] = "not-a-key-123456"
    with pytest.raises(CredentialError) as caught:
        save_openai_credentials(create_client(), ai_data)
    assert caught.value.field == "api_key"
    assert "Incorrect API key" in caught.value.message
    assert "not-a-key-123456" not in caught.value.message
    assert _count(db) == 0


def test_unknown_model_is_refused(app, db, sandbox, create_client, ai_data):
    ai_data["model"] = "gpt-9-imaginary"
    with pytest.raises(CredentialError) as caught:
        save_openai_credentials(create_client(), ai_data)
    assert caught.value.field == "model"
    assert "gpt-9-imaginary" in caught.value.message
    assert "gpt-4.1-mini" in caught.value.message  # lists what exists
    assert _count(db) == 0


def test_unreachable_openai_saves_nothing(app, db, openai_down, create_client, ai_data):
    with pytest.raises(CredentialError) as caught:
        save_openai_credentials(create_client(), ai_data)
    assert "Não foi possível contatar a OpenAI" in caught.value.message
    assert openai_down.calls >= 1
    assert _count(db) == 0


@pytest.mark.parametrize(
    ("key", "value", "field"),
    [
        ("temperature", "3", "temperature"),
        ("temperature", "quente", "temperature"),
        ("context_messages", "0", "context_messages"),
        ("max_output_tokens", "999999", "max_output_tokens"),
        ("api_key", "sk-abc\ndef", "api_key"),
        ("non_text_policy", "ignore", "non_text_policy"),
    ],
)
def test_bad_assistant_input(app, db, sandbox, create_client, ai_data, key, value, field):
    ai_data[key] = value
    with pytest.raises(CredentialError) as caught:
        save_openai_credentials(create_client(), ai_data)
    assert caught.value.field == field
    assert _count(db) == 0


def test_business_hours_are_validated_and_stored(app, sandbox, create_client, ai_data):
    tenant = create_client()
    bad = {**ai_data, "hours_mode": "custom", "hours_days": ["0"], "hours_start": "25:00"}
    with pytest.raises(CredentialError) as caught:
        save_openai_credentials(tenant, bad)
    assert caught.value.field == "hours_start"
    save_openai_credentials(
        tenant,
        {**ai_data, "hours_mode": "custom", "hours_days": ["0", "4"], "hours_start": "09:00",
         "hours_end": "18:00", "daily_reply_cap": "200"},
    )  # fmt: skip
    settings = assistant_settings(tenant.id)
    assert settings.hours_always is False
    assert settings.hours_days == (0, 4)
    assert (settings.hours_start, settings.hours_end) == (time(9), time(18))
    assert settings.daily_reply_cap == 200
    # Monday 2026-11-23 13:00 UTC = 10:00 in São Paulo: open; 22:00 UTC = 19:00: closed.
    assert settings.within_business_hours(datetime(2026, 11, 23, 13, 0, tzinfo=UTC))
    assert not settings.within_business_hours(datetime(2026, 11, 23, 22, 0, tzinfo=UTC))
    # Tuesday is not a business day.
    assert not settings.within_business_hours(datetime(2026, 11, 24, 13, 0, tzinfo=UTC))


def test_empty_key_keeps_the_stored_one_and_ai_can_be_turned_off(
    app, sandbox, create_client, ai_data
):
    tenant = create_client()
    first = save_openai_credentials(tenant, ai_data)
    second = save_openai_credentials(tenant, {**ai_data, "api_key": "", "ai_enabled": False})
    assert second.id == first.id
    assert second.assistant_id == first.assistant_id
    assert decrypt(second.api_key_enc) == ai_data["api_key"]
    assert assistant_settings(tenant.id).enabled is False


def test_defaults_without_credentials(app, create_client):
    tenant = create_client()
    settings = assistant_settings(tenant.id)
    assert settings.enabled is False and settings.has_credentials is False
    assert settings.handoff_keywords == DEFAULT_HANDOFF_KEYWORDS
    with pytest.raises(NoCredentials):
        openai_for(tenant.id)


def test_handoff_keywords_match_words_ignoring_case_and_accents():
    settings = AssistantSettings(client_id=1)
    assert settings.wants_handoff("Quero falar com ALGUEM, por favor")
    assert settings.wants_handoff("atendente!")
    assert not settings.wants_handoff("Qual o preço do atendimento?")
    assert not settings.wants_handoff("pessoalmente não dá")


def test_retest_openai_detects_a_revoked_key(app, sandbox, create_client, ai_data):
    tenant = create_client()
    save_openai_credentials(tenant, ai_data)
    assert retest_openai(tenant).status == CredentialStatus.VALID
    sandbox.revoked_keys.add(ai_data["api_key"])
    credential = retest_openai(tenant)
    assert credential.status == CredentialStatus.INVALID
    assert "Incorrect API key" in credential.last_error


def test_openai_for_gives_a_working_gateway(app, sandbox, create_client, ai_data):
    tenant = create_client()
    save_openai_credentials(tenant, ai_data)
    credential, gateway = openai_for(tenant.id)
    assert "gpt-4.1-mini" in gateway.list_models()
    assert credential.model == "gpt-4.1-mini"
