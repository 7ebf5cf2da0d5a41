"""The flow graph (schema 1): its shape, its limits and its validation.

One JSON shape is written by the editor, stored in ``Flow.draft`` / ``FlowVersion.graph``
and walked by the engine::

    {"schema": 1, "start": "<step id>", "settings": {...}, "triggers": [...],
     "steps": {"<id>": {"type": "send|ask|condition|set|http|ai|handoff|wait|end", ...}}}

:func:`validate` returns every problem at once (pt_BR messages) so the editor can show
them beside the step; ``error`` problems block publishing, ``warning`` ones do not
(an unreachable step, a variable read before any step can have set it).
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any, Literal

from flask import current_app, has_app_context
from flask_babel import gettext as _

from clickpro.services.inbox import interactive as meta

SCHEMA = 1
MAX_STEPS = 200
MAX_BYTES = 256 * 1024
MAX_TRIGGERS = 20
MAX_KEYWORDS = 50
MAX_KEYWORD_LENGTH = 60
MAX_CHOICES = 50
MAX_RULES = 20
MAX_TEXT = 4096
MAX_TEMPLATE = 1000  # attribute / variable / header templates
MAX_URL = 2000
MAX_MAP = 30
MAX_WAIT_S = 7 * 24 * 3600
MAX_TIMEOUT_MINUTES = 7 * 24 * 60
STEP_ID = re.compile(r"^[a-z0-9_]{1,64}$")
VAR_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]{0,63}$")
TEMPLATE_REF = re.compile(r"\{\{\s*([^{}\s]{1,100})\s*\}\}")
DOTTED_PATH = re.compile(r"^[^.\s]{1,64}(\.[^.\s]{1,64}){0,15}$")
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

STEP_TYPES = ("send", "ask", "condition", "set", "http", "ai", "handoff", "wait", "end")
TERMINAL_TYPES = frozenset({"handoff", "end"})
TRIGGER_KINDS = ("keyword", "new_conversation", "off_hours", "campaign_reply", "manual")
VALIDATION_KINDS = ("text", "number", "email", "cpf", "cnpj", "cpf_cnpj", "date", "choice")
VAR_OPS = (
    "eq", "neq", "contains", "starts_with", "gt", "gte", "lt", "lte", "empty", "not_empty", "in",
)  # fmt: skip
CONDITION_SOURCES = ("var", "contact", "business_hours", "time", "number", "label")
MESSAGE_KINDS = ("text", "buttons", "list", "media")
MEDIA_TYPES = ("image", "document", "video", "audio")
CONTACT_FIELDS = ("name", "phone", "email")
DEFAULT_EXIT_KEYWORDS = ("atendente",)
DEFAULT_TIMEOUT_MINUTES = 30

Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a graph: where (step, field), how bad, and what (pt_BR)."""

    step_id: str | None
    field: str
    level: Level
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------- reading


def steps_of(graph: dict) -> dict[str, dict]:
    steps = graph.get("steps") if isinstance(graph, dict) else None
    return (
        {k: v for k, v in steps.items() if isinstance(v, dict)} if isinstance(steps, dict) else {}
    )


def choices_of(step: dict) -> list[dict]:
    validation = step.get("validation")
    if not isinstance(validation, dict) or validation.get("kind") != "choice":
        return []
    choices = validation.get("choices")
    return [c for c in choices if isinstance(c, dict)] if isinstance(choices, list) else []


def exits_of(step: dict) -> list[tuple[str, Any]]:
    """(field, target) of every exit of a step; ``target`` may be None (unconnected)."""
    kind = step.get("type")
    if kind in ("send", "set", "wait"):
        return [("next", step.get("next"))]
    if kind == "ask":
        choices = choices_of(step)
        exits = (
            [(f"choices.{i}.next", c.get("next")) for i, c in enumerate(choices)]
            if choices
            else [("next", step.get("next"))]
        )
        return exits + [("on_invalid", step.get("on_invalid"))]
    if kind == "condition":
        rules: list = step.get("rules") or []
        rules = rules if isinstance(rules, list) else []
        out = [(f"rules.{i}.next", r.get("next") if isinstance(r, dict) else None)
               for i, r in enumerate(rules)]  # fmt: skip
        return out + [("else", step.get("else"))]
    if kind in ("http", "ai"):
        return [("next", step.get("next")), ("on_error", step.get("on_error"))]
    return []


def settings_of(graph: dict) -> dict[str, Any]:
    """The flow's settings with defaults filled in (timeout, message, exit keywords)."""
    raw: dict = graph.get("settings") or {} if isinstance(graph, dict) else {}
    if not isinstance(raw, dict):
        raw = {}
    timeout = raw.get("timeout_minutes", DEFAULT_TIMEOUT_MINUTES)
    if not isinstance(timeout, int) or isinstance(timeout, bool) or timeout < 0:
        timeout = DEFAULT_TIMEOUT_MINUTES
    words = raw.get("exit_keywords")
    if not isinstance(words, list):
        words = list(DEFAULT_EXIT_KEYWORDS)
    return {
        "timeout_minutes": min(timeout, MAX_TIMEOUT_MINUTES),
        "timeout_message": str(raw.get("timeout_message") or "")[:MAX_TEXT],
        "exit_keywords": [str(w)[:MAX_KEYWORD_LENGTH] for w in words if str(w).strip()],
    }


def template_refs(text: Any) -> set[str]:
    """Variable names a template reads (``{{contact.*}}`` excluded)."""
    if not isinstance(text, str):
        return set()
    return {m for m in TEMPLATE_REF.findall(text) if not m.startswith("contact.")}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def reads_of(step: dict) -> set[str]:
    """Variables a step reads (its templates, its conditions)."""
    kind = step.get("type")
    names: set[str] = set()
    for key in ("message", "note", "headers", "attributes", "variables", "instructions", "url"):
        for text in _strings(step.get(key)):
            names |= template_refs(text)
    if kind == "http" and "body" in step:
        for text in _strings(step.get("body")):
            names |= template_refs(text)
    if kind == "condition":
        for rule in step.get("rules") or []:
            cond = rule.get("if") if isinstance(rule, dict) else None
            if isinstance(cond, dict) and cond.get("source") == "var" and cond.get("name"):
                names.add(str(cond["name"]))
    return names


def writes_of(step: dict) -> set[str]:
    """Variables a step sets."""
    kind = step.get("type")
    if kind == "ask" and isinstance(step.get("save_as"), str) and step["save_as"]:
        name = step["save_as"]
        return {name, f"{name}_id"} if choices_of(step) else {name}
    if kind == "set" and isinstance(step.get("variables"), dict):
        return {str(k) for k in step["variables"]}
    if kind == "http" and isinstance(step.get("map"), dict):
        return {str(k) for k in step["map"]} | {"http_status"}
    if kind == "ai":
        return {str(step.get("save_as") or "resposta_ia")}
    return set()


def variables_of(graph: dict) -> set[str]:
    """Every variable the graph's steps set (for the editor's variable picker)."""
    names: set[str] = set()
    for step in steps_of(graph).values():
        names |= writes_of(step)
    return names


def reachable(graph: dict) -> set[str]:
    steps = steps_of(graph)
    start = graph.get("start")
    seen: set[str] = set()
    queue = deque([start] if start in steps else [])
    while queue:
        sid = queue.popleft()
        if sid in seen:
            continue
        seen.add(sid)
        for _field, target in exits_of(steps[sid]):
            if isinstance(target, str) and target in steps and target not in seen:
                queue.append(target)
    return seen


# --------------------------------------------------------------------------- validation


class _Checker:
    def __init__(self, graph: dict) -> None:
        self.graph = graph
        self.problems: list[Problem] = []
        self.steps = steps_of(graph)

    def error(self, step_id: str | None, field: str, message: str) -> None:
        self.problems.append(Problem(step_id, field, "error", message))

    def warning(self, step_id: str | None, field: str, message: str) -> None:
        self.problems.append(Problem(step_id, field, "warning", message))

    # -- helpers
    def text(self, sid: str | None, field: str, value: Any, limit: int, *, required: bool) -> None:
        if value is None or value == "":
            if required:
                self.error(sid, field, _("Preencha este campo."))
            return
        if not isinstance(value, str):
            self.error(sid, field, _("Use um texto."))
        elif len(value) > limit:
            self.error(sid, field, _("Passa de %(n)s caracteres.", n=limit))

    def exit(self, sid: str, field: str, target: Any, *, required: bool = True) -> None:
        if target is None or target == "":
            if required:
                self.error(sid, field, _("Saída sem conexão."))
            return
        if not isinstance(target, str) or target not in self.steps:
            self.error(sid, field, _("A saída aponta para um passo que não existe: %(t)s.",
                                     t=str(target)[:64]))  # fmt: skip

    def url(self, sid: str, field: str, value: Any, *, http: bool = False) -> None:
        self.text(sid, field, value, MAX_URL, required=True)
        if not isinstance(value, str) or not value:
            return
        if "{{" in value and http:
            return  # a template: judged at run time by the SSRF guard
        if not re.match(r"^https?://[^\s/]+", value):
            self.error(sid, field, _("Informe uma URL http:// ou https:// válida."))
            return
        if not http:
            return
        from clickpro.services.api.url_guard import ForbiddenAddress, check_url

        allow = (
            bool(current_app.config["OUTBOUND_WEBHOOK_ALLOW_PRIVATE"])
            if has_app_context()
            else False
        )
        try:
            check_url(value, allow_private=allow, resolve_names=False)
        except ForbiddenAddress:
            self.error(sid, field, _("Este endereço não é permitido (rede interna)."))
        except Exception:
            self.error(sid, field, _("Informe uma URL http:// ou https:// válida."))

    def message(self, sid: str, field: str, msg: Any, *, required: bool = True) -> None:
        if msg is None:
            if required:
                self.error(sid, field, _("Escreva a mensagem."))
            return
        if isinstance(msg, str):
            msg = {"kind": "text", "text": msg}
        if not isinstance(msg, dict):
            self.error(sid, field, _("Mensagem inválida."))
            return
        kind = msg.get("kind", "text")
        if kind not in MESSAGE_KINDS:
            self.error(
                sid, f"{field}.kind", _("Tipo de mensagem desconhecido: %(k)s.", k=str(kind)[:20])
            )
            return
        if kind == "text":
            self.text(sid, f"{field}.text", msg.get("text"), MAX_TEXT, required=True)
        elif kind == "buttons":
            self.text(sid, f"{field}.text", msg.get("text"), meta.BUTTON_BODY_MAX, required=True)
            buttons = msg.get("buttons")
            if not isinstance(buttons, list) or not 1 <= len(buttons) <= meta.MAX_BUTTONS:
                self.error(sid, f"{field}.buttons",
                           _("Use de 1 a %(max)s botões de resposta.", max=meta.MAX_BUTTONS))  # fmt: skip
                buttons = buttons if isinstance(buttons, list) else []
            for i, b in enumerate(buttons[:10]):
                title = b.get("title") if isinstance(b, dict) else None
                self.text(
                    sid, f"{field}.buttons.{i}.title", title, meta.BUTTON_TITLE_MAX, required=True
                )
        elif kind == "list":
            self.text(sid, f"{field}.text", msg.get("text"), meta.LIST_BODY_MAX, required=True)
            self.text(sid, f"{field}.button", msg.get("button") or "Ver opções",
                      meta.LIST_BUTTON_MAX, required=True)  # fmt: skip
            sections = msg.get("sections")
            if not isinstance(sections, list) or not 1 <= len(sections) <= meta.MAX_SECTIONS:
                self.error(sid, f"{field}.sections",
                           _("Use de 1 a %(max)s seções na lista.", max=meta.MAX_SECTIONS))  # fmt: skip
                sections = sections if isinstance(sections, list) else []
            total = 0
            for i, s in enumerate(sections[: meta.MAX_SECTIONS]):
                rows = s.get("rows") if isinstance(s, dict) else None
                rows = rows if isinstance(rows, list) else []
                total += len(rows)
                for j, r in enumerate(rows[:20]):
                    title = r.get("title") if isinstance(r, dict) else None
                    self.text(sid, f"{field}.sections.{i}.rows.{j}.title", title,
                              meta.ROW_TITLE_MAX, required=True)  # fmt: skip
                    desc = r.get("description") if isinstance(r, dict) else None
                    self.text(sid, f"{field}.sections.{i}.rows.{j}.description", desc,
                              meta.ROW_DESCRIPTION_MAX, required=False)  # fmt: skip
            if total > meta.MAX_ROWS or total == 0:
                self.error(sid, f"{field}.sections",
                           _("A lista precisa de 1 a %(max)s opções (tem %(n)s).",
                             max=meta.MAX_ROWS, n=total))  # fmt: skip
        elif kind == "media":
            if msg.get("media_type") not in MEDIA_TYPES:
                self.error(
                    sid, f"{field}.media_type", _("Escolha imagem, documento, vídeo ou áudio.")
                )
            self.url(sid, f"{field}.url", msg.get("url"))
            self.text(sid, f"{field}.caption", msg.get("caption"), 1024, required=False)
            self.text(sid, f"{field}.filename", msg.get("filename"), 240, required=False)

    def var_name(self, sid: str, field: str, value: Any, *, required: bool = True) -> None:
        if value in (None, ""):
            if required:
                self.error(sid, field, _("Informe o nome da variável."))
            return
        if not isinstance(value, str) or not VAR_NAME.match(value):
            self.error(sid, field, _("Nome de variável inválido (letras, números e _)."))

    def int_range(
        self, sid: str | None, field: str, value: Any, lo: int, hi: int, *, required: bool
    ) -> None:
        if value is None:
            if required:
                self.error(sid, field, _("Preencha este campo."))
            return
        if not isinstance(value, int | float) or isinstance(value, bool) or not lo <= value <= hi:
            self.error(sid, field, _("Use um número entre %(lo)s e %(hi)s.", lo=lo, hi=hi))

    # -- whole graph
    def run(self) -> list[Problem]:
        g = self.graph
        if not isinstance(g, dict):
            self.error(None, "", _("O fluxo precisa ser um objeto JSON."))
            return self.problems
        try:
            size = len(json.dumps(g, ensure_ascii=False).encode())
        except (TypeError, ValueError):
            self.error(None, "", _("O fluxo não é um JSON válido."))
            return self.problems
        if size > MAX_BYTES:
            self.error(None, "", _("O fluxo passa de %(n)s KB.", n=MAX_BYTES // 1024))
        if g.get("schema", SCHEMA) != SCHEMA:
            self.error(None, "schema", _("Versão de formato desconhecida."))
        raw_steps = g.get("steps")
        if not isinstance(raw_steps, dict) or not raw_steps:
            self.error(None, "steps", _("O fluxo não tem passos."))
        elif len(raw_steps) > MAX_STEPS:
            self.error(None, "steps", _("O fluxo passa de %(n)s passos.", n=MAX_STEPS))
        start = g.get("start")
        if not start:
            self.error(None, "start", _("Escolha o passo inicial."))
        elif start not in self.steps:
            self.error(None, "start", _("O passo inicial não existe."))
        self.settings(g.get("settings"))
        self.triggers(g.get("triggers"))
        for sid, step in (raw_steps or {}).items() if isinstance(raw_steps, dict) else []:
            if not isinstance(sid, str) or not STEP_ID.match(sid):
                self.error(
                    str(sid)[:64], "id", _("Identificador inválido (use a-z, 0-9 e _, até 64).")
                )
            if not isinstance(step, dict):
                self.error(str(sid)[:64], "", _("Passo inválido."))
                continue
            self.step(sid, step)
        if start in self.steps:
            seen = reachable(g)
            for sid in self.steps:
                if sid not in seen:
                    self.warning(sid, "", _("Nenhum caminho chega a este passo."))
            self.variables(seen)
        return self.problems

    def settings(self, raw: Any) -> None:
        if raw is None:
            return
        if not isinstance(raw, dict):
            self.error(None, "settings", _("Configurações inválidas."))
            return
        self.int_range(None, "settings.timeout_minutes", raw.get("timeout_minutes"), 0,
                       MAX_TIMEOUT_MINUTES, required=False)  # fmt: skip
        self.text(
            None, "settings.timeout_message", raw.get("timeout_message"), MAX_TEXT, required=False
        )
        words = raw.get("exit_keywords")
        if words is not None and (not isinstance(words, list) or len(words) > MAX_KEYWORDS
                                  or any(not isinstance(w, str) or len(w) > MAX_KEYWORD_LENGTH
                                         for w in words)):  # fmt: skip
            self.error(None, "settings.exit_keywords", _("Palavras de saída inválidas."))

    def triggers(self, raw: Any) -> None:
        if raw is None:
            return
        if not isinstance(raw, list) or len(raw) > MAX_TRIGGERS:
            self.error(None, "triggers", _("Gatilhos inválidos (até %(n)s).", n=MAX_TRIGGERS))
            return
        for i, t in enumerate(raw):
            field = f"triggers.{i}"
            if not isinstance(t, dict) or t.get("kind") not in TRIGGER_KINDS:
                self.error(None, field, _("Gatilho desconhecido."))
                continue
            if t["kind"] == "keyword":
                words = t.get("keywords")
                if (not isinstance(words, list) or not words or len(words) > MAX_KEYWORDS
                        or any(not isinstance(w, str) or not w.strip() or len(w) > MAX_KEYWORD_LENGTH
                               for w in words)):  # fmt: skip
                    self.error(
                        None,
                        f"{field}.keywords",
                        _("Informe de 1 a %(n)s palavras-chave.", n=MAX_KEYWORDS),
                    )
                if t.get("match", "exact") not in ("exact", "contains"):
                    self.error(None, f"{field}.match", _("Use “exata” ou “contém”."))
            if t["kind"] == "campaign_reply":
                cid = t.get("campaign_id")
                if cid is not None and (not isinstance(cid, int) or isinstance(cid, bool)):
                    self.error(None, f"{field}.campaign_id", _("Campanha inválida."))

    def step(self, sid: str, step: dict) -> None:
        kind = step.get("type")
        if kind not in STEP_TYPES:
            self.error(sid, "type", _("Tipo de passo desconhecido: %(t)s.", t=str(kind)[:20]))
            return
        self.text(sid, "name", step.get("name"), 80, required=False)
        getattr(self, f"step_{kind}")(sid, step)
        for field, target in exits_of(step):
            self.exit(sid, field, target, required=not field.startswith("on_"))
        for field, target in exits_of(step):
            if field.startswith("on_") and target in (None, ""):
                self.warning(
                    sid,
                    field,
                    _("Saída de erro sem conexão: o fluxo termina aqui se ela for usada."),
                )

    def step_send(self, sid: str, step: dict) -> None:
        self.message(sid, "message", step.get("message"))

    def step_ask(self, sid: str, step: dict) -> None:
        self.message(sid, "message", step.get("message"))
        self.var_name(sid, "save_as", step.get("save_as"))
        target = step.get("save_to_contact")
        if target not in (None, "") and (not isinstance(target, str) or not VAR_NAME.match(target)):
            self.error(sid, "save_to_contact", _("Campo do contato inválido."))
        self.text(sid, "invalid_message", step.get("invalid_message"), MAX_TEXT, required=False)
        self.int_range(sid, "max_attempts", step.get("max_attempts"), 1, 10, required=False)
        validation = step.get("validation")
        if validation is None:
            return
        if (
            not isinstance(validation, dict)
            or validation.get("kind", "text") not in VALIDATION_KINDS
        ):
            self.error(sid, "validation.kind", _("Validação desconhecida."))
            return
        if validation.get("kind") == "number":
            for key in ("min", "max"):
                v = validation.get(key)
                if v is not None and (not isinstance(v, int | float) or isinstance(v, bool)):
                    self.error(sid, f"validation.{key}", _("Use um número."))
        if validation.get("kind") == "choice":
            choices = validation.get("choices")
            if not isinstance(choices, list) or not 1 <= len(choices) <= MAX_CHOICES:
                self.error(sid, "validation.choices", _("Use de 1 a %(n)s opções.", n=MAX_CHOICES))
                return
            ids: set[str] = set()
            for i, c in enumerate(choices):
                if not isinstance(c, dict):
                    self.error(sid, f"validation.choices.{i}", _("Opção inválida."))
                    continue
                cid = c.get("id")
                if not isinstance(cid, str) or not STEP_ID.match(cid):
                    self.error(
                        sid,
                        f"validation.choices.{i}.id",
                        _("Identificador inválido (use a-z, 0-9 e _, até 64)."),
                    )
                elif cid in ids:
                    self.error(sid, f"validation.choices.{i}.id", _("Opção repetida."))
                ids.add(str(cid))
                limit = meta.ROW_TITLE_MAX if len(choices) <= meta.MAX_ROWS else 200
                self.text(
                    sid, f"validation.choices.{i}.title", c.get("title"), limit, required=True
                )
                self.text(sid, f"validation.choices.{i}.description", c.get("description"),
                          meta.ROW_DESCRIPTION_MAX, required=False)  # fmt: skip
            self.text(
                sid, "list_button", step.get("list_button"), meta.LIST_BUTTON_MAX, required=False
            )

    def step_condition(self, sid: str, step: dict) -> None:
        rules = step.get("rules")
        if not isinstance(rules, list) or len(rules) > MAX_RULES:
            self.error(sid, "rules", _("Use até %(n)s regras.", n=MAX_RULES))
            return
        for i, rule in enumerate(rules):
            cond = rule.get("if") if isinstance(rule, dict) else None
            field = f"rules.{i}.if"
            if not isinstance(cond, dict) or cond.get("source") not in CONDITION_SOURCES:
                self.error(sid, field, _("Condição inválida."))
                continue
            source, op = cond["source"], cond.get("op")
            if source == "var":
                self.var_name(sid, f"{field}.name", cond.get("name"))
                if op not in VAR_OPS:
                    self.error(sid, f"{field}.op", _("Operador inválido."))
            elif source == "contact":
                f = cond.get("field")
                if not isinstance(f, str) or not (
                    f in CONTACT_FIELDS or (f.startswith("attr:") and VAR_NAME.match(f[5:]))
                ):
                    self.error(sid, f"{field}.field", _("Campo do contato inválido."))
                if op not in VAR_OPS:
                    self.error(sid, f"{field}.op", _("Operador inválido."))
            elif source == "business_hours":
                if op not in ("open", "closed"):
                    self.error(sid, f"{field}.op", _("Use “aberto” ou “fechado”."))
            elif source == "time":
                if (
                    op != "between"
                    or not HHMM.match(str(cond.get("from", "")))
                    or not HHMM.match(str(cond.get("to", "")))
                ):
                    self.error(sid, field, _("Informe o intervalo de horas como 08:00 e 18:00."))
                days = cond.get("weekdays")
                if days is not None and (
                    not isinstance(days, list) or any(d not in range(7) for d in days)
                ):
                    self.error(sid, f"{field}.weekdays", _("Dias da semana inválidos."))
            elif source in ("number", "label"):
                ok_op = op == "eq" if source == "number" else op in ("has", "not_has")
                if not ok_op:
                    self.error(sid, f"{field}.op", _("Operador inválido."))
                v = cond.get("value")
                if not isinstance(v, int) or isinstance(v, bool):
                    self.error(sid, f"{field}.value", _("Escolha um item da lista."))

    def step_set(self, sid: str, step: dict) -> None:
        for key in ("add_labels", "remove_labels"):
            v = step.get(key)
            if v is not None and (not isinstance(v, list) or len(v) > 50
                                  or any(not isinstance(x, int) or isinstance(x, bool) for x in v)):  # fmt: skip
                self.error(sid, key, _("Etiquetas inválidas."))
        for key in ("attributes", "variables"):
            v = step.get(key)
            if v is None:
                continue
            if not isinstance(v, dict) or len(v) > 50:
                self.error(sid, key, _("Use até 50 itens."))
                continue
            for name, tpl in v.items():
                self.var_name(sid, f"{key}.{name}"[:80], name)
                self.text(sid, f"{key}.{name}"[:80], tpl, MAX_TEMPLATE, required=False)

    def step_http(self, sid: str, step: dict) -> None:
        self.url(sid, "url", step.get("url"), http=True)
        if step.get("method", "POST") not in ("POST", "GET"):
            self.error(sid, "method", _("Use POST ou GET."))
        self.int_range(sid, "timeout_s", step.get("timeout_s"), 1, 15, required=False)
        headers = step.get("headers")
        if headers is not None:
            if not isinstance(headers, dict) or len(headers) > 20:
                self.error(sid, "headers", _("Use até 20 cabeçalhos."))
            else:
                for k, v in headers.items():
                    if not re.match(r"^[A-Za-z0-9-]{1,64}$", str(k)):
                        self.error(
                            sid, "headers", _("Nome de cabeçalho inválido: %(h)s.", h=str(k)[:64])
                        )
                    self.text(sid, f"headers.{k}"[:80], v, MAX_TEMPLATE, required=False)
        mapping = step.get("map")
        if mapping is not None:
            if not isinstance(mapping, dict) or len(mapping) > MAX_MAP:
                self.error(sid, "map", _("Use até %(n)s campos.", n=MAX_MAP))
            else:
                for name, path in mapping.items():
                    self.var_name(sid, f"map.{name}"[:80], name)
                    if not isinstance(path, str) or not DOTTED_PATH.match(path):
                        self.error(
                            sid, f"map.{name}"[:80], _("Caminho inválido (ex.: pedido.status).")
                        )

    def step_ai(self, sid: str, step: dict) -> None:
        self.text(sid, "instructions", step.get("instructions"), MAX_TEXT, required=False)
        self.var_name(sid, "save_as", step.get("save_as"), required=False)

    def step_handoff(self, sid: str, step: dict) -> None:
        for key in ("team_id", "user_id"):
            v = step.get(key)
            if v is not None and (not isinstance(v, int) or isinstance(v, bool)):
                self.error(sid, key, _("Escolha um item da lista."))
        if step.get("priority", "normal") not in ("normal", "urgent"):
            self.error(sid, "priority", _("Use normal ou urgente."))
        self.message(sid, "message", step.get("message"), required=False)
        self.text(sid, "note", step.get("note"), MAX_TEXT, required=False)

    def step_wait(self, sid: str, step: dict) -> None:
        self.int_range(sid, "seconds", step.get("seconds"), 1, MAX_WAIT_S, required=True)

    def step_end(self, sid: str, step: dict) -> None:
        self.message(sid, "message", step.get("message"), required=False)

    def variables(self, seen: set[str]) -> None:
        """Warn when a step reads a variable no step before it (on some path) sets."""
        preds: dict[str, set[str]] = {sid: set() for sid in self.steps}
        for sid in seen:
            for _f, target in exits_of(self.steps[sid]):
                if isinstance(target, str) and target in preds:
                    preds[target].add(sid)
        for sid in sorted(seen):
            reads = reads_of(self.steps[sid])
            if not reads:
                continue
            ancestors: set[str] = set()
            queue = deque(preds[sid])
            while queue:
                p = queue.popleft()
                if p in ancestors:
                    continue
                ancestors.add(p)
                queue.extend(preds[p] - ancestors)
            available: set[str] = set()
            for p in ancestors:
                available |= writes_of(self.steps[p])
            for name in sorted(reads - available):
                self.warning(
                    sid, "", _("A variável “%(v)s” é usada antes de ser preenchida.", v=name)
                )


def validate(graph: dict) -> list[Problem]:
    """Every problem of ``graph`` (errors block publishing; warnings do not)."""
    try:
        return _Checker(graph).run()
    except RecursionError:  # pathologically nested JSON
        return [Problem(None, "", "error", _("O fluxo não é um JSON válido."))]


def errors_of(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.level == "error"]
