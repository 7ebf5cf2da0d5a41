"""Message templates in the sandbox: create (validated), list with cursors, delete, review.

A new template is PENDING; ``template_review_delay_s`` later it becomes APPROVED, or
REJECTED (``INVALID_FORMAT``) when its name starts with ``reject_``. Every change posts a
``message_template_status_update`` webhook. The review runs on the sandbox timer and is
also applied lazily on read, so a reader never sees a template stuck after its due time.
"""

from __future__ import annotations

import base64
import itertools
import re
import threading
import time
from typing import TYPE_CHECKING, Any

from clickpro.sandbox.errors import error_body

if TYPE_CHECKING:
    from clickpro.sandbox.state import Account, SandboxState

NAME_RE = re.compile(r"^[a-z0-9_]{1,512}$")
VAR_RE = re.compile(r"\{\{(\d+)\}\}")
CATEGORIES = {"MARKETING", "UTILITY", "AUTHENTICATION"}
# message_send_ttl_seconds per category (reference whatsapp-2026.md §4), inclusive.
TTL_RANGES = {"MARKETING": (43200, 2592000), "UTILITY": (30, 43200), "AUTHENTICATION": (30, 900)}
HEADER_FORMATS = {"TEXT", "IMAGE", "VIDEO", "DOCUMENT"}
STATUSES = {
    "PENDING",
    "APPROVED",
    "REJECTED",
    "PAUSED",
    "DISABLED",
    "IN_APPEAL",
    "PENDING_DELETION",
    "DELETED",
    "ARCHIVED",
    "LIMIT_EXCEEDED",
}

Result = tuple[dict[str, Any], int]


def _invalid(details: str) -> Result:
    return error_body(100, details=details)


def validate(payload: dict[str, Any]) -> str | None:
    """Meta's template rules from the reference; returns the error details or None."""
    name = payload.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        return "Template name must be lower-case letters, digits and underscores (max 512)."
    if not payload.get("language"):
        return "The parameter language is required."
    if payload.get("category") not in CATEGORIES:
        return "Invalid category: use MARKETING, UTILITY or AUTHENTICATION."
    ttl_problem = _validate_ttl(payload)
    if ttl_problem:
        return ttl_problem
    components = payload.get("components")
    if not isinstance(components, list) or not components:
        return "The parameter components is required."
    types = [str(c.get("type", "")).upper() for c in components if isinstance(c, dict)]
    if len(types) != len(components) or "BODY" not in types:
        return "A BODY component is required."
    for comp, ctype in zip(components, types, strict=True):
        problem = _validate_component(comp, ctype)
        if problem:
            return problem
    return None


def _validate_ttl(payload: dict[str, Any]) -> str | None:
    """``message_send_ttl_seconds``: optional; an integer in the category's range."""
    if "message_send_ttl_seconds" not in payload:
        return None
    ttl = payload["message_send_ttl_seconds"]
    low, high = TTL_RANGES[payload["category"]]
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not low <= ttl <= high:
        return (
            f"message_send_ttl_seconds for {payload['category']} templates must be an "
            f"integer between {low} and {high}."
        )
    return None


def _validate_component(comp: dict[str, Any], ctype: str) -> str | None:
    text = comp.get("text") or ""
    variables = [int(v) for v in VAR_RE.findall(text)]
    if variables and sorted(set(variables)) != list(range(1, max(variables) + 1)):
        return f"{ctype} variables must be sequential {{{{1}}}}, {{{{2}}}}…"
    if ctype == "HEADER":
        fmt = str(comp.get("format", "")).upper()
        if fmt not in HEADER_FORMATS:
            return "Header format must be TEXT, IMAGE, VIDEO or DOCUMENT."
        if fmt == "TEXT" and (len(text) > 60 or len(variables) > 1):
            return "Header text is limited to 60 characters and one variable."
        if fmt != "TEXT" and not (comp.get("example") or {}).get("header_handle"):
            return "A media header needs example.header_handle."
    elif ctype == "BODY":
        if not text or len(text) > 1024:
            return "Body text is required and limited to 1024 characters."
        if variables and not (comp.get("example") or {}).get("body_text"):
            return "Body variables need example.body_text."
    elif ctype == "FOOTER":
        if len(text) > 60:
            return "Footer text is limited to 60 characters."
    elif ctype == "BUTTONS":
        buttons = comp.get("buttons") or []
        kinds = [str(b.get("type", "")).upper() for b in buttons]
        if not buttons or len(buttons) > 10 or kinds.count("URL") > 2:
            return "Buttons: 1 to 10, at most 2 URL buttons."
        if kinds.count("PHONE_NUMBER") > 1:
            return "Buttons: at most 1 PHONE_NUMBER button."
    else:
        return f"Unknown component type {ctype}."
    return None


def body_variable_count(template: dict[str, Any]) -> int:
    for comp in template["components"]:
        if str(comp.get("type", "")).upper() == "BODY":
            return len(set(VAR_RE.findall(comp.get("text") or "")))
    return 0


class TemplateStore:
    def __init__(self, state: SandboxState) -> None:
        self._state = state
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._items: dict[str, dict[str, Any]] = {}  # id -> template (insertion order)
            self._review_at: dict[str, float] = {}
            self._ids = itertools.count(594425479261596)

    # ------------------------------------------------------------------ API
    def create(self, account: Account, payload: dict[str, Any]) -> Result:
        problem = validate(payload)
        if problem:
            return _invalid(problem)
        with self._lock:
            if self.find(account.waba_id, payload["name"], payload["language"]):
                return error_body(
                    100,
                    subcode=2388024,
                    message="(#100) Invalid parameter",
                    details=(
                        f"Content in this language already exists for template "
                        f"{payload['name']} ({payload['language']})."
                    ),
                )
            template_id = str(next(self._ids))
            template = {
                "id": template_id,
                "waba_id": account.waba_id,
                "name": payload["name"],
                "language": payload["language"],
                "category": payload["category"],
                "components": payload["components"],
                "status": "PENDING",
                "rejected_reason": "NONE",
            }
            if "message_send_ttl_seconds" in payload:
                template["message_send_ttl_seconds"] = payload["message_send_ttl_seconds"]
            self._items[template_id] = template
            delay = float(self._state.config.get("template_review_delay_s", 2.0))
            self._review_at[template_id] = time.monotonic() + delay
        self._state.dispatcher.scheduler.call_later(delay, lambda: self._review(template_id))
        return {"id": template_id, "status": "PENDING", "category": payload["category"]}, 200

    def find(self, waba_id: str, name: str, language: str) -> dict[str, Any] | None:
        with self._lock:
            for template in self._items.values():
                if (
                    template["waba_id"] == waba_id
                    and template["name"] == name
                    and template["language"] == language
                ):
                    self._review_if_due(template["id"])
                    return template
        return None

    def list(
        self, waba_id: str, *, name: str | None, limit: int, after: str | None, next_url: str
    ) -> Result:
        with self._lock:
            for template_id in list(self._review_at):
                self._review_if_due(template_id)
            rows = [
                self.public(t)
                for t in self._items.values()
                if t["waba_id"] == waba_id and (not name or t["name"] == name)
            ]
        start = _decode_cursor(after) if after else 0
        limit = max(1, min(int(limit), 1000))
        page = rows[start : start + limit]
        body: dict[str, Any] = {"data": page}
        if page:
            body["paging"] = {
                "cursors": {
                    "before": _encode_cursor(start),
                    "after": _encode_cursor(start + len(page)),
                }
            }
            if start + len(page) < len(rows):
                body["paging"]["next"] = f"{next_url}&after={_encode_cursor(start + len(page))}"
        return body, 200

    def delete(self, waba_id: str, name: str | None) -> Result:
        if not name:
            return _invalid("The parameter name is required.")
        with self._lock:
            doomed = [
                k for k, t in self._items.items() if t["waba_id"] == waba_id and t["name"] == name
            ]
            if not doomed:
                return error_body(100, subcode=2593002, details=f"Template {name} not found.")
            for template_id in doomed:
                self._items.pop(template_id)
                self._review_at.pop(template_id, None)
        return {"success": True}, 200

    def set_status(self, template_id: str, status: str, reason: str = "NONE") -> dict[str, Any]:
        """Change a template's status (control API: PAUSED, DISABLED…) and notify."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status}")
        with self._lock:
            template = self._items.get(str(template_id))
            if template is None:
                raise KeyError(f"unknown template {template_id}")
            self._review_at.pop(template["id"], None)
            self._change(template, status, reason)
            return self.public(template)

    @staticmethod
    def public(template: dict[str, Any]) -> dict[str, Any]:
        data = {k: v for k, v in template.items() if k != "waba_id"}
        if data["status"] != "REJECTED":
            data.pop("rejected_reason", None)
        return data

    # ------------------------------------------------------------------ review
    def _review(self, template_id: str) -> None:
        with self._lock:
            self._review_if_due(template_id, force=True)

    def _review_if_due(self, template_id: str, force: bool = False) -> None:
        due = self._review_at.get(template_id)
        if due is None or (not force and time.monotonic() < due):
            return
        del self._review_at[template_id]
        template = self._items.get(template_id)
        if template is None or template["status"] != "PENDING":
            return
        if template["name"].startswith("reject_"):
            self._change(template, "REJECTED", "INVALID_FORMAT")
        else:
            self._change(template, "APPROVED", "NONE")

    def _change(self, template: dict[str, Any], status: str, reason: str) -> None:
        template["status"] = status
        template["rejected_reason"] = reason if status == "REJECTED" else "NONE"
        account = self._state.account_for_waba(template["waba_id"])
        if account is None:
            return
        value = {
            "event": status,
            "message_template_id": int(template["id"]),
            "message_template_name": template["name"],
            "message_template_language": template["language"],
            "reason": reason if status == "REJECTED" else "NONE",
        }
        self._state.dispatcher.emit(account, "message_template_status_update", value)


def _encode_cursor(index: int) -> str:
    return base64.urlsafe_b64encode(f"idx:{index}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        return max(0, int(raw.removeprefix("idx:")))
    except (ValueError, UnicodeDecodeError):
        return 0
