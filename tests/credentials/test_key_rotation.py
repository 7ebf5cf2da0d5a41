"""Key rotation: encrypt with A, rotate with "B,A", read with B alone; bad key lists."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from clickpro import ConfigurationError
from clickpro.crypto import EncryptionConfigError, decrypt, encrypt
from clickpro.extensions import db as _db
from clickpro.models import OpenAICredential, User, WhatsAppCredential
from clickpro.services.credentials import rotate_all_secrets

KEY_A = "dGVzdC1vbmx5LWNsaWNrcHJvLWtleS0zMi1ieXRlcyE="  # the suite's default key
KEY_B = Fernet.generate_key().decode()


def _secrets_raw() -> list[str]:
    rows = _db.session.execute(
        sa.text(
            "SELECT access_token_enc FROM whatsapp_credentials UNION ALL "
            "SELECT app_secret_enc FROM whatsapp_credentials UNION ALL "
            "SELECT api_key_enc FROM openai_credentials UNION ALL "
            "SELECT totp_secret_enc FROM users"
        )
    ).scalars()
    return [r for r in rows if r]


@pytest.fixture
def stored(app, create_client, create_whatsapp_credential):
    """Three clients' secrets stored under key A (6 secrets in all: one admin has 2FA)."""
    for n in range(3):
        tenant = create_client()
        account = {
            "access_token": f"token-{n}-abcdef",
            "waba_id": f"20000000000{n}001",
            "phone_number_id": f"20000000000{n}011",
            "app_secret": f"secret-{n}-xyz" if n == 0 else None,
        }
        create_whatsapp_credential(tenant, account)
        if n == 1:  # a TOTP secret (users.totp_secret_enc) rotates with the rest
            tenant.admin.totp_secret_enc = encrypt("JBSWY3DPEHPK3PXP")
        if n < 1:
            _db.session.add(
                OpenAICredential(client_id=tenant.id, api_key_enc=encrypt(f"sk-key-{n}-0000"))
            )
    _db.session.commit()
    return 6


def _with_keys(make_app, keys: str):
    other = make_app(CLICKPRO_ENCRYPTION_KEYS=keys)
    return other.app_context()


def test_rotation_round_trip(app, make_app, stored):
    with _with_keys(make_app, f"{KEY_B},{KEY_A}"):
        assert rotate_all_secrets(batch_size=2) == stored
        assert rotate_all_secrets(batch_size=2) == 0  # all under B already: nothing to do
        _db.session.remove()
    with _with_keys(make_app, KEY_B):  # A is gone: everything still reads
        tokens = sorted(
            decrypt(c.access_token_enc) for c in _db.session.scalars(sa.select(WhatsAppCredential))
        )
        assert tokens == ["token-0-abcdef", "token-1-abcdef", "token-2-abcdef"]
        assert (
            decrypt(_db.session.scalar(sa.select(OpenAICredential)).api_key_enc) == "sk-key-0-0000"
        )
        totp = _db.session.scalar(
            sa.select(User.totp_secret_enc).where(User.totp_secret_enc.is_not(None))
        )
        assert decrypt(totp) == "JBSWY3DPEHPK3PXP"
        _db.session.remove()
    with _with_keys(make_app, KEY_A):  # and A alone no longer can
        token = _db.session.scalar(sa.select(WhatsAppCredential.access_token_enc))
        with pytest.raises(EncryptionConfigError):
            decrypt(token)
        _db.session.remove()


def test_interrupted_rotation_resumes(app, make_app, stored, monkeypatch):
    import clickpro.services.credentials.rotation as rotation

    real_commit = _db.session.commit
    calls = {"n": 0}

    def crash_after_first_batch():
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        real_commit()

    with _with_keys(make_app, f"{KEY_B},{KEY_A}"):
        monkeypatch.setattr(rotation.db.session, "commit", crash_after_first_batch)
        with pytest.raises(KeyboardInterrupt):
            rotate_all_secrets(batch_size=1)
        monkeypatch.undo()
        _db.session.rollback()
        done_first = calls["n"] - 1
        assert done_first >= 1
        rest = rotate_all_secrets(batch_size=1)
        assert 0 < rest < stored  # only what the crashed run had not committed
        assert rotate_all_secrets() == 0
        _db.session.remove()
    with _with_keys(make_app, KEY_B):
        for raw in _secrets_raw():
            decrypt(raw)  # every secret is readable with B alone
        _db.session.remove()


def test_rotate_keys_cli(app, make_app, stored):
    other = make_app(CLICKPRO_ENCRYPTION_KEYS=f"{KEY_B},{KEY_A}")
    with other.app_context():  # the command runs in the app context already pushed
        result = other.test_cli_runner().invoke(args=["rotate-keys", "--batch-size", "2"])
        _db.session.remove()
    assert result.exit_code == 0, result.output
    assert f"{stored} secret(s) re-encrypted" in result.output


def test_rotate_keys_cli_without_the_old_key_is_a_clear_error(app, make_app, stored):
    other = make_app(CLICKPRO_ENCRYPTION_KEYS=KEY_B)
    with other.app_context():
        result = other.test_cli_runner().invoke(args=["rotate-keys"])
        _db.session.remove()
    assert result.exit_code != 0
    assert "no key of CLICKPRO_ENCRYPTION_KEYS decrypts" in result.output


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ("", "CLICKPRO_ENCRYPTION_KEYS is empty"),
        (f"{KEY_B},not-a-key", "key #2 is not a valid Fernet key"),
    ],
    ids=["empty", "second-key-invalid"],  # KEY_B is random: stable ids for pytest-xdist
)
def test_wrong_key_list_is_a_clear_startup_error(make_app, keys, message):
    with pytest.raises(ConfigurationError) as caught:
        make_app(CLICKPRO_ENCRYPTION_KEYS=keys)
    assert message in str(caught.value)
    assert "not-a-key" not in str(caught.value)  # the key itself is never printed
