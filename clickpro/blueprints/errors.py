"""How each kind of edge answers a :class:`~clickpro.errors.ServiceError`.

* JSON edges (``/api/v1`` and the inbox's ``/inbox/api``): :func:`json_error` →
  ``{"error": {"code", "message", "details"}}`` with the error's HTTP status; request
  bodies are validated by pydantic models through :func:`parse_json_body`, so bad JSON,
  wrong types and missing fields are a 400/415/422 in that shape, never a 500.
* HTML pages: a view that re-renders its form calls :func:`form_error` (the message goes
  under the field at fault, the form keeps what the user typed); a ServiceError that
  escapes a page view reaches :func:`html_error` (registered app-wide by
  :func:`init_error_handlers`): a flash message, then back to the page the user came from.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException

from clickpro.errors import ServiceError

JSON_PREFIXES = ("/api/v1", "/inbox/api")


class RequestError(ServiceError):
    """A refusal by an edge itself (auth, content type, bad JSON); same body shape."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, code=code, http_status=status, details=details)
        self.headers = dict(headers or {})

    @property
    def status(self) -> int:
        return self.http_status


def http_codes() -> dict[int, tuple[str, str]]:
    """Code and message of the JSON body for the HTTP errors an edge answers itself."""
    return {
        400: ("bad_request", _("Requisição inválida.")),
        401: ("unauthorized", _("Token de API ausente, inválido ou revogado.")),
        403: ("forbidden", _("Acesso negado.")),
        404: ("not_found", _("Recurso não encontrado.")),
        405: ("method_not_allowed", _("Método não permitido nesta rota.")),
        413: ("payload_too_large", _("O corpo da requisição é grande demais.")),
        415: ("unsupported_media_type", _("Tipo de conteúdo não suportado.")),
        429: ("rate_limited", _("Muitas requisições.")),
    }


def from_http(exc: HTTPException) -> RequestError:
    status = exc.code or 500
    code, message = http_codes().get(status, ("error", exc.description or _("Erro.")))
    return RequestError(status, code, message)


# --------------------------------------------------------------------------- JSON edges


def error_body(exc: ServiceError) -> dict[str, Any]:
    return {"error": {"code": exc.code, "message": exc.message, "details": exc.error_details()}}


def json_error(exc: ServiceError, body: dict[str, Any] | None = None) -> Response:
    response = jsonify(body if body is not None else error_body(exc))
    response.status_code = exc.http_status
    for name, value in (getattr(exc, "headers", None) or {}).items():
        response.headers[name] = value
    return response


def validation_details(exc: ValidationError) -> dict[str, list[str]]:
    details: dict[str, list[str]] = {}
    for err in exc.errors(include_url=False):
        key = ".".join(str(p) for p in err["loc"]) or "body"
        message = _length_message(err) or err["msg"].removeprefix("Value error, ")
        details.setdefault(key, []).append(message)
    return details


def _length_message(err) -> str | None:
    """pydantic's length errors in the user's language, with the real bounds."""
    ctx = err.get("ctx") or {}
    given = err.get("input")
    n = len(given) if isinstance(given, str | list | dict) else None
    if err["type"] == "string_too_long":
        return _("No máximo %(max)s caracteres (tem %(n)s).", max=ctx.get("max_length"), n=n)
    if err["type"] == "string_too_short":
        return _("Pelo menos %(min)s caractere(s).", min=ctx.get("min_length"))
    if err["type"] == "too_long":
        return _("No máximo %(max)s itens (tem %(n)s).", max=ctx.get("max_length"), n=n)
    return None


def invalid(details: dict[str, list[str]], message: str | None = None) -> RequestError:
    return RequestError(422, "validation_error", message or _("Dados inválidos."), details)


def parse_model(model: type[BaseModel], data: Any) -> Any:
    """``model.model_validate(data)``; a ValidationError becomes a 422 with per-field details."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid(validation_details(exc)) from None


def parse_json_body(model: type[BaseModel]) -> Any:
    """The request's JSON body as ``model`` (415 not JSON, 400 unparsable, 422 invalid)."""
    if not request.is_json:
        raise RequestError(415, "unsupported_media_type", _("Envie o corpo como application/json."))
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # ``[[[[…`` 100 000 deep: not a body any endpoint takes
        data, nested_too_deep = None, True
    else:
        nested_too_deep = False
    if nested_too_deep or (data is None and request.get_data()):
        raise RequestError(400, "invalid_json", _("O corpo não é um JSON válido."))
    try:
        return parse_model(model, data if data is not None else {})
    except RecursionError:
        raise RequestError(400, "invalid_json", _("O corpo não é um JSON válido.")) from None


# --------------------------------------------------------------------------- HTML pages


def form_error(form: Any, exc: ServiceError) -> None:
    """Show ``exc`` on the re-rendered ``form``: under its field, else as a flash message."""
    field = getattr(form, exc.field, None) if exc.field else None
    errors = getattr(field, "errors", None)
    if isinstance(errors, list):
        errors.append(exc.message)
    elif field is not None and errors is not None:  # WTForms keeps a tuple before validate()
        field.errors = [*errors, exc.message]
    else:
        flash(exc.message, "danger")


def _back() -> str:
    """Where the user came from, when it is this site; else the dashboard."""
    referrer = request.referrer or ""
    parts = urlsplit(referrer)
    if referrer and parts.netloc == request.host and parts.scheme in ("http", "https"):
        return referrer
    return url_for("dashboard.index")


def html_error(exc: ServiceError):
    """A ServiceError no page view caught: flash it and go back (GET: an error page)."""
    from clickpro.extensions import db

    db.session.rollback()
    if request.path.startswith(JSON_PREFIXES) or _wants_json():
        return json_error(exc)
    if request.method == "GET":
        page = "errors/404.html" if exc.http_status == 404 else "errors/400.html"
        return render_template(page, description=exc.message), exc.http_status
    flash(exc.message, "danger")
    return redirect(_back(), code=303)


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def init_error_handlers(app: Flask) -> None:
    app.register_error_handler(ServiceError, html_error)
