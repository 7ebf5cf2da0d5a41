"""Every error under /api/v1 has one shape: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

import pytest
from api_helpers import assert_error

from clickpro.services.contacts import service as contacts


def test_unknown_path_and_wrong_method(app, api, client):
    assert_error(api.get("/api/v1/nada-aqui"), 404, "not_found")
    assert_error(client.get("/api/v1/nada-aqui"), 404, "not_found")
    assert_error(api.put("/api/v1/contacts", json={}), 405, "method_not_allowed")


def test_bad_bodies(app, api):
    response = api.http.post(
        "/api/v1/contacts",
        data="{not json",
        headers=api.headers({"Content-Type": "application/json"}),
    )
    assert_error(response, 400, "invalid_json")
    assert_error(api.post("/api/v1/contacts", data="phone=1"), 415, "unsupported_media_type")
    error = assert_error(api.post("/api/v1/contacts", json=[1, 2]), 422, "validation_error")
    assert error["details"]


def test_too_large_body_is_413(app, api):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = api.post("/api/v1/contacts", json={"phone": "1" * 20, "name": "x" * 5000})
    assert_error(response, 413, "payload_too_large")


def test_unexpected_failure_is_500_in_the_shape(app, api, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disco cheio")

    monkeypatch.setattr(contacts, "search_contacts", boom)
    response = api.get("/api/v1/contacts")
    error = assert_error(response, 500, "internal_error")
    assert "disco cheio" not in response.get_data(as_text=True)
    assert error["details"] == {}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"phone": "+5511987650000", "attributes": "x"}, "attributes"),
        ({"phone": 5511}, "phone"),
        ({"phone": "+5511987650000", "name": "x" * 201}, "name"),
    ],
)
def test_validation_details_name_fields(app, api, payload, field):
    error = assert_error(api.post("/api/v1/contacts", json=payload), 422, "validation_error")
    assert field in error["details"] and all(error["details"][field])
