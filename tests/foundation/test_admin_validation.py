"""Admin input cannot break a client: time zone, slug and name rules, the same in
Flask-Admin, the ``create-client`` command and the account service; a bad zone already
stored never turns a page into a 500."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from clickpro.models import Client
from clickpro.services.accounts.validation import (
    InvalidValue,
    safe_zone,
    validate_slug,
    validate_timezone,
)


@pytest.fixture
def root_http(create_user, login_as):
    return login_as(create_user("root@example.com", is_super_admin=True))


def _count(db, **where) -> int:
    stmt = sa.select(sa.func.count(Client.id))
    for key, value in where.items():
        stmt = stmt.where(getattr(Client, key) == value)
    return db.session.scalar(stmt)


def test_rules(app):
    assert validate_timezone(" America/Recife ") == "America/Recife"
    for bad in ("Brasil/Recife", "America/Sao Paulo", "GMT-3x", "", "../../etc/passwd"):
        with pytest.raises(InvalidValue) as caught:
            validate_timezone(bad)
        assert caught.value.field == "timezone"
    assert validate_slug("loja-do-ze-2") == "loja-do-ze-2"
    for bad in ("a", "Loja", "loja do ze", "-loja", "loja-", "loja--ze", "lója", "x" * 81):
        with pytest.raises(InvalidValue, match="2 a 80"):
            validate_slug(bad)
    assert validate_slug("x" * 80) == "x" * 80


def test_admin_refuses_a_non_iana_time_zone(root_http, db):
    page = root_http.post(
        "/admin/admin_clients/new/",
        data={"name": "Loja Recife", "slug": "loja-recife", "timezone": "Brasil/Recife"},
    )
    assert page.status_code == 200  # the form again, with the rule under the field
    text = page.get_data(as_text=True)
    assert "não é um fuso horário IANA" in text and "America/Recife" in text
    assert _count(db, slug="loja-recife") == 0
    ok = root_http.post(
        "/admin/admin_clients/new/",
        data={"name": "Loja Recife", "slug": "loja-recife", "timezone": "America/Recife"},
    )
    assert ok.status_code == 302
    assert _count(db, slug="loja-recife", timezone="America/Recife") == 1


def test_admin_edit_refuses_bad_slug_and_taken_slug(root_http, create_client, db):
    first, second = create_client(slug="primeiro"), create_client(slug="segundo")
    base = {"name": second.name, "timezone": "America/Sao_Paulo", "is_active": "y"}
    for slug in ("Com Espaço", "a", "x" * 81):
        page = root_http.post(
            f"/admin/admin_clients/edit/?id={second.id}", data={**base, "slug": slug}
        )
        assert page.status_code == 200, slug
        assert "O slug tem de 2 a 80 caracteres" in page.get_data(as_text=True)
    taken = root_http.post(
        f"/admin/admin_clients/edit/?id={second.id}", data={**base, "slug": first.slug}
    )
    assert taken.status_code == 200  # never an IntegrityError 500
    text = taken.get_data(as_text=True)
    assert any(m in text for m in ("já é de outro cliente", "Already exists", "Já existe"))
    long_name = root_http.post(
        f"/admin/admin_clients/edit/?id={second.id}",
        data={**base, "slug": "segundo", "name": "N" * 121},
    )
    assert long_name.status_code == 200
    db.session.expire_all()
    assert db.session.get(Client, second.id).slug == "segundo"
    assert db.session.get(Client, second.id).name == second.name


def test_a_bad_stored_zone_falls_back_with_a_warning(create_client, login_as, db, caplog):
    tenant = create_client()
    db.session.execute(
        sa.update(Client).where(Client.id == tenant.id).values(timezone="Brasil/Recife")
    )
    db.session.commit()
    http = login_as(tenant.admin, tenant)
    with caplog.at_level(logging.WARNING, logger="clickpro.services.accounts.validation"):
        for path in ("/", "/inbox/", "/contacts", "/campaigns", "/templates", "/campaigns/new"):
            response = http.get(path)
            assert response.status_code == 200, path
    assert any("Brasil/Recife" in r.getMessage() for r in caplog.records)
    assert safe_zone("Brasil/Recife").key == "America/Sao_Paulo"


def test_cli_create_client_uses_the_same_rules(runner, db):
    base = ["create-client", "--name", "Loja Nova", "--admin-email", "dono@loja.com"]
    base += ["--admin-password", "senha-forte-1"]
    bad_zone = runner.invoke(args=[*base, "--timezone", "Brasil/Recife"])
    assert bad_zone.exit_code != 0
    assert "não é um fuso horário IANA" in bad_zone.output
    bad_slug = runner.invoke(args=[*base, "--slug", "Loja Nova"])
    assert bad_slug.exit_code != 0
    assert "2 a 80" in bad_slug.output
    long_name = runner.invoke(args=[*base[:1], "--name", "N" * 121, *base[3:]])
    assert long_name.exit_code != 0 and "1 a 120" in long_name.output
    assert _count(db) == 0
    ok = runner.invoke(args=[*base, "--timezone", "America/Recife", "--slug", "loja-nova"])
    assert ok.exit_code == 0, ok.output
    assert ok.output.strip() == "loja-nova"
    assert _count(db, slug="loja-nova", timezone="America/Recife") == 1


def test_short_names_still_get_a_valid_slug(app, db):
    from clickpro.services.accounts.service import create_client

    client, _ = create_client("A", "a@loja.com", "senha-forte-1")
    assert validate_slug(client.slug) == client.slug
