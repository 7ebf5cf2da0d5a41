"""Several WhatsApp numbers per client: add (live test), edit, re-test, archive, re-add."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from clickpro.crypto import decrypt
from clickpro.models import AuditEntry, CredentialStatus, Message, WhatsAppCredential
from clickpro.services.credentials import (
    CredentialError,
    NoCredentials,
    NumberNotFound,
    add_number,
    archive_number,
    get_whatsapp_credential,
    list_numbers,
    retest_number,
    save_whatsapp_credentials,
    update_number,
    whatsapp_for,
    whatsapp_for_number,
)


def _count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count(WhatsAppCredential.id)))


def _data(account, **extra) -> dict:
    return {
        "access_token": account.access_token,
        "waba_id": account.waba_id,
        "phone_number_id": account.phone_number_id,
        **extra,
    }


def _audit(action: str, target_id: int) -> list[AuditEntry]:
    return list(
        AuditEntry.query.filter_by(action=action, target_id=str(target_id)).order_by(AuditEntry.id)
    )


@pytest.fixture
def two_numbers(app, sandbox, create_client, wa_data):
    """A client with the sandbox's default number and a second one (its own WABA)."""
    tenant = create_client("Loja Dois Números")
    first = add_number(tenant, {**wa_data, "display_name": "Vendas"})
    account = sandbox.create_account(
        access_token="EAAGsecond-number-token-7777",
        display_phone_number="+55 11 3000-0002",
        verified_name="Loja Suporte",
        messaging_tier="TIER_10K",
    )
    second = add_number(tenant, _data(account, display_name="Suporte"))
    return tenant, first, second, account


def test_a_second_number_is_validated_and_stored(app, db, two_numbers):
    tenant, first, second, account = two_numbers
    assert [n.id for n in list_numbers(tenant.id)] == [first.id, second.id]
    assert second.display_name == "Suporte"
    assert second.verified_name == "Loja Suporte"
    assert second.display_phone_number == "+55 11 3000-0002"
    assert second.messaging_tier == "TIER_10K"
    assert second.status == CredentialStatus.VALID
    assert decrypt(second.access_token_enc) == "EAAGsecond-number-token-7777"
    # The first number keeps meaning what "the credential" meant before.
    assert get_whatsapp_credential(tenant.id).id == first.id
    assert whatsapp_for(tenant.id)[0].id == first.id
    credential, graph = whatsapp_for_number(tenant.id, second.id)
    assert credential.id == second.id
    assert graph.list_phone_numbers(account.waba_id)[0]["id"] == account.phone_number_id
    assert whatsapp_for_number(tenant.id, None)[0].id == first.id


def test_display_name_defaults_to_metas_verified_name(app, sandbox, create_client):
    account = sandbox.create_account(verified_name="Loja Sem Nome")
    number = add_number(create_client(), _data(account))
    assert number.display_name == "Loja Sem Nome"


def test_refused_token_stores_nothing(app, db, sandbox, two_numbers):
    tenant, *_ = two_numbers
    account = sandbox.create_account()
    with pytest.raises(CredentialError) as caught:
        add_number(tenant, _data(account, access_token="EAAG-wrong-token"))
    assert caught.value.field == "access_token"
    assert "Invalid OAuth access token" in caught.value.message
    assert _count(db) == 2


def test_number_of_another_client_is_refused_without_naming_it(
    app, db, sandbox, create_client, two_numbers
):
    tenant, _first, second, account = two_numbers
    intruder = create_client("Loja Intrusa")
    with pytest.raises(CredentialError) as caught:
        add_number(intruder, _data(account, display_name="Meu"))
    message = caught.value.message
    assert caught.value.field == "phone_number_id"
    assert "não pertence ao WABA" in message
    assert "Suporte" not in message and "Dois Números" not in message
    assert account.phone_number_id not in message
    assert _count(db) == 2
    assert db.session.get(WhatsAppCredential, second.id).client_id == tenant.id
    # An archived number is still that client's row: still refused to another client.
    archive_number(tenant, second.id)
    with pytest.raises(CredentialError):
        add_number(intruder, _data(account))
    assert list_numbers(intruder.id) == []


def test_the_same_number_twice_is_refused(app, db, two_numbers):
    tenant, _first, _second, account = two_numbers
    with pytest.raises(CredentialError) as caught:
        add_number(tenant, _data(account))
    assert caught.value.field == "phone_number_id"
    assert "já está cadastrado" in caught.value.message and "Suporte" in caught.value.message
    assert _count(db) == 2


def test_edit_name_and_secrets_of_one_number(app, db, two_numbers):
    tenant, first, second, _account = two_numbers
    update_number(
        tenant,
        second.id,
        {"display_name": "  Suporte   24h ", "app_secret": "segredo-do-suporte",
         "verify_token": "verifica-suporte", "access_token": ""},
    )  # fmt: skip
    db.session.expire_all()
    second = db.session.get(WhatsAppCredential, second.id)
    assert second.display_name == "Suporte 24h"
    assert decrypt(second.app_secret_enc) == "segredo-do-suporte"
    assert second.verify_token_sha256 == hashlib.sha256(b"verifica-suporte").hexdigest()
    assert decrypt(second.access_token_enc) == "EAAGsecond-number-token-7777"  # kept
    assert db.session.get(WhatsAppCredential, first.id).app_secret_enc is None
    # Empty name: Meta's verified name again; clear flags remove the secrets.
    update_number(
        tenant,
        second.id,
        {"display_name": "", "clear_app_secret": True, "clear_verify_token": True},
    )
    assert second.display_name == "Loja Suporte"
    assert second.app_secret_enc is None and second.verify_token_sha256 is None
    entries = _audit("credential.changed", second.id)
    assert len(entries) == 2
    assert entries[0].details["fields"] == ["display_name", "app_secret", "verify_token"]


def test_new_token_is_tested_live_and_refusal_changes_nothing(app, db, sandbox, two_numbers):
    tenant, _first, second, _account = two_numbers
    with pytest.raises(CredentialError) as caught:
        update_number(tenant, second.id, {"access_token": "EAAG-revoked", "display_name": "X"})
    assert caught.value.field == "access_token"
    db.session.rollback()
    second = db.session.get(WhatsAppCredential, second.id)
    assert second.display_name == "Suporte"
    assert decrypt(second.access_token_enc) == "EAAGsecond-number-token-7777"


def test_retest_one_number_only(app, db, sandbox, two_numbers):
    tenant, first, second, _account = two_numbers
    sandbox.revoke_token("EAAGsecond-number-token-7777")
    assert retest_number(tenant, second.id).status == CredentialStatus.INVALID
    assert db.session.get(WhatsAppCredential, first.id).status == CredentialStatus.VALID
    with pytest.raises(NoCredentials):
        whatsapp_for_number(tenant.id, second.id)
    assert whatsapp_for(tenant.id)[0].id == first.id


def test_archive_wipes_secrets_keeps_history_and_readd_restores(
    app, db, sandbox, create_contact, create_message, two_numbers
):
    tenant, first, second, account = two_numbers
    update_number(tenant, second.id, {"app_secret": "s3", "verify_token": "v3"})
    contact = create_contact(tenant)
    message = create_message(tenant, contact, number_id=second.id)

    archive_number(tenant, second.id)
    db.session.expire_all()
    row = db.session.get(WhatsAppCredential, second.id)
    assert row.archived_at is not None
    assert row.access_token_enc == "" and row.token_last4 == ""
    assert row.app_secret_enc is None and row.verify_token_sha256 is None
    assert db.session.get(Message, message.id).number_id == second.id  # history stays
    assert [n.id for n in list_numbers(tenant.id)] == [first.id]
    assert [n.id for n in list_numbers(tenant.id, include_archived=True)] == [first.id, second.id]
    with pytest.raises(NoCredentials):
        whatsapp_for_number(tenant.id, second.id)
    with pytest.raises(CredentialError):
        update_number(tenant, second.id, {"display_name": "Nada"})
    assert len(_audit("credential.removed", second.id)) == 1

    # Archiving the first number makes the next one the first.
    archive_number(tenant, first.id)
    assert get_whatsapp_credential(tenant.id) is None
    restored = add_number(tenant, _data(account))
    assert restored.id == second.id and restored.archived_at is None
    assert restored.display_name == "Suporte"  # its name comes back too
    assert decrypt(restored.access_token_enc) == account.access_token
    assert get_whatsapp_credential(tenant.id).id == second.id
    assert db.session.get(Message, message.id).number_id == second.id
    created = _audit("credential.created", second.id)
    assert created[-1].details["unarchived"] is True


def test_another_clients_number_id_is_not_found(app, create_client, two_numbers):
    tenant, _first, second, _account = two_numbers
    other = create_client("Outra")
    with pytest.raises(NumberNotFound):
        update_number(other, second.id, {"display_name": "Roubado"})
    with pytest.raises(NumberNotFound):
        archive_number(other, second.id)
    with pytest.raises(NumberNotFound):
        retest_number(other, second.id)
    with pytest.raises(NoCredentials):
        whatsapp_for_number(other.id, second.id)
    assert second.display_name == "Suporte" and second.archived_at is None


def test_first_number_save_refuses_another_own_number(app, db, two_numbers, wa_data):
    """The single-credential save (the old API) replaces the first number; pointing it at
    the client's second number would merge two numbers: refused."""
    tenant, first, _second, account = two_numbers
    with pytest.raises(CredentialError) as caught:
        save_whatsapp_credentials(tenant, _data(account))
    assert "outro número deste cliente" in caught.value.message
    again = save_whatsapp_credentials(tenant, {**wa_data, "access_token": ""})
    assert again.id == first.id and again.display_name == "Vendas"
    assert _count(db) == 2
