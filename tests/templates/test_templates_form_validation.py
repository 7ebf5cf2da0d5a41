"""Every local rule surfaces on the form, and nothing reaches Meta when one fails."""

from __future__ import annotations

import html

import pytest
import sqlalchemy as sa
from template_helpers import form_data, tiny_png, upload

from clickpro.models import Template

MB = 1024 * 1024


def _post(web, data):
    return web.post("/templates/new", data=data, content_type="multipart/form-data")


def _page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _assert_refused(response, meta_calls, db, *expected: str):
    assert response.status_code == 400
    page = _page(response)
    assert 'data-testid="form-errors"' in page
    for text in expected:
        assert text in page
    assert meta_calls.creates() == [], "nothing may be sent to Meta"
    assert meta_calls.uploads() == []
    assert db.session.scalar(sa.select(sa.func.count(Template.id))) == 0


@pytest.mark.parametrize(
    "name", ["pedido enviado", "promoção_verão", "PedidoEnviado", "pedido-enviado"]
)
def test_bad_names_are_refused_before_meta(admin_web, meta_calls, db, name):
    response = _post(admin_web, form_data(name=name))
    _assert_refused(response, meta_calls, db, "letras minúsculas, números e _")
    # the form comes back filled in, so nothing typed is lost
    assert f'value="{name}"' in _page(response)


def test_variables_out_of_order(admin_web, meta_calls, db):
    data = form_data(
        body_text="Olá {{2}}, seu pedido {{1}} foi enviado hoje e chega em breve.",
        body_example=["A1", "Maria"],
    )
    _assert_refused(_post(admin_web, data), meta_calls, db, "{{2}}")


def test_missing_examples(admin_web, meta_calls, db):
    data = form_data(
        body_text="Olá {{1}}, seu pedido {{2}} foi enviado hoje e chega em breve.",
        body_example=["Maria"],
    )
    response = _post(admin_web, data)
    _assert_refused(response, meta_calls, db)
    assert 'data-error-for="body_examples"' in _page(response)


def test_image_over_meta_limit(admin_web, meta_calls, db):
    big = b"\xff\xd8\xff\xe0" + b"\x00" * (20 * MB)
    data = form_data(header_format="IMAGE", header_file=upload(big, "foto.jpg"))
    response = _post(admin_web, data)
    _assert_refused(response, meta_calls, db, "5 MB")
    assert 'data-error-for="header_handle"' in _page(response)


def test_exe_renamed_jpg(admin_web, meta_calls, db):
    exe = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200
    data = form_data(header_format="IMAGE", header_file=upload(exe, "foto.jpg"))
    _assert_refused(_post(admin_web, data), meta_calls, db, "executável")


def test_media_header_without_file(admin_web, meta_calls, db):
    _assert_refused(
        _post(admin_web, form_data(header_format="VIDEO")), meta_calls, db, "arquivo de mídia"
    )


def test_duplicate_name_and_language_checked_locally(
    admin_web, meta_calls, db, tenant, create_template
):
    create_template(tenant, name="pedido_enviado", language="pt_BR")
    response = _post(admin_web, form_data())
    assert response.status_code == 400
    assert "Já existe um modelo" in _page(response)
    assert meta_calls.creates() == []
    # another language of the same name is fine (goes to Meta)
    ok = _post(admin_web, form_data(language="en_US"))
    assert ok.status_code == 302
    assert len(meta_calls.creates()) == 1


def test_too_many_url_buttons(admin_web, meta_calls, db):
    data = form_data(
        button_type=["URL", "URL", "URL"],
        button_text=["Site 1", "Site 2", "Site 3"],
        button_url=["https://a.example", "https://b.example", "https://c.example"],
        button_url_example=["", "", ""],
        button_phone=["", "", ""],
        button_code=["", "", ""],
    )
    _assert_refused(_post(admin_web, data), meta_calls, db, "No máximo 2")


def test_meta_refusal_is_shown_on_the_form(admin_web, meta_calls, db, create_on_meta):
    """Passes every local rule, but Meta already has it (created outside ClickPro)."""
    create_on_meta("pedido_enviado")
    response = _post(admin_web, form_data())
    assert response.status_code == 400
    page = _page(response)
    assert "already exists" in page  # Meta's own details, verbatim
    assert len(meta_calls.creates()) == 1
    assert db.session.scalar(sa.select(sa.func.count(Template.id))) == 0


def test_without_credentials(login_as, create_client, meta_calls, db):
    tenant = create_client()
    web = login_as(tenant.admin, tenant)
    response = _post(web, form_data())
    assert response.status_code == 400
    assert "credenciais do WhatsApp" in _page(response)
    assert meta_calls.calls == []
    assert 'data-testid="not-connected"' in web.get("/templates").get_data(as_text=True)
    synced = web.post("/templates/sync", follow_redirects=True)
    assert "Cadastre as credenciais" in _page(synced)


def test_valid_png_header_reaches_the_upload_api(admin_web, meta_calls, db):
    data = form_data(header_format="IMAGE", header_file=upload(tiny_png(), "logo.png"))
    response = _post(admin_web, data)
    assert response.status_code == 302, _page(response)
    assert len(meta_calls.uploads()) == 2  # open the session, then send the bytes
    template = db.session.scalar(sa.select(Template))
    header = template.components[0]
    assert header["format"] == "IMAGE"
    assert header["example"]["header_handle"][0].startswith("4::")


def test_client_user_sees_list_read_only(login_as, tenant, create_member, create_template, db):
    create_template(tenant, name="aviso_geral")
    user = create_member(tenant)
    web = login_as(user, tenant)
    page = web.get("/templates").get_data(as_text=True)
    assert "aviso_geral" in page
    assert 'data-testid="new-template"' not in page
    assert 'data-testid="sync-now"' not in page
    assert web.get("/templates/new").status_code == 403
    assert web.post("/templates/new", data=form_data()).status_code == 403
    assert web.post("/templates/sync").status_code == 403


def test_other_clients_template_is_404(admin_web, tenants, create_template):
    other = create_template(tenants.b, name="segredo_de_b")
    assert admin_web.get(f"/templates/{other.id}").status_code == 404
    assert admin_web.get(f"/templates/{other.id}/delete").status_code == 404
    assert admin_web.post(f"/templates/{other.id}/delete").status_code == 404
    assert admin_web.get(f"/templates/{other.id}/duplicate").status_code == 404
    assert "segredo_de_b" not in admin_web.get("/templates").get_data(as_text=True)
