"""Readable (pt_BR) bodies for every inbound message type the Cloud API sends.

The body is what the inbox list, notifications and the AI context show; the full
payload is always kept beside it, so nothing is lost by summarising here. These are
stored data, written once in the platform's language, not UI strings of a request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

MEDIA_TYPES = frozenset({"image", "audio", "video", "document", "sticker"})

_MEDIA_LABELS = {
    "image": "[Imagem]",
    "audio": "[Áudio]",
    "video": "[Vídeo]",
    "document": "[Documento]",
    "sticker": "[Figurinha]",
}


def _join(*parts: str | None) -> str:
    return " ".join(p.strip() for p in parts if p and str(p).strip())


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _text(msg: dict) -> str:
    return str(_dict(msg.get("text")).get("body") or "")


def _media(msg: dict) -> str:
    kind = msg.get("type", "")
    media = _dict(msg.get(kind))
    label = _MEDIA_LABELS.get(kind, f"[{kind}]")
    if kind == "audio" and media.get("voice"):
        label = "[Mensagem de voz]"
    if kind == "document":
        return _join(label, media.get("filename"), media.get("caption"))
    if kind == "sticker" and media.get("animated"):
        label = "[Figurinha animada]"
    return _join(label, media.get("caption"))


def _location(msg: dict) -> str:
    loc = _dict(msg.get("location"))
    where = f"({loc.get('latitude')}, {loc.get('longitude')})"
    name = _join(loc.get("name"), ("- " + loc["address"]) if loc.get("address") else None)
    return _join("📍 Localização:", name, where) if name else _join("📍 Localização", where)


def _one_contact(card: dict) -> str:
    name = _dict(card.get("name"))
    label = name.get("formatted_name") or _join(name.get("first_name"), name.get("last_name"))
    numbers = [
        p.get("phone") or p.get("wa_id") for p in card.get("phones") or [] if isinstance(p, dict)
    ]
    phones = [str(p) for p in numbers if p]
    return _join(label or "sem nome", f"({', '.join(phones)})" if phones else None)


def _contacts(msg: dict) -> str:
    cards = [c for c in msg.get("contacts") or [] if isinstance(c, dict)]
    return "👤 Contato: " + "; ".join(_one_contact(c) for c in cards) if cards else "👤 Contato"


def _interactive(msg: dict) -> str:
    inter = _dict(msg.get("interactive"))
    kind = inter.get("type")
    if kind == "button_reply":
        return str(_dict(inter.get("button_reply")).get("title") or "[Resposta de botão]")
    if kind == "list_reply":
        reply = _dict(inter.get("list_reply"))
        return (
            _join(
                reply.get("title"),
                ("- " + reply["description"]) if reply.get("description") else None,
            )
            or "[Resposta de lista]"
        )
    if kind == "nfm_reply":
        reply = _dict(inter.get("nfm_reply"))
        return _join("[Formulário]", reply.get("body") or reply.get("name"))
    return "[Resposta interativa]"


def _button(msg: dict) -> str:
    button = _dict(msg.get("button"))
    return str(button.get("text") or button.get("payload") or "[Botão]")


def _reaction(msg: dict) -> str:
    emoji = _dict(msg.get("reaction")).get("emoji")
    return f"Reação {emoji} à mensagem" if emoji else "Reação removida"


def _order(msg: dict) -> str:
    order = _dict(msg.get("order"))
    items = [i for i in order.get("product_items") or [] if isinstance(i, dict)]
    count = sum(int(i.get("quantity") or 0) for i in items) or len(items)
    total = sum(float(i.get("item_price") or 0) * int(i.get("quantity") or 0) for i in items)
    currency = items[0].get("currency", "") if items else ""
    summary = f"🛒 Pedido: {count} {'item' if count == 1 else 'itens'}"
    if total:
        summary += f" ({_join(currency, f'{total:.2f}')})"
    return _join(summary, ("- " + order["text"]) if order.get("text") else None)


def _system(msg: dict) -> str:
    system = _dict(msg.get("system"))
    return _join("[Sistema]", system.get("body")) or "[Sistema]"


def _unsupported(msg: dict) -> str:
    errors = [e for e in msg.get("errors") or [] if isinstance(e, dict)]
    detail = errors[0].get("title") if errors else None
    return _join("[Mensagem não suportada]", f"({detail})" if detail else None)


def _referral_or_request(msg: dict) -> str:
    return "[Solicitação de conversa]"


_RENDERERS: dict[str, Callable[[dict], str]] = {
    "text": _text,
    "location": _location,
    "contacts": _contacts,
    "interactive": _interactive,
    "button": _button,
    "reaction": _reaction,
    "order": _order,
    "system": _system,
    "unsupported": _unsupported,
    "request_welcome": _referral_or_request,
    **{kind: _media for kind in MEDIA_TYPES},
}


def readable_body(msg: dict) -> str:
    """The pt_BR one-line text of an inbound message (never raises on odd shapes)."""
    kind = str(msg.get("type") or "unknown")
    renderer = _RENDERERS.get(kind)
    if renderer is None:
        return f"[Tipo de mensagem não reconhecido: {kind}]"
    try:
        return renderer(msg)
    except (TypeError, ValueError, AttributeError):
        return f"[{kind}]"


def media_id_of(msg: dict) -> str | None:
    """The Graph media id of an image/audio/video/document/sticker (fetched on demand)."""
    kind = msg.get("type")
    if kind not in MEDIA_TYPES:
        return None
    media_id = _dict(msg.get(kind)).get("id")
    return str(media_id) if media_id else None
