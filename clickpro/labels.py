"""Every code the product stores, as the user reads it (pt_BR source, English catalog).

Statuses, Meta's template rejection reasons, quality ratings, messaging tiers,
notification kinds and Meta's error codes are stored as the codes Meta or our state
machines use ("SENDING", "TAG_CONTENT_MISMATCH", 131049). No page, export, notification
or script shows those codes alone: they go through :func:`label` (Jinja filter and
global ``label(kind, code)``), :func:`meta_error` (a pt_BR explanation plus the next
step; Meta's English text is only ever a detail after it) and :func:`labels_for_js`
(the maps the browser needs, rendered into the page's JSON catalog).

An unknown code is shown as it is (never hidden: a new Meta status must stay visible,
it just reads raw until a label is added here).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

CAMPAIGN_STATUS: dict[str, LazyString] = {
    "DRAFT": _l("Rascunho"),
    "SCHEDULED": _l("Agendada"),
    "PREPARING": _l("Preparando"),
    "RUNNING": _l("Em envio"),
    "PAUSED": _l("Pausada"),
    "CANCELLED": _l("Cancelada"),
    "COMPLETED": _l("Concluída"),
    "FAILED": _l("Falhou"),
}

MESSAGE_STATUS: dict[str, LazyString] = {
    "QUEUED": _l("Na fila"),
    "SENDING": _l("Enviando"),
    "SENT": _l("Enviada"),
    "DELIVERED": _l("Entregue"),
    "READ": _l("Lida"),
    "FAILED": _l("Falhou"),
    "CANCELLED": _l("Cancelada"),
    "SKIPPED": _l("Pulada"),
    "UNKNOWN": _l("Situação desconhecida"),
    "RECEIVED": _l("Recebida"),
}

TEMPLATE_STATUS: dict[str, LazyString] = {
    "DRAFT": _l("Rascunho"),
    "PENDING": _l("Em análise"),
    "APPROVED": _l("Aprovado"),
    "REJECTED": _l("Rejeitado"),
    "PAUSED": _l("Pausado"),
    "DISABLED": _l("Desativado"),
    "IN_APPEAL": _l("Em recurso"),
    "PENDING_DELETION": _l("Exclusão pendente"),
    "DELETED": _l("Excluído"),
    "ARCHIVED": _l("Arquivado"),
    "LIMIT_EXCEEDED": _l("Limite excedido"),
}

# Meta's ``rejected_reason`` / ``reason``: what it means and what to change.
REJECTION_REASON: dict[str, LazyString] = {
    "ABUSIVE_CONTENT": _l(
        "Conteúdo abusivo ou que viola as políticas do WhatsApp. Reescreva o texto sem "
        "ofensas, ameaças ou conteúdo proibido e envie um novo modelo."
    ),
    "INCORRECT_CATEGORY": _l(
        "Categoria incorreta para o conteúdo. Escolha a categoria que corresponde ao texto "
        "(por exemplo, Marketing para promoções) e envie de novo."
    ),
    "INVALID_FORMAT": _l(
        "Formato inválido: variáveis sem exemplo, fora de ordem, no início ou no fim do "
        "texto, ou caracteres não permitidos. Corrija as variáveis e os exemplos e envie de novo."
    ),
    "PROMOTIONAL": _l(
        "Conteúdo promocional numa categoria que não é Marketing. Mude a categoria para "
        "Marketing ou retire a oferta do texto."
    ),
    "SCAM": _l(
        "A Meta considerou o conteúdo enganoso. Deixe claro quem envia e por quê, sem "
        "promessas exageradas nem links suspeitos, e crie um novo modelo."
    ),
    "TAG_CONTENT_MISMATCH": _l(
        "O conteúdo não corresponde à categoria escolhida. Ajuste a categoria ou o texto "
        "para que combinem e envie de novo."
    ),
    "CATEGORY_NOT_AVAILABLE": _l(
        "A categoria escolhida não está disponível para esta conta. Escolha outra categoria."
    ),
    "NONE": _l("A Meta não informou o motivo. Revise o texto e as variáveis e envie de novo."),
}

CREDENTIAL_STATUS: dict[str, LazyString] = {
    "VALID": _l("Válida"),
    "INVALID": _l("Inválida"),
    "UNVERIFIED": _l("Não testada"),
}

QUALITY: dict[str, LazyString] = {
    "GREEN": _l("Alta"),
    "YELLOW": _l("Média"),
    "RED": _l("Baixa"),
    "UNKNOWN": _l("Ainda sem avaliação"),
    "NA": _l("Ainda sem avaliação"),
    "FLAGGED": _l("Sinalizada pela Meta"),
}

TIER: dict[str, LazyString] = {
    "TIER_50": _l("50 clientes por dia"),
    "TIER_250": _l("250 clientes por dia"),
    "TIER_1K": _l("1.000 clientes por dia"),
    "TIER_2K": _l("2.000 clientes por dia"),
    "TIER_10K": _l("10.000 clientes por dia"),
    "TIER_100K": _l("100.000 clientes por dia"),
    "TIER_UNLIMITED": _l("Ilimitado"),
    "TIER_NOT_SET": _l("Ainda não definido"),
}

NOTIFICATION_KIND: dict[str, LazyString] = {
    "ai_error": _l("Assistente de IA"),
    "campaign_paused": _l("Campanha pausada"),
    "credentials": _l("Credenciais"),
    "handoff": _l("Atendimento humano"),
    "template_status": _l("Situação de modelo"),
    "templates_imported": _l("Modelos importados"),
}

IMPORT_STATUS: dict[str, LazyString] = {
    "queued": _l("na fila"),
    "running": _l("importando"),
    "done": _l("concluída"),
    "failed": _l("falhou"),
}

DELIVERY_STATUS: dict[str, LazyString] = {
    "pending": _l("Pendente"),
    "retrying": _l("Nova tentativa"),
    "succeeded": _l("Entregue"),
    "failed": _l("Falhou"),
}

OPTOUT_SOURCE: dict[str, LazyString] = {
    "keyword": _l("Palavra-chave"),
    "manual": _l("Manual"),
    "import": _l("Importação"),
    "api": _l("API"),
    "meta": _l("Meta (o cliente bloqueou marketing)"),
}

AUTHOR: dict[str, LazyString] = {
    "CONTACT": _l("Contato"),
    "AI": _l("IA"),
    "AGENT": _l("Atendente"),
    "CAMPAIGN": _l("Campanha"),
    "SYSTEM": _l("Sistema"),
}

LANGUAGE: dict[str, LazyString] = {
    "pt_BR": _l("Português (Brasil)"),
    "pt_PT": _l("Português (Portugal)"),
    "en": _l("Inglês"),
    "en_US": _l("Inglês (EUA)"),
    "en_GB": _l("Inglês (Reino Unido)"),
    "es": _l("Espanhol"),
    "es_AR": _l("Espanhol (Argentina)"),
    "es_MX": _l("Espanhol (México)"),
    "es_ES": _l("Espanhol (Espanha)"),
    "fr": _l("Francês"),
    "it": _l("Italiano"),
    "de": _l("Alemão"),
    "nl": _l("Holandês"),
    "ja": _l("Japonês"),
    "zh_CN": _l("Chinês (China)"),
    "ar": _l("Árabe"),
    "ru": _l("Russo"),
    "hi": _l("Hindi"),
}

KINDS: dict[str, dict[str, LazyString]] = {
    "campaign": CAMPAIGN_STATUS,
    "message": MESSAGE_STATUS,
    "template": TEMPLATE_STATUS,
    "rejection": REJECTION_REASON,
    "credential": CREDENTIAL_STATUS,
    "quality": QUALITY,
    "tier": TIER,
    "notification": NOTIFICATION_KIND,
    "import": IMPORT_STATUS,
    "delivery": DELIVERY_STATUS,
    "optout_source": OPTOUT_SOURCE,
    "author": AUTHOR,
    "language": LANGUAGE,
}


def label(kind: str, code: object) -> str:
    """``code`` of ``kind`` in the request's language; an unknown code as it is, empty
    for None (callers show their own dash)."""
    if code is None or code == "":
        return ""
    text = str(code)
    found = KINDS[kind].get(text)
    if found is None and kind in ("quality", "tier", "rejection"):
        found = KINDS[kind].get(text.upper())
    return str(found) if found is not None else text


@dataclass(frozen=True)
class MetaError:
    """One Meta error code, explained: what happened and what to do next (pt_BR)."""

    code: int | None
    explanation: str
    next_step: str
    detail: str  # Meta's own (English) text, shown after ours, never alone

    @property
    def text(self) -> str:
        """One line: "explanation next step (Meta: detail)"."""
        line = f"{self.explanation} {self.next_step}".strip()
        return f"{line} (Meta: {self.detail})" if self.detail else line


# code -> (what happened, what to do next). Sources: /work/shared/reference/whatsapp-*.md.
_META: dict[int, tuple[LazyString, LazyString]] = {
    0: (_l("A Meta recusou a autenticação."), _l("Teste a credencial em Credenciais.")),
    4: (
        _l("Limite de chamadas do aplicativo na Meta atingido."),
        _l("O envio continua sozinho em alguns minutos."),
    ),
    10: (
        _l("O token não tem permissão para esta conta ou número."),
        _l("Gere um token com whatsapp_business_messaging e atualize a credencial."),
    ),
    100: (
        _l("A Meta recusou um parâmetro da mensagem."),
        _l("Revise o modelo, as variáveis e o número; reenviar igual falha de novo."),
    ),
    190: (
        _l("O token de acesso expirou ou é inválido."),
        _l("Gere um novo token na Meta e atualize a credencial."),
    ),
    200: (
        _l("O token não tem permissão para esta conta ou número."),
        _l("Gere um token com whatsapp_business_messaging e atualize a credencial."),
    ),
    368: (
        _l("A conta foi bloqueada temporariamente por violar as políticas."),
        _l("Veja o aviso no Gerenciador do WhatsApp antes de enviar de novo."),
    ),
    80007: (
        _l("Limite de chamadas da conta do WhatsApp Business atingido."),
        _l("O envio continua sozinho em alguns minutos."),
    ),
    130429: (
        _l("Limite de velocidade de envio do número atingido."),
        _l("O envio segue mais devagar, sem ação sua."),
    ),
    131000: (
        _l("Erro genérico na Meta."),
        _l("Tente reenviar daqui a pouco; se persistir, fale com o suporte."),
    ),
    131008: (
        _l("Falta um parâmetro obrigatório na mensagem."),
        _l("Revise as variáveis do modelo e reenvie."),
    ),
    131009: (
        _l("Um parâmetro da mensagem é inválido."),
        _l("Revise as variáveis e a mídia do modelo e reenvie."),
    ),
    131026: (
        _l(
            "Não foi possível entregar: o número não tem WhatsApp, o app está desatualizado "
            "ou os termos não foram aceitos."
        ),
        _l("Não reenvie; fale com o contato por outro canal."),
    ),  # fmt: skip
    131031: (
        _l("A conta do WhatsApp Business está bloqueada."),
        _l("Resolva o bloqueio no Gerenciador do WhatsApp antes de enviar."),
    ),
    131042: (
        _l("Problema de pagamento ou elegibilidade na conta da Meta."),
        _l("Um administrador precisa regularizar a forma de pagamento; não reenvie antes."),
    ),
    131047: (
        _l("Passaram mais de 24 horas desde a última mensagem do contato."),
        _l("Envie um modelo aprovado em vez de texto livre."),
    ),
    131048: (
        _l("Limite por spam: muitas pessoas bloquearam ou denunciaram."),
        _l("Revise o conteúdo e o público e envie mais devagar."),
    ),
    131049: (
        _l("A Meta limitou as mensagens de marketing para este contato."),
        _l(
            "Não é descadastro: o reenvio fica disponível depois do prazo da Meta "
            "(12 horas; na segunda vez, 24 horas)."
        ),
    ),
    131050: (
        _l("O contato parou de receber mensagens de marketing desta empresa."),
        _l("Não envie marketing a ele; o número foi descadastrado."),
    ),
    131051: (
        _l("Tipo de mensagem não suportado."),
        _l("Envie texto, mídia ou um modelo aceito pelo WhatsApp."),
    ),
    131053: (
        _l("A Meta não conseguiu baixar ou aceitar a mídia."),
        _l("Use um arquivo de tipo e tamanho aceitos pelo WhatsApp e um link público."),
    ),
    131055: (
        _l("Só modelos de marketing são aceitos neste envio."),
        _l("Use um modelo da categoria Marketing."),
    ),
    131056: (
        _l("Muitas mensagens seguidas para o mesmo contato."),
        _l("O envio para este contato é adiado automaticamente."),
    ),
    131057: (
        _l("A conta está em manutenção na Meta."),
        _l("Tente de novo em cerca de 1 minuto."),
    ),
    131061: (
        _l("Este modelo precisa ser enviado pela API de marketing."),
        _l("Envie pela campanha de marketing."),
    ),
    131062: (
        _l("Este contato não pode receber esta mensagem pelo identificador usado."),
        _l("Reenvie pelo número de telefone ou use outro modelo."),
    ),
    131063: (
        _l("O marketing está desativado na API de nuvem para esta conta."),
        _l("Envie pela campanha de marketing."),
    ),
    132000: (
        _l("A quantidade de variáveis não corresponde ao modelo."),
        _l("Preencha todas as variáveis do modelo na campanha."),
    ),
    132001: (
        _l("O modelo não existe neste idioma ou não está aprovado."),
        _l("Sincronize os modelos e confira o nome e o idioma."),
    ),
    132005: (
        _l("O texto com as variáveis preenchidas ficou longo demais."),
        _l("Use valores mais curtos nas variáveis."),
    ),
    132007: (
        _l("O conteúdo viola as políticas do WhatsApp."),
        _l("Revise o texto do modelo e das variáveis."),
    ),
    132012: (
        _l("O formato de uma variável não é o que o modelo espera."),
        _l("Confira o tipo de cada variável (texto, mídia, moeda, data)."),
    ),
    132015: (
        _l("O modelo foi pausado pela Meta por baixa qualidade."),
        _l("Espere a Meta reativá-lo (3 a 6 horas) ou use outro modelo."),
    ),
    132016: (
        _l("O modelo foi desativado pela Meta."),
        _l("Crie um novo modelo com outro texto."),
    ),
    133010: (
        _l("O número da empresa não está registrado na API de nuvem."),
        _l("Registre o número na Meta e teste a credencial."),
    ),
    134100: (
        _l("Este envio aceita apenas mensagens de marketing."),
        _l("Use um modelo da categoria Marketing."),
    ),
    134101: (
        _l("O modelo ainda está sendo sincronizado na Meta."),
        _l("Espere cerca de 10 minutos e reenvie."),
    ),
    134102: (
        _l("O modelo não está disponível para este tipo de envio."),
        _l("Use outro modelo aprovado."),
    ),
}

_UNKNOWN_ERROR = (
    _l("A Meta recusou a mensagem."),
    _l("Veja o detalhe abaixo; se repetir, fale com o suporte."),
)


def known_meta_codes() -> list[int]:
    return sorted(_META)


def meta_error(code: object, detail: object = None) -> MetaError:
    """Meta error ``code`` explained in the request's language, ``detail`` (Meta's own
    text, e.g. ``error_title``) kept as a detail. A missing code with a detail (our own
    pt_BR reason, such as "Sem valor para a variável") is that detail alone."""
    number: int | None
    try:
        number = int(str(code)) if code not in (None, "") else None
    except ValueError:
        number = None
    detail_text = str(detail or "").strip()
    if number is None:
        if detail_text:
            return MetaError(None, detail_text, "", "")
        explanation, step = _UNKNOWN_ERROR
        return MetaError(None, str(explanation), str(step), "")
    explanation, step = _META.get(number, _UNKNOWN_ERROR)
    return MetaError(number, str(explanation), str(step), detail_text)


JS_KINDS = ("campaign", "message", "import", "quality", "tier")


def labels_for_js() -> dict[str, dict[str, str]]:
    """The label maps the browser needs (campaign page, inbox, import progress)."""
    return {kind: {code: str(text) for code, text in KINDS[kind].items()} for kind in JS_KINDS}


def meta_errors_for_js() -> dict[str, dict[str, str]]:
    """Every known Meta code → {explanation, next_step} for scripts (inbox failures)."""
    return {
        str(code): {"explanation": str(explanation), "next_step": str(step)}
        for code, (explanation, step) in _META.items()
    }
