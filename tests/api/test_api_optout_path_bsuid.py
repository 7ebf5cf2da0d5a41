"""DELETE /optouts/{phone} takes Meta's longest BSUID: the OpenAPI path parameter allows
it (maxLength was 40, a BSUID is up to 135 characters) and the route removes it."""

from __future__ import annotations

LONGEST = "BR.ENT." + "a1" * 64  # 135 characters: CC.ENT.<128>


def test_openapi_path_parameter_fits_the_longest_bsuid(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    (param,) = doc["paths"]["/api/v1/optouts/{phone}"]["delete"]["parameters"]
    assert param["schema"]["maxLength"] >= len(LONGEST) == 135


def test_delete_optout_of_the_longest_bsuid(api):
    assert api.post("/api/v1/optouts", json={"bsuid": LONGEST}).status_code == 201
    assert api.delete(f"/api/v1/optouts/{LONGEST}").status_code == 200
    assert api.get("/api/v1/optouts").get_json()["data"] == []
