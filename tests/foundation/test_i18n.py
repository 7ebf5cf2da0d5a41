"""pt_BR by default, English with ?lang=en or the user's setting; the catalog is compiled."""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import clickpro

CATALOG = Path(clickpro.__file__).parent / "translations" / "en" / "LC_MESSAGES"


def test_login_defaults_to_portuguese(client):
    text = client.get("/login").get_data(as_text=True)
    assert "Entrar" in text and "Senha" in text
    assert "Sign in" not in text
    assert '<html lang="pt-BR">' in text


def test_login_in_english_with_lang_param(client):
    text = client.get("/login?lang=en").get_data(as_text=True)
    assert "Sign in" in text and "Password" in text
    assert "Entrar" not in text
    assert '<html lang="en">' in text
    # The choice sticks for the session.
    assert "Sign in" in client.get("/login").get_data(as_text=True)


def test_user_setting_and_language_switch(client, login_as, create_client, db):
    tenant = create_client()
    http = login_as(tenant.admin, tenant)
    assert "Painel" in http.get("/").get_data(as_text=True)
    response = http.post("/language/en", headers={"Referer": "http://localhost/notifications"})
    assert response.status_code == 302 and response.headers["Location"] == "/notifications"
    db.session.expire_all()
    assert tenant.admin.locale == "en"
    with http.session_transaction() as session:
        session.pop("lang", None)  # a new session: the user's own setting applies
    page = http.get("/notifications").get_data(as_text=True)
    assert "Notifications" in page and "Dashboard" in page


def test_error_pages_are_translated(client):
    assert "Página não encontrada" in client.get("/nope").get_data(as_text=True)
    assert "Page not found" in client.get("/nope?lang=en").get_data(as_text=True)


def _key(value):
    """Plural entries: read_po gives tuples, read_mo lists."""
    return tuple(value) if isinstance(value, (list, tuple)) else value


def test_compiled_catalog_matches_the_po():
    """messages.mo is committed; it must be compiled from the current messages.po."""
    with open(CATALOG / "messages.po", "rb") as fh:
        po = {_key(m.id): _key(m.string) for m in read_po(fh) if m.id and m.string and not m.fuzzy}
    with open(CATALOG / "messages.mo", "rb") as fh:
        mo = {_key(m.id): _key(m.string) for m in read_mo(fh) if m.id}
    assert po, "empty English catalog"
    assert mo == po, "run scripts/update_translations.sh to recompile messages.mo"
