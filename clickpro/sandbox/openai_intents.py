"""The sandbox's stand-in for a model answering a ``text.format`` json_schema request.

The sandbox ``/responses`` route calls :func:`structured` when a request asks for a
JSON schema. For ClickPro's intent schema (``intent`` ∈ human/stop/complaint/other +
``confidence``) it answers with a deterministic pt_BR lexicon classifier, so the
intent routing can be tested end to end without OpenAI. Any other schema → None (the
route answers a schema-valid default).

The classifier folds the text (lower case, no accents, repeated letters squeezed,
WhatsApp abbreviations expanded: vc, q, n, msg, pfv…) and scores regular expressions
per intent. Stopping *something else* ("parar de pagar juros", "cancelar meu pedido")
does not match: a stop needs a stop verb *and* messages/lists/promotions as object.
A complaint outranks a request for a person (both hand off; the complaint is urgent).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

INTENTS = ("human", "stop", "complaint", "other")

_ABBREVIATIONS = {
    "vc": "voce",
    "vcs": "voces",
    "q": "que",
    "n": "nao",
    "naum": "nao",
    "nn": "nao",
    "pq": "porque",
    "msg": "mensagem",
    "msgs": "mensagens",
    "mensagen": "mensagem",
    "pfv": "por favor",
    "pf": "por favor",
    "pls": "por favor",
    "p": "para",
    "pra": "para",
    "pro": "para o",
    "c": "com",
    "cmg": "comigo",
    "qro": "quero",
    "kero": "quero",
    "keria": "queria",
    "ta": "esta",
    "to": "estou",
    "tb": "tambem",
    "mt": "muito",
    "mto": "muito",
    "hj": "hoje",
    "whats": "whatsapp",
    "zap": "whatsapp",
    "atd": "atendente",
    "promo": "promocao",
    "promocoes": "promocao",
    "promocaos": "promocao",
}

_MESSAGES = (
    r"(mensage(m|ns)|promoca?o|propaganda|ofertas?|spam|notificac(ao|oes)|"
    r"lista|transmissao|envios?|conteudos?)"
)
_STOP_RULES: tuple[tuple[str, float], ...] = (
    # "não quero mais receber …", "parar de receber …"
    (r"\b(nao quero|nao desejo|parar de|para de|pare de|parem de)( mais)? receber\b", 0.95),
    # "para de me mandar mensagem", "parem de mandar oferta"
    (r"\b(para|pare|parem|parar|chega) (de|com)( me)? (mandar|enviar|encher)\b.*" + _MESSAGES, 0.9),
    (r"\b(para|pare|parem|parar) (de|com)( me)? (mandar|enviar)\b", 0.8),
    # "não me mande mais nada", "nao envie mais mensagens"
    (r"\bnao (me )?(mand|envi)(e|em|a|ar)\b( mais)?", 0.85),
    (r"\bnao (me )?(mand|envi)\w* mais\b", 0.9),
    (r"\bnao quero (mais )?(receber|essas?|esse)\b.*" + _MESSAGES, 0.9),
    (r"\bnao quero receber\b", 0.9),
    # lists: "me tira da lista", "quero sair da lista", "me remove"
    (
        r"\b(me )?(tira|tire|tirar|remove|remova|remover|exclui|excluir|exclua)\b.*"
        r"\b(lista|numero|contato|cadastro|daqui)\b",
        0.9,
    ),
    (r"\bme (tira|tire|remove|remova|exclui)\b", 0.7),
    (r"\bsair da (lista|transmissao)\b", 0.9),
    (r"\b(descadastr|desinscrev|desinscrever|unsubscribe)\w*", 0.95),
    (r"\b(cancela|cancelar|cancele)\b.*\b(mensage(m|ns)|envios?|inscricao|notificac)", 0.85),
    (r"\bstop\b", 0.8),
    (r"\b(para|chega) (com )?(esse|essas|de) " + _MESSAGES, 0.85),
    (r"\bbloque\w*\b.*\b(mandando|enviando|mensage)", 0.8),
)
_HUMAN_RULES: tuple[tuple[str, float], ...] = (
    (
        r"\b(falar|conversar|falo|fala) (com|c)\b.*\b(atendente|pessoa|humano|alguem|gente|"
        r"gerente|supervisor|responsavel|vendedor|vendedora|consultor|consultora|dono|"
        r"operador|ser humano|uma|um)\b",
        0.9,
    ),
    # "atendente" alone or asked for; "o atendente de ontem foi ótimo" is not a request
    (r"^(o |a |um |uma )?atendentes?( por favor| ai| urgente)?$", 0.8),
    (r"\b(quero|queria|preciso|tem|cade|chama|chame|algum|alguma|outro)\b.*\batendentes?\b", 0.8),
    (r"\b(atendimento|suporte) humano\b", 0.9),
    (r"\b(um|uma|algum|alguma|ser|o|a) humano\b|\bhumano (ai|la)\b", 0.85),
    (r"\bpessoa (real|de verdade)\b|\bgente de verdade\b", 0.9),
    (r"\b(nao|nao quero) (falar|conversar)?( com)? ?(o |um )?robo\b|\brobo nao\b", 0.85),
    (
        r"\b(me )?(passa|passe|transfere|transfira|coloca|encaminha)\b.*\b(para|pro|com)?\b.*"
        r"\b(alguem|humano|pessoa|atendente|gerente|suporte|responsavel)\b",
        0.85,
    ),
    (r"\b(chama|chame|chamar)\b.*\b(alguem|atendente|gerente|dono|responsavel|pessoa)\b", 0.85),
    (r"\balguem (pode|podia|poderia) me atender\b|\bque alguem me atenda\b", 0.85),
    (r"\b(ser atendid[oa]|me atender) por (uma|um) (pessoa|humano|atendente)\b", 0.9),
    (r"\btem alguem ai\b", 0.7),
    (r"\bposso falar com alguem\b", 0.85),
)
_COMPLAINT_RULES: tuple[tuple[str, float], ...] = (
    (r"\b(reclamacao|reclamar|reclamo|reclame aqui|procon|consumidor\.gov)\b", 0.95),
    (
        r"\b(absurdo|pessim[oa]|horrivel|vergonha|descaso|palhacada|ridicul[oa]|lixo|"
        r"picaretas?|golpe|enganaram|enganad[oa]|desrespeito|falta de respeito|grosso|grossa|"
        r"mal educad[oa])\b",
        0.9,
    ),
    (
        r"\b(veio|chegou|esta|estava) (quebrad|errad|faltando|estragad|fria|frio|danificad|"
        r"amassad|rasgad|com defeito|com a sola)\w*",
        0.9,
    ),
    (r"\b(defeito|estragad[oa]|quebrad[oa]|danificad[oa])\b", 0.85),
    (r"\b(cobrad[oa]|cobraram|cobrou) (duas|2|tres|3) vezes\b|\bcobranca indevida\b", 0.95),
    (r"\bcobrou e nao\b|\bpaguei e nao\b|\bcomprei e nao (recebi|chegou)\b", 0.9),
    (r"\b(insatisfeit|decepcionad|chatead|revoltad|indignad)\w*", 0.9),
    (r"\bnunca mais (compro|volto|peco)\b", 0.9),
    (r"\bninguem (resolve|me responde|responde|atende)\b", 0.85),
    (r"\b(atrasad[oa]|atrasou)\b", 0.8),
    (r"\b(nao chegou|nao recebi)\b.*\b(ate hoje|ainda|nada|dias|semana)\b", 0.85),
    (r"\bpedido (nao chegou|ainda nao chegou)\b", 0.75),
    (r"\b(esperando|espero|aguardando) (ha|faz) \d+\s*(dias|semanas|meses)\b", 0.9),
    (r"\b(faz|ha) \d+ dias e (ate agora )?nada\b|\bate agora nada\b", 0.85),
    (r"\bparou de funcionar\b", 0.85),
    (r"\b(terceira|quarta|quinta) vez\b|\b\d+ vezes e ninguem\b", 0.8),
    (r"\bvalor errado\b|\bveio com valor\b", 0.85),
    (r"\bdinheiro de volta\b", 0.8),
)
_COMPILED = {
    "stop": [(re.compile(p), w) for p, w in _STOP_RULES],
    "human": [(re.compile(p), w) for p, w in _HUMAN_RULES],
    "complaint": [(re.compile(p), w) for p, w in _COMPLAINT_RULES],
}
# Stopping something that is not our messages: never a stop by itself.
_NOT_STOP = re.compile(
    r"\b(parar|para|pare|cancelar|cancela) (de )?(pagar|o debito|a assinatura|o plano|meu "
    r"pedido|o pedido|a compra|o cartao|de chover|na porta)\b"
)
MAX_TEXT = 2000


def fold(text: str) -> str:
    """Lower case, no accents or emojis, letters repeated 3+ times squeezed, WhatsApp
    abbreviations expanded, single spaces."""
    plain = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    plain = re.sub(r"(.)\1{2,}", r"\1", plain.lower()[:MAX_TEXT])
    words = re.findall(r"[a-z0-9.]+|\?", plain)
    expanded = [_ABBREVIATIONS.get(w.strip("."), w.strip(".")) for w in words]
    return " ".join(w for w in expanded if w)


def score(text: str) -> dict[str, float]:
    """The best rule weight each intent reaches on ``text`` (0 when none matches)."""
    folded = fold(text)
    scores = {
        intent: max((w for rx, w in rules if rx.search(folded)), default=0.0)
        for intent, rules in _COMPILED.items()
    }
    if scores["stop"] and _NOT_STOP.search(folded) and scores["stop"] < 0.95:
        scores["stop"] = 0.0
    return scores


def classify(text: str) -> tuple[str, float]:
    """``(intent, confidence)`` of one customer message (or burst)."""
    scores = score(text)
    if scores["stop"] >= 0.7:
        return "stop", scores["stop"]
    if scores["complaint"] >= 0.7:
        return "complaint", scores["complaint"]
    if scores["human"] >= 0.7:
        return "human", scores["human"]
    return "other", round(1.0 - max(scores.values()) / 2, 2)


def _is_intent_schema(schema: Any) -> bool:
    props = schema.get("properties") if isinstance(schema, dict) else None
    intent = props.get("intent") if isinstance(props, dict) else None
    enum = intent.get("enum") if isinstance(intent, dict) else None
    return isinstance(enum, list) and set(enum) <= set(INTENTS) and "other" in enum


def structured(schema_name: str, schema: dict, text: str) -> dict | None:
    """The JSON object a model would return for ``schema`` given the customer's ``text``;
    None for a schema this fake does not know."""
    if not _is_intent_schema(schema):
        return None
    intent, confidence = classify(text)
    enum = schema["properties"]["intent"]["enum"]
    if intent not in enum:
        intent = "other"
    answer: dict[str, Any] = {"intent": intent}
    if "confidence" in schema.get("properties", {}):
        answer["confidence"] = confidence
    return answer
