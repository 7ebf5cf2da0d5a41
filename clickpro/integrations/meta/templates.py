"""Message templates of a WABA and the Resumable Upload API for their media headers."""

from __future__ import annotations

from typing import Any

from clickpro.integrations.meta.errors import GraphError
from clickpro.integrations.meta.transport import GraphTransport


class TemplatesAPI(GraphTransport):
    """``/{waba_id}/message_templates`` and ``/{app_id}/uploads``."""

    def list_templates(self, waba_id: str, *, name: str | None = None) -> list[dict]:
        params: dict[str, Any] = {
            "fields": "id,name,language,status,category,components,rejected_reason,"
            "message_send_ttl_seconds",
            "limit": 100,
        }
        if name:
            params["name"] = name
        return list(self._paginate(f"{waba_id}/message_templates", params))

    def create_template(self, waba_id: str, payload: dict) -> dict:
        """``payload`` as built by services.templates: name, language, category, components
        and, when the user set one, ``message_send_ttl_seconds`` (Meta's TTL per template)."""
        return self._post(f"{waba_id}/message_templates", json=payload)

    def delete_template(self, waba_id: str, name: str) -> dict:
        return self._json(
            self._request("DELETE", f"{waba_id}/message_templates", params={"name": name})
        )

    def upload_header_media(
        self, app_id: str, file_name: str, content: bytes, mime_type: str
    ) -> str:
        """Resumable Upload API: open a session, send the bytes, return the ``4::…`` handle."""
        session = self._post(
            f"{app_id}/uploads",
            params={"file_name": file_name, "file_length": len(content), "file_type": mime_type},
        )
        upload_id = session.get("id")
        if not upload_id:
            raise GraphError(status_code=None, code=None, title="Upload session without id")
        body = self._post(
            str(upload_id),
            content=content,
            headers={"Authorization": f"OAuth {self._token}", "file_offset": "0"},
        )
        handle = body.get("h")
        if not handle:
            raise GraphError(status_code=None, code=None, title="Upload without handle")
        return str(handle)
