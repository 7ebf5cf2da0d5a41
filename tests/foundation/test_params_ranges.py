"""The 500s of issue 14, one by one: each is now a 400 (or 404) with a clear message."""

from __future__ import annotations

import io

import pytest

from clickpro.params import BadParameter, parse_date, parse_datetime, parse_id, parse_int


@pytest.fixture
def web(
    app,
    create_client,
    create_contact,
    create_conversation,
    create_message,
    create_template,
    login_as,
):
    tenant = create_client("Loja")
    contact = create_contact(tenant, "+5511987650001", name="Ana")
    # The inbox is keyed by conversation (contact + number, issue 16), not by contact.
    conversation = create_conversation(tenant, contact)
    create_message(tenant, contact, body="Oi", conversation=conversation)
    create_template(tenant, name="boas_vindas")
    web = login_as(tenant.admin, tenant)
    web.contact = contact
    web.conversation = conversation
    return web


@pytest.mark.parametrize(
    "query",
    [
        "date_to=9999-12-31",
        "date_from=0001-01-01",
        "label=99999999999999999999",
        "cursor=0001-01-01|" + "9" * 30,
        "cursor=9999-12-31T00:00:00|1",
        "limit=1e20",
    ],
)
def test_inbox_list_parameters_are_400(web, query):
    response = web.get(f"/inbox/api/conversations?{query}")
    assert response.status_code in (400, 422)
    assert response.get_json()["error"]["message"]


def test_inbox_message_and_update_ids_are_400(web):
    conversation_id = web.conversation.id
    before = web.get(f"/inbox/api/conversations/{conversation_id}/messages?before_id=1e20")
    assert before.status_code == 400
    assert "before_id" in before.get_json()["error"]["details"]
    assert web.get("/inbox/api/updates?since_id=1e23").status_code == 400
    assert web.get("/inbox/api/updates?since_id=99999999999999999999").status_code == 400
    assert web.get("/inbox/api/updates?since=9999-12-31T99").status_code == 400
    assert web.get("/inbox/api/updates?since_id=0").status_code == 200


def test_inbox_assign_with_a_float_user_id_is_a_4xx(web):
    response = web.post(
        f"/inbox/api/conversations/{web.conversation.id}/assign", json={"user_id": 1e23}
    )
    assert 400 <= response.status_code < 500


def test_huge_path_ids_are_404(web):
    assert web.get("/contacts/99999999999999999999").status_code == 404
    assert web.get("/campaigns/9223372036854775808").status_code == 404


def test_campaign_wizard_ids(web):
    huge = web.post("/campaigns/preview.json", json={"template_id": 10**20, "list_ids": [1e23]})
    assert huge.status_code == 400
    sheet = web.post(
        "/campaigns/from-sheet",
        data={"template_id": "abc", "name": "x", "file": (io.BytesIO(b"telefone\n1\n"), "a.csv")},
        content_type="multipart/form-data",
    )
    assert sheet.status_code < 500 and "template_id" in sheet.get_data(as_text=True)


def test_json_to_a_form_route_is_never_a_500(web):
    for body in ({"name": 1e23}, [1, 2], {"name": {"a": 1}}, {"name": [10**20]}):
        assert web.post("/contacts/lists", json=body).status_code < 500


def test_the_helpers():
    assert parse_int("42", "n") == 42 and parse_int(" 7 ", "n") == 7
    assert parse_int("", "n", default=3) == 3 and parse_id(None, "id") is None
    for bad in ("1e23", "1.0", "abc", "9" * 20, True, 1.5, "1\x00", "٣"):
        with pytest.raises(BadParameter):
            parse_int(bad, "n")
    with pytest.raises(BadParameter, match="fora do intervalo"):
        parse_id(0, "id")
    assert parse_date("2026-12-01", "d").year == 2026
    for bad in ("9999-12-31", "0001-01-01", "2026-13-01", "x" * 100):
        with pytest.raises(BadParameter):
            parse_date(bad, "d")
    assert parse_datetime("2026-12-01T10:00:00Z", "t").tzinfo is not None
