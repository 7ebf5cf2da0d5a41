"""WhatsApp credentials: live validation against the sandbox, encryption, bad input."""

from __future__ import annotations

import hashlib

import httpx
import pytest
import sqlalchemy as sa

from clickpro.crypto import decrypt
from clickpro.models import CredentialStatus, WhatsAppCredential
from clickpro.services.credentials import (
    CredentialError,
    NoCredentials,
    get_whatsapp_credential,
    retest_whatsapp,
    save_whatsapp_credentials,
    whatsapp_for,
)


def _count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count(WhatsAppCredential.id)))


def test_valid_credentials_are_saved_encrypted(app, db, sandbox, create_client, wa_data):
    tenant = create_client()
    wa_data["app_secret"] = "my-app-secret-value"
    credential = save_whatsapp_credentials(tenant, wa_data)

    assert credential.status == CredentialStatus.VALID
    assert credential.validated_at is not None
    assert credential.display_phone_number == "+55 11 3000-0000"
    assert credential.verified_name == "ClickPro Demo"
    assert credential.quality_rating == "GREEN"
    assert credential.throughput_mps == 80
    assert credential.messaging_tier == "TIER_1K"
    assert credential.token_last4 == "oken"
    raw = db.session.execute(
        sa.text("SELECT access_token_enc, app_secret_enc FROM whatsapp_credentials")
    ).one()
    assert "sandbox-token" not in raw[0]
    assert "my-app-secret-value" not in raw[1]
    assert decrypt(raw[0]) == "sandbox-token"
    assert decrypt(raw[1]) == "my-app-secret-value"


@pytest.mark.parametrize(("mps", "expected"), [(1000, 1000), (20, 20), (80, 80)])
def test_throughput_level_is_read_from_meta(app, sandbox, create_client, mps, expected):
    account = sandbox.create_account(throughput_mps=mps, messaging_tier="TIER_10K")
    credential = save_whatsapp_credentials(
        create_client(),
        {
            "access_token": account.access_token,
            "waba_id": account.waba_id,
            "phone_number_id": account.phone_number_id,
        },
    )
    assert credential.throughput_mps == expected
    assert credential.messaging_tier == "TIER_10K"


def test_invalid_token_is_refused_with_metas_message(app, db, sandbox, create_client, wa_data):
    wa_data["access_token"] = "EAAG-not-a-real-token"
    with pytest.raises(CredentialError) as caught:
        save_whatsapp_credentials(create_client(), wa_data)
    assert caught.value.field == "access_token"
    assert "Invalid OAuth access token" in caught.value.message
    assert "EAAG-not-a-real-token" not in caught.value.message
    assert _count(db) == 0


def test_unknown_phone_number_id_is_refused(app, db, sandbox, create_client, wa_data):
    wa_data["phone_number_id"] = "999999999999999"
    with pytest.raises(CredentialError) as caught:
        save_whatsapp_credentials(create_client(), wa_data)
    assert caught.value.field == "phone_number_id"
    assert "não pertence" in caught.value.message
    assert _count(db) == 0


def test_phone_number_of_another_waba_is_refused(app, db, sandbox, create_client, wa_data):
    other = sandbox.create_account()
    wa_data["phone_number_id"] = other.phone_number_id  # real number, other WABA
    with pytest.raises(CredentialError) as caught:
        save_whatsapp_credentials(create_client(), wa_data)
    assert caught.value.field == "phone_number_id"
    assert _count(db) == 0


def test_wrong_waba_is_refused(app, db, sandbox, create_client, wa_data):
    wa_data["waba_id"] = "123456789012345"
    with pytest.raises(CredentialError) as caught:
        save_whatsapp_credentials(create_client(), wa_data)
    assert caught.value.field == "waba_id"
    assert _count(db) == 0


def test_unreachable_meta_saves_nothing(app, db, meta_down, create_client, wa_data):
    with pytest.raises(CredentialError) as caught:
        save_whatsapp_credentials(create_client(), wa_data)
    assert "Não foi possível contatar a Meta" in caught.value.message
    assert meta_down.calls >= 1
    assert _count(db) == 0


def test_phone_number_id_of_another_client_is_refused(app, db, sandbox, create_client, wa_data):
    """Attack: learn which numbers other clients have. The refusal says the same as for a
    number that is not in the WABA, and needs a token Meta accepts to be reached at all."""
    save_whatsapp_credentials(create_client("Loja Primeira"), wa_data)
    second = create_client("Loja Segunda")
    with pytest.raises(CredentialError) as taken:
        save_whatsapp_credentials(second, wa_data)
    assert taken.value.field == "phone_number_id"
    assert "outra conta" not in taken.value.message and "conectado" not in taken.value.message
    assert "Primeira" not in taken.value.message
    # Same words as a number this WABA does not have (only the WABA's own list differs:
    # the number taken is left out of it).
    unknown = dict(wa_data, phone_number_id="999999999999999")
    with pytest.raises(CredentialError) as absent:
        save_whatsapp_credentials(second, unknown)
    first_sentence = absent.value.message.split(". ")[0]
    assert taken.value.message.split(". ")[0] == first_sentence
    assert wa_data["phone_number_id"] not in taken.value.message
    # A fake token cannot probe it: Meta refuses the token first, whatever the number.
    probe = dict(wa_data, access_token="EAAG-fake-token")
    with pytest.raises(CredentialError) as probed:
        save_whatsapp_credentials(second, probe)
    assert probed.value.field == "access_token"
    assert _count(db) == 1


@pytest.mark.parametrize(
    ("token", "problem"),
    [
        ("", "Informe"),
        ("   ", "Informe"),
        ("sandbox\ntoken", "quebras"),
        ("sand box", "espaços"),
        ("sandbox-tokén", "caracteres inválidos"),
        ("sandbox\x00token", "caracteres inválidos"),
    ],
)
def test_bad_token_text_is_a_form_error(app, db, sandbox, create_client, wa_data, token, problem):
    wa_data["access_token"] = token
    with pytest.raises(CredentialError) as caught:
        save_whatsapp_credentials(create_client(), wa_data)
    assert caught.value.field == "access_token"
    assert problem in caught.value.message
    assert _count(db) == 0


def test_surrounding_whitespace_is_stripped(app, sandbox, create_client, wa_data):
    wa_data["access_token"] = "  sandbox-token\r\n"
    wa_data["waba_id"] = " 100000000000001 "
    credential = save_whatsapp_credentials(create_client(), wa_data)
    assert decrypt(credential.access_token_enc) == "sandbox-token"
    assert credential.waba_id == "100000000000001"


def test_non_numeric_id_is_refused(app, sandbox, create_client, wa_data):
    wa_data["waba_id"] = "abc"
    with pytest.raises(CredentialError) as caught:
        save_whatsapp_credentials(create_client(), wa_data)
    assert caught.value.field == "waba_id"


def test_empty_secret_keeps_the_stored_one(app, sandbox, create_client, wa_data):
    tenant = create_client()
    wa_data.update(app_secret="first-secret", verify_token="meu-token-verif")
    first = save_whatsapp_credentials(tenant, wa_data)
    stored_secret = first.app_secret_enc
    second = save_whatsapp_credentials(
        tenant, {**wa_data, "access_token": "", "app_secret": "", "verify_token": ""}
    )
    assert second.id == first.id
    assert decrypt(second.access_token_enc) == "sandbox-token"
    assert second.app_secret_enc == stored_secret
    assert second.verify_token_sha256 == hashlib.sha256(b"meu-token-verif").hexdigest()


def test_new_values_replace_the_old_ones(app, sandbox, create_client, wa_data):
    tenant = create_client()
    first = save_whatsapp_credentials(tenant, wa_data)
    other = sandbox.create_account(access_token="rotated-token-9876", throughput_mps=1000)
    data = {
        "access_token": other.access_token,
        "waba_id": other.waba_id,
        "phone_number_id": other.phone_number_id,
    }
    credential = save_whatsapp_credentials(tenant, data)
    assert credential.id == first.id
    assert decrypt(credential.access_token_enc) == "rotated-token-9876"
    assert credential.token_last4 == "9876"
    assert credential.phone_number_id == other.phone_number_id
    assert credential.throughput_mps == 1000


def test_retest_marks_a_revoked_token_invalid(app, sandbox, create_client, wa_data):
    tenant = create_client()
    save_whatsapp_credentials(tenant, wa_data)
    sandbox.revoke_token("sandbox-token")
    credential = retest_whatsapp(tenant)
    assert credential.status == CredentialStatus.INVALID
    assert "Invalid OAuth access token" in credential.last_error
    with pytest.raises(NoCredentials):
        whatsapp_for(tenant.id)


def test_retest_when_meta_is_down_keeps_status(app, sandbox, create_client, wa_data, break_meta):
    tenant = create_client()
    save_whatsapp_credentials(tenant, wa_data)
    break_meta(httpx.ReadTimeout)
    credential = retest_whatsapp(tenant)
    assert credential.status == CredentialStatus.VALID
    assert "Não foi possível contatar a Meta" in credential.last_error


def test_whatsapp_for(app, sandbox, create_client, wa_data):
    tenant = create_client()
    with pytest.raises(NoCredentials):
        whatsapp_for(tenant.id)
    save_whatsapp_credentials(tenant, wa_data)
    credential, graph = whatsapp_for(tenant.id)
    assert credential == get_whatsapp_credential(tenant.id)
    numbers = graph.list_phone_numbers(credential.waba_id)
    assert numbers[0]["id"] == wa_data["phone_number_id"]
