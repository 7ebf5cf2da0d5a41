"""The strings the page's JavaScript shows, translated once per request.

The layout renders ``js_catalog()`` as ``<script type="application/json" id="i18n">``;
``static/js/i18n.js`` reads it (``t("inbox.today")``). Keys are ``<page>.<name>``;
``%(name)s`` placeholders are filled by ``t(key, {name: …})`` in the browser (babel's
python-format check keeps translations' placeholders in step). pt_BR is the source
language; ``scripts/update_translations.sh`` extracts these like any other ``_l()``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

JS_MESSAGES = {
    # inbox (static/js/inbox/*.js)
    "inbox.contact": _l("Contato"),
    "inbox.queued": _l("Na fila"),
    "inbox.sent": _l("Enviada"),
    "inbox.delivered": _l("Entregue"),
    "inbox.read": _l("Lida"),
    "inbox.failed": _l("Falhou"),
    "inbox.unknown": _l("Situação desconhecida"),
    "inbox.note": _l("Nota interna"),
    "inbox.download": _l("Baixar"),
    "inbox.map": _l("Ver no mapa"),
    "inbox.windowOpen": _l("Janela aberta"),
    "inbox.windowClosed": _l("Janela fechada"),
    "inbox.resolve": _l("Resolver"),
    "inbox.reopen": _l("Reabrir"),
    "inbox.ai": _l("IA"),
    "inbox.human": _l("Humano"),
    "inbox.optedOut": _l("Descadastrado"),
    "inbox.no": _l("Não"),
    "inbox.phone": _l("Número"),
    "inbox.online": _l("Ao vivo"),
    "inbox.offline": _l("Desconectado — reconectando…"),
    "inbox.empty": _l("Nenhuma conversa."),
    "inbox.noTemplates": _l("Nenhum modelo aprovado."),
    "inbox.header": _l("Cabeçalho"),
    "inbox.body": _l("Corpo"),
    "inbox.button": _l("Botão"),
    "inbox.mediaLink": _l("Link da mídia do cabeçalho"),
    "inbox.error": _l("Não foi possível concluir. Tente de novo."),
    "inbox.today": _l("Hoje"),
    "inbox.yesterday": _l("Ontem"),
    "inbox.optOutStatus": _l("Descadastro"),
}


def js_catalog() -> dict[str, str]:
    """Every JS string in the request's locale (a plain dict, ready for ``tojson``)."""
    return {key: str(text) for key, text in JS_MESSAGES.items()}
