"""``POST /{phone_number_id}/messages`` (and ``/marketing_messages``) semantics: validate,
admit, record, schedule statuses.

Status webhooks carry Meta's ``pricing`` object (on ``sent`` and on ``delivered``, never on
``read``): ``type`` regular for templates outside the customer service window,
free_customer_service for non-templates and utility templates inside it; a marketing
template sent through ``/marketing_messages`` by an onboarded WABA is ``marketing_lite``.
A template marked ``paced`` in the sandbox answers ``held_for_quality_assessment`` and
gets no statuses until released (Meta's template pacing)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from clickpro.sandbox.errors import error_body, status_error
from clickpro.sandbox.templates import body_variable_count

if TYPE_CHECKING:
    from clickpro.sandbox.state import Account, SandboxState

MEDIA_TYPES = {"image", "video", "audio", "document", "sticker"}
OTHER_TYPES = {"interactive", "location", "contacts", "reaction"}
FAKE_REPLIES = (
    "Quero saber mais",
    "Oi! Tenho interesse",
    "Qual o valor?",
    "Vocês entregam em Campinas?",
    "Obrigado!",
)
Result = tuple[dict[str, Any], int]
BSUID = re.compile(r"^[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$")
_LOOKS_LIKE_BSUID = re.compile(r"^[A-Za-z]{2}\.")


def _invalid(details: str) -> Result:
    return error_body(100, details=details)


def _check_interactive(inter: dict[str, Any]) -> str | None:
    """Meta's limits of reply buttons and list messages (error 131009 / 100 details)."""
    kind = inter.get("type")
    body = (inter.get("body") or {}).get("text") if isinstance(inter.get("body"), dict) else None
    found = inter.get("action")
    action: dict[str, Any] = found if isinstance(found, dict) else {}
    if kind not in ("button", "list", "cta_url", "product", "product_list", "flow"):
        return f"interactive.type {kind!r} is not supported."
    if kind in ("button", "list") and (not isinstance(body, str) or not body):
        return "interactive.body.text is required."
    if kind == "button":
        buttons = action.get("buttons") or []
        if not 1 <= len(buttons) <= 3:
            return "action.buttons must have 1 to 3 buttons."
        titles = []
        for b in buttons:
            reply = b.get("reply") if isinstance(b, dict) else None
            if b.get("type") != "reply" or not isinstance(reply, dict):
                return "Each button must be {type: reply, reply: {id, title}}."
            title, bid = str(reply.get("title") or ""), str(reply.get("id") or "")
            if not title or len(title) > 20 or not bid or len(bid) > 256:
                return "Button title is required (max 20 characters), id max 256."
            titles.append(title)
        if len(set(titles)) != len(titles):
            return "Button titles must be unique."
        if len(str(body)) > 1024:
            return "interactive.body.text max 1024 characters for buttons."
    if kind == "list":
        button = str(action.get("button") or "")
        sections = action.get("sections") or []
        if not button or len(button) > 20:
            return "action.button is required (max 20 characters)."
        if not 1 <= len(sections) <= 10:
            return "action.sections must have 1 to 10 sections."
        total = 0
        for section in sections:
            if not isinstance(section, dict):
                return "Each section must be an object."
            rows = section.get("rows") or []
            if len(sections) > 1 and not section.get("title"):
                return "section.title is required with more than one section."
            if len(str(section.get("title") or "")) > 24:
                return "section.title max 24 characters."
            for row in rows:
                total += 1
                if not row.get("id") or not row.get("title") or len(str(row["title"])) > 24:
                    return "row.id and row.title are required (title max 24 characters)."
                if len(str(row.get("description") or "")) > 72:
                    return "row.description max 72 characters."
        if not 1 <= total <= 10:
            return "A list message has 1 to 10 rows in all."
    return None


def handle_send(
    state: SandboxState, account: Account, payload: dict[str, Any], endpoint: str = "messages"
) -> Result:
    """Meta's answer to one send request (body, HTTP status)."""
    if payload.get("messaging_product") != "whatsapp":
        return _invalid("The parameter messaging_product is required.")
    marketing_api = endpoint == "marketing_messages"
    if marketing_api and payload.get("type") != "template":
        return _invalid("Message must be a template message.")
    if "status" in payload:
        if payload.get("status") != "read" or not payload.get("message_id"):
            return _invalid("Mark as read needs status=read and message_id.")
        state.read_marks.append(str(payload["message_id"]))
        if "typing_indicator" in payload:
            if payload.get("typing_indicator") != {"type": "text"}:
                return _invalid('typing_indicator must be {"type": "text"}.')
            state.typing_indicators.append(
                {
                    "message_id": str(payload["message_id"]),
                    "phone_number_id": account.phone_number_id,
                }
            )
        return {"success": True}, 200
    address = _address(payload)
    if not isinstance(address, Address):
        return address
    to = address.key
    mtype = payload.get("type", "text")
    content = payload.get(mtype)
    if mtype not in MEDIA_TYPES | OTHER_TYPES | {"text", "template"}:
        return _invalid(f"Unsupported message type {mtype!r}.")
    if not isinstance(content, dict):
        return _invalid(f"The parameter {mtype} is required.")
    callback = payload.get("biz_opaque_callback_data")
    if callback is not None and len(str(callback)) > 512:
        return _invalid("biz_opaque_callback_data is limited to 512 characters.")

    template: dict[str, Any] | None = None
    if mtype == "template" and address.bsuid and not address.dropped:
        refused = _refused_to_bsuid(state, account, content)
        if refused is not None:
            return refused
    if mtype == "text":
        body = content.get("body")
        if not isinstance(body, str) or not body or len(body) > 4096:
            return _invalid("text.body is required (max 4096 characters).")
    elif mtype in MEDIA_TYPES:
        if bool(content.get("id")) == bool(content.get("link")):
            return _invalid(f"{mtype} needs exactly one of id or link.")
        if content.get("id") and str(content["id"]) not in state.media:
            return _invalid(f"Media id {content['id']} not found.")
        if "voice" in content and (mtype != "audio" or not isinstance(content["voice"], bool)):
            return _invalid("voice is a boolean of audio messages only.")
    elif mtype == "template":
        template, problem = _check_template(state, account, content)
        if problem is not None:
            return problem
    elif mtype == "interactive":
        shape_problem = _check_interactive(content)
        if shape_problem is not None:
            return _invalid(shape_problem)
    lite = False
    if marketing_api and template is not None:
        if str(template.get("category", "")).upper() != "MARKETING":
            return error_body(134100)
        lite = account.marketing_messages_status == "ONBOARDED"
        if not lite and payload.get("product_policy") == "STRICT":
            return error_body(134102)

    if (
        mtype != "template"
        and state.config.get("enforce_window")
        and not state.window_open(account, to, time.time())
    ):
        return error_body(131047)
    rule = state.injected_failure(account, to)
    if rule is not None and not rule.get("async"):
        state.count_failure(int(rule["code"]))
        return error_body(int(rule["code"]))
    now = time.time()
    if not state.pair_rate_ok(account, to, now):
        state.count_failure(131056)
        return error_body(131056)
    if not state.try_accept(account, now):  # last check: "accepted" counts only real sends
        return error_body(130429)

    wa_id = address.phone
    if wa_id and state.config.get("br_wa_id_without_nine") and _is_br_mobile(wa_id):
        wa_id = wa_id[:4] + wa_id[5:]
    wamid = state.new_wamid()
    record = {
        "phone_number_id": account.phone_number_id,
        "to": address.phone,
        "recipient": address.bsuid,
        # A BSUID sent in "to": accepted with a wamid, never delivered (no statuses).
        "dropped": address.dropped,
        "recipient_user_id": address.bsuid or _customer_bsuid(state, account, address.phone),
        "wa_id": wa_id,
        "type": mtype,
        "template": template["name"] if template else None,
        "language": template["language"] if template else None,
        "wamid": wamid,
        "callback_data": callback,
        "ts": now,
        "endpoint": endpoint,
    }
    if mtype in MEDIA_TYPES:  # what was sent: {id|link, caption?, filename?, voice?}
        record[mtype] = dict(content)
    state.sends.append(record)
    category = str(template["category"]).lower() if template else "service"
    if lite:
        category = "marketing_lite"
    in_window = state.window_open(account, to, now)
    record["pricing_type"] = (
        "free_customer_service" if category in ("service", "utility") and in_window else "regular"
    )
    held = bool(template and template.get("paced"))
    if held:
        state.held.append((account, record, category))
    if address.dropped:
        pass  # Meta's silent drop: the wamid leads nowhere
    elif rule is not None:  # async failure: accepted, then a failed status
        state.count_failure(int(rule["code"]))
        _schedule_failed(state, account, record, category, int(rule["code"]))
    elif not held:
        schedule_statuses(state, account, record, category)
        if (
            template is not None
            and wa_id
            and state.rng.random() < float(state.config.get("reply_rate", 0))
        ):
            state.simulate_inbound(
                account.phone_number_id,
                wa_id,
                text=state.rng.choice(FAKE_REPLIES),
                name=f"Cliente {wa_id[-4:]}",
                context_id=wamid,
                delay=float(state.config.get("reply_delay_s", 0.5)),
            )
    return {
        "messaging_product": "whatsapp",
        "contacts": [address.contact(wa_id)],
        "messages": [
            {"id": wamid, "message_status": "held_for_quality_assessment" if held else "accepted"}
        ],
    }, 200


@dataclass(frozen=True)
class Address:
    """Whom a send request addresses (reference §1 "Sending")."""

    raw: str  # what the request said, echoed in contacts[].input
    phone: str | None = None  # digits, for "to" sends
    bsuid: str | None = None  # for "recipient" sends
    dropped: bool = False  # a BSUID in "to": Meta strips "CC." and dials the rest

    @property
    def key(self) -> str:
        """Per-customer key (window, pair rate, failure rules)."""
        return self.phone or str(self.bsuid)

    def contact(self, wa_id: str | None) -> dict[str, Any]:
        """``contacts[0]``: ``wa_id`` for phone sends only, ``user_id`` for BSUID sends."""
        if self.bsuid:
            return {"input": self.raw, "user_id": self.bsuid}
        return {"input": self.raw, "wa_id": wa_id}


def _address(payload: dict[str, Any]) -> Address | Result:
    """``to`` (phone) wins over ``recipient`` (BSUID); neither is error 100."""
    recipient_type = payload.get("recipient_type", "individual")
    if recipient_type not in ("individual", "group"):
        return _invalid(f"Invalid parameter recipient_type {recipient_type!r}.")
    to_raw = payload.get("to")
    if to_raw:
        text = str(to_raw)
        if _LOOKS_LIKE_BSUID.match(text):  # the country prefix is stripped, the rest dialled
            digits = "".join(ch for ch in text.split(".")[-1] if ch.isdigit())
            return Address(raw=text, phone=digits or text, dropped=True)
        to = text.lstrip("+").replace(" ", "").replace("-", "")
        if not to.isdigit() or not 8 <= len(to) <= 15:
            return _invalid("The parameter to must be a phone number.")
        return Address(raw=text, phone=to)
    recipient = payload.get("recipient")
    if recipient:
        text = str(recipient)
        if not BSUID.match(text):
            return _invalid("The parameter recipient must be a business-scoped user ID.")
        return Address(raw=text, bsuid=text)
    return error_body(100, message="(#100) The parameter to is required.",
                      details="The parameter to is required")  # fmt: skip


def _refused_to_bsuid(
    state: SandboxState, account: Account, content: dict[str, Any]
) -> Result | None:
    """Authentication templates (one-tap, zero-tap, copy-code) cannot go to a BSUID."""
    template = state.templates.find(
        account.waba_id, str(content.get("name")), str((content.get("language") or {}).get("code"))
    )
    if template is not None and str(template.get("category", "")).upper() == "AUTHENTICATION":
        return error_body(
            131062,
            message="(#131062) Business-scoped User ID (BSUID) recipients are not supported "
            "for this message",
        )
    return None


def _customer_bsuid(state: SandboxState, account: Account, phone: str | None) -> str | None:
    """The fake customer's BSUID, when the sandbox gives its customers one."""
    find = getattr(state, "bsuid_of", None)
    return find(account, phone) if callable(find) and phone else None


def _is_br_mobile(number: str) -> bool:
    """55 + area code + 9XXXXXXXX: the form WhatsApp often answers without the 9."""
    return len(number) == 13 and number.startswith("55") and number[4] == "9"


def _check_template(
    state: SandboxState, account: Account, content: dict[str, Any]
) -> tuple[dict[str, Any] | None, Result | None]:
    name = content.get("name")
    language = (content.get("language") or {}).get("code")
    if not name or not language:
        return None, _invalid("template.name and template.language.code are required.")
    template = state.templates.find(account.waba_id, str(name), str(language))
    if template is None:
        return None, error_body(
            132001, details=f"template name ({name}) does not exist in {language}"
        )
    status = template["status"]
    if status == "PAUSED":
        return None, error_body(132015)
    if status == "DISABLED":
        return None, error_body(132016)
    if status != "APPROVED":
        return None, error_body(
            132001, details=f"template name ({name}) is not approved in {language}"
        )
    expected = body_variable_count(template)
    given = 0
    for comp in content.get("components") or []:
        if str(comp.get("type", "")).lower() == "body":
            params = comp.get("parameters") or []
            given = len(params)
            if any(p.get("type") == "text" and not p.get("text") for p in params):
                return None, error_body(132012)
    if given != expected:
        return None, error_body(
            132000,
            details=f"body: number of localizable_params ({given}) does not match "
            f"the expected number of params ({expected})",
        )
    return template, None


def _status(record: dict[str, Any], status: str, category: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": record["wamid"],
        "status": status,
        "timestamp": str(int(time.time())),
        "conversation": {"id": "conv" + record["wamid"][-16:], "origin": {"type": category}},
    }
    if record.get("to"):  # omitted for a BSUID send (the phone rules may hide it)
        item["recipient_id"] = record["wa_id"]
    if record.get("recipient_user_id") and not (status == "failed" and record.get("to")):
        item["recipient_user_id"] = record["recipient_user_id"]  # failed phone sends: no
    if status in ("sent", "delivered", "failed"):  # Meta: on sent and delivered, not on read
        kind = record.get("pricing_type", "regular")
        item["pricing"] = {"billable": kind == "regular", "pricing_model": "PMP",
                           "type": kind, "category": category}  # fmt: skip
    if status == "sent":
        item["conversation"]["expiration_timestamp"] = str(int(time.time()) + 86400)
    if record["callback_data"] is not None:
        item["biz_opaque_callback_data"] = record["callback_data"]
    return item


def schedule_statuses(
    state: SandboxState, account: Account, record: dict[str, Any], category: str
) -> None:
    """sent → delivered → read webhooks, per ``status_mode``.

    The timestamp is taken when the event is built (at send time), like Meta's own events
    which carry the time of the state change, not of the delivery attempt.
    """
    mode = state.config.get("status_mode", "ordered")
    if mode == "off":
        return
    gap = float(state.config.get("status_delay_s", 0.05))
    steps = ["sent", "delivered", "read"]
    delays = [gap * (n + 1) for n in range(3)]
    if mode == "shuffled":
        state.rng.shuffle(steps)
    plan = list(zip(delays, steps, strict=True))
    if mode == "duplicated":
        plan = [(d + extra, s) for d, s in plan for extra in (0.0, gap / 10)]
    for delay, step in plan:
        state.dispatcher.emit(
            account, "messages", {"statuses": [_status(record, step, category)]}, delay
        )


def _schedule_failed(
    state: SandboxState, account: Account, record: dict[str, Any], category: str, code: int
) -> None:
    item = _status(record, "failed", category)
    item.pop("conversation", None)
    item["pricing"]["billable"] = False
    item["errors"] = [status_error(code)]
    gap = float(state.config.get("status_delay_s", 0.05))
    state.dispatcher.emit(account, "messages", {"statuses": [item]}, gap)


def drop_held(state: SandboxState, account: Account, record: dict[str, Any], category: str) -> None:
    """A held (paced) message Meta drops after bad feedback: failed with 132015."""
    _schedule_failed(state, account, record, category, 132015)
