"""Helpers of the REST API tests (importable from the test modules)."""

from __future__ import annotations


class Api:
    """The Flask test client with ``Authorization: Bearer <token>`` on every call."""

    def __init__(self, http, token: str) -> None:
        self.http = http
        self.token = token

    def headers(self, extra: dict | None = None) -> dict:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def get(self, url: str, **kwargs):
        return self.http.get(url, headers=self.headers(kwargs.pop("headers", None)), **kwargs)

    def post(self, url: str, json=None, **kwargs):
        return self.http.post(
            url, json=json, headers=self.headers(kwargs.pop("headers", None)), **kwargs
        )

    def put(self, url: str, json=None, **kwargs):
        return self.http.put(
            url, json=json, headers=self.headers(kwargs.pop("headers", None)), **kwargs
        )

    def patch(self, url: str, json=None, **kwargs):
        return self.http.patch(
            url, json=json, headers=self.headers(kwargs.pop("headers", None)), **kwargs
        )

    def delete(self, url: str, json=None, **kwargs):
        return self.http.delete(
            url, json=json, headers=self.headers(kwargs.pop("headers", None)), **kwargs
        )


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The one error shape of /api/v1."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]
