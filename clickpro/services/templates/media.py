"""Template media and send side (pure, no Flask, no DB); re-exported by ``template_rules``.

- ``validate_header_media``: checks a media header file. The type is always decided by the file's content (magic bytes), never by its name or by
the MIME type the browser claims: a ``.exe`` renamed ``.jpg`` is refused.
  Limits are Meta's: IMAGE JPEG/PNG ≤ 5 MB, VIDEO MP4 ≤ 16 MB, DOCUMENT PDF ≤ 100 MB.
- ``variable_slots`` / ``build_send_components`` / ``render_text``: work on Meta's template
  ``components`` (as created or as listed by Meta), for campaigns, the API and previews.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from clickpro.errors import ServiceError


class TemplateInputError(ServiceError, ValueError):
    """A header file or a variable value the template cannot take (message translated)."""


VAR_RE = re.compile(r"\{\{(\d+)\}\}")
ANY_PLACEHOLDER_RE = re.compile(r"\{\{(.*?)\}\}")
# Meta refuses parameters with new lines, tabs or more than 3 consecutive spaces.
BAD_PARAM_RE = re.compile(r"[\n\r\t]| {4,}")

MB = 1024 * 1024

# header_format -> (accepted MIME types, size limit in bytes, expected kind, plural noun)
MEDIA_RULES: dict[str, tuple[tuple[str, ...], int, str, str]] = {
    "IMAGE": (("image/jpeg", "image/png"), 5 * MB, "uma imagem JPEG ou PNG", "imagens"),
    "VIDEO": (("video/mp4",), 16 * MB, "um vídeo MP4", "vídeos"),
    "DOCUMENT": (("application/pdf",), 100 * MB, "um documento PDF", "documentos"),
}

# ISO base media brands that WhatsApp plays as MP4 (QuickTime "qt  " and 3GPP are not MP4).
_MP4_BRANDS = {
    b"isom",
    b"iso2",
    b"iso3",
    b"iso4",
    b"iso5",
    b"iso6",
    b"mp41",
    b"mp42",
    b"avc1",
    b"M4V ",
    b"M4VH",
    b"M4VP",
    b"mmp4",
    b"dash",
    b"MSNV",
    b"NDAS",
}

_LABELS = {
    "image/jpeg": "imagem JPEG",
    "image/png": "imagem PNG",
    "image/gif": "imagem GIF",
    "image/webp": "imagem WEBP",
    "image/bmp": "imagem BMP",
    "video/mp4": "vídeo MP4",
    "video/quicktime": "vídeo QuickTime (MOV)",
    "video/3gpp": "vídeo 3GP",
    "application/pdf": "documento PDF",
    "application/x-msdownload": "programa executável do Windows",
    "application/x-executable": "programa executável",
    "application/zip": "arquivo ZIP/Office",
    "application/x-rar": "arquivo RAR",
    "application/gzip": "arquivo GZIP",
    "text/html": "página HTML",
}


def sniff_mime(content: bytes) -> str | None:
    """Return the MIME type detected from the first bytes, or None when unknown."""
    head = content[:64]
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"BM"):
        return "image/bmp"
    if head[4:8] == b"ftyp":
        return _sniff_ftyp(content)
    if b"%PDF-" in content[:1024]:
        return "application/pdf"
    if head.startswith(b"MZ"):
        return "application/x-msdownload"
    if head.startswith(b"\x7fELF"):
        return "application/x-executable"
    if head.startswith(b"PK\x03\x04"):
        return "application/zip"
    if head.startswith(b"Rar!"):
        return "application/x-rar"
    if head.startswith(b"\x1f\x8b"):
        return "application/gzip"
    if head.lstrip().lower().startswith((b"<!doctype html", b"<html")):
        return "text/html"
    return None


def _sniff_ftyp(content: bytes) -> str:
    box_size = int.from_bytes(content[0:4], "big")
    major = content[8:12]
    end = min(max(box_size, 16), 4096, len(content))
    compatible = {content[i : i + 4] for i in range(16, end - 3, 4)}
    if major == b"qt  ":
        return "video/quicktime"
    if major in _MP4_BRANDS or compatible & _MP4_BRANDS:
        return "video/mp4"
    if major.startswith(b"3g"):
        return "video/3gpp"
    return "video/quicktime" if b"qt  " in compatible else "application/octet-stream"


def _format_mb(size: int) -> str:
    return f"{size / MB:.1f}".replace(".", ",") + " MB"


def validate_header_media(content: bytes, header_format: str) -> str:
    """Check an uploaded header file; return its MIME type or raise TemplateInputError."""
    rule = MEDIA_RULES.get((header_format or "").upper())
    if rule is None:
        raise TemplateInputError(_("Este formato de cabeçalho não aceita arquivo de mídia."))
    accepted, limit, expected, plural = rule
    if not content:
        raise TemplateInputError(_("O arquivo enviado está vazio."))
    mime = sniff_mime(content)
    if mime not in accepted:
        detected = _LABELS.get(mime or "", _("tipo desconhecido"))
        raise TemplateInputError(
            _(
                "O arquivo não é %(expected)s (conteúdo detectado: %(detected)s). O tipo é verificado pelo conteúdo, não pelo nome do arquivo.",
                expected=expected,
                detected=detected,
            )
        )
    if len(content) > limit:
        raise TemplateInputError(
            _(
                "O arquivo tem %(format_mb)s; o limite da Meta para %(plural)s é %(limit_mb)s MB.",
                format_mb=_format_mb(len(content)),
                plural=plural,
                limit_mb=limit // MB,
            )
        )
    return mime


# --------------------------------------------------------------------------- variables and send side


def variables_in(text: str) -> list[int]:
    """Distinct variable numbers in order of first appearance: "{{2}} {{1}} {{2}}" → [2, 1]."""
    seen: list[int] = []
    for match in VAR_RE.finditer(text or ""):
        if int(match.group(1)) not in seen:
            seen.append(int(match.group(1)))
    return seen


def variable_errors(text: str) -> list[str]:
    """pt_BR errors for malformed, out-of-order or skipped ``{{n}}`` variables."""
    errors = []
    for inner in ANY_PLACEHOLDER_RE.findall(text or ""):
        if not inner.isdigit():
            errors.append(
                _("Variável inválida {{%(inner)s}}: use apenas números, como {{1}}.", inner=inner)
            )
    numbers = variables_in(text)
    if any(n == 0 for n in numbers):
        errors.append(_("As variáveis começam em {{1}}; {{0}} não é permitido."))
    elif numbers != list(range(1, len(numbers) + 1)):
        if numbers == sorted(numbers):
            missing = next(i for i in range(1, numbers[-1] + 1) if i not in numbers)
            errors.append(
                _(
                    "As variáveis devem ser sequenciais, sem pular números: falta {{%(missing)s}}.",
                    missing=missing,
                )
            )
        else:
            first_bad = next(n for i, n in enumerate(numbers) if n != i + 1)
            errors.append(
                _(
                    "As variáveis devem aparecer em ordem ({{1}}, {{2}}, {{3}}…): {{%(first_bad)s}} aparece antes de {{%(value)s}}.",
                    first_bad=first_bad,
                    value=numbers.index(first_bad) + 1,
                )
            )
    return errors


def example_errors(examples: list[str], count: int, where: str) -> list[str]:
    """pt_BR errors for the examples of ``count`` variables (missing, new lines, spaces)."""
    errors = []
    for i in range(count):
        value = examples[i] if i < len(examples) else ""
        if not (value or "").strip():
            errors.append(
                _(
                    "Informe um exemplo para a variável {{%(value)s}} %(where)s.",
                    value=i + 1,
                    where=where,
                )
            )
        elif BAD_PARAM_RE.search(value):
            errors.append(
                _(
                    "O exemplo da variável {{%(value)s}} %(where)s não pode ter quebras de linha, tabulações nem 4 ou mais espaços seguidos.",
                    value=i + 1,
                    where=where,
                )
            )
    return errors


def _upper(component: dict, key: str = "type", default: str = "") -> str:
    return str(component.get(key) or default).upper()


def _button_slot_count(button: dict) -> int:
    btype = _upper(button)
    if btype == "URL":
        return len(variables_in(button.get("url", "")))
    return 1 if btype in ("COPY_CODE", "OTP") else 0


def variable_slots(components: list[dict]) -> dict:
    """What a campaign must fill: {"header": n, "body": n, "buttons": {"0": n}, "header_media"}.

    ``buttons`` only lists the buttons that take a parameter (URL with {{1}}, COPY_CODE,
    OTP), keyed by their index (as a string) in the BUTTONS component.
    ``header_media`` is the header format ("IMAGE", "VIDEO", "DOCUMENT", "LOCATION") or None.
    """
    slots: dict = {"header": 0, "body": 0, "buttons": {}, "header_media": None}
    for component in components or []:
        ctype = _upper(component)
        if ctype == "HEADER":
            fmt = _upper(component, "format", "TEXT")
            if fmt == "TEXT":
                slots["header"] = len(variables_in(component.get("text", "")))
            else:
                slots["header_media"] = fmt
        elif ctype == "BODY":
            slots["body"] = len(variables_in(component.get("text", "")))
        elif ctype == "BUTTONS":
            for index, button in enumerate(component.get("buttons") or []):
                if count := _button_slot_count(button):
                    slots["buttons"][str(index)] = count
    return slots


def _param_text(value, where: object, number: int) -> str:
    text = "" if value is None else str(value).strip()
    if not text:
        raise TemplateInputError(
            _(
                "O valor da variável {{%(number)s}} %(where)s está vazio.",
                number=number,
                where=where,
            )
        )
    # Meta refuses new lines/tabs/4+ spaces in parameters: normalise instead of failing.
    return re.sub(r" {4,}", "   ", re.sub(r"[\r\n\t]+", " ", text))


def _as_list(value) -> list:
    """A lone value (e.g. "Maria" instead of ["Maria"]) counts as a one-item list."""
    if value is None:
        return []
    return [value] if isinstance(value, str | int | float) else list(value)


def _button_label(index: str) -> str:
    return (
        _("O botão %(value)s", value=int(index) + 1)
        if index.isdigit()
        else _("O botão %(index)r", index=index)
    )


def _check_count(values: list, expected: int, where: object) -> None:
    if len(values) != expected:
        raise TemplateInputError(
            _(
                "%(where)s do modelo tem %(expected)s variável(is), mas foram informados %(count)s valor(es).",
                where=where,
                expected=expected,
                count=len(values),
            )
        )


def _media_parameter(fmt: str, media) -> dict:
    if fmt == "LOCATION":
        if not isinstance(media, dict) or "latitude" not in media or "longitude" not in media:
            raise TemplateInputError(
                _("Informe a localização do cabeçalho (latitude e longitude).")
            )
        return {"type": "location", "location": dict(media)}
    if not isinstance(media, dict) or not (media.get("id") or media.get("link")):
        raise TemplateInputError(_("Informe a mídia do cabeçalho do modelo (link ou id da mídia)."))
    kind = fmt.lower()
    obj = {"id": str(media["id"])} if media.get("id") else {"link": str(media["link"])}
    if kind == "document" and media.get("filename"):
        obj["filename"] = str(media["filename"])
    return {"type": kind, kind: obj}


def build_send_components(components: list[dict], values: dict) -> list[dict]:
    """The ``template.components`` of a send (``POST /{phone_number_id}/messages``).

    ``values``: {"header": [...], "body": [...], "buttons": {"0": [...]},
    "header_media": {"link": url} | {"id": media_id} (+ "filename" for documents)}.
    Raises ValueError (pt_BR) when a count does not match the template, a value is empty
    or the media header has no media. Components without parameters are omitted.
    """
    values = values or {}
    slots = variable_slots(components)
    result: list[dict] = []
    header = _as_list(values.get("header"))
    # Lazy labels: only an error message reads them (a campaign builds this per row).
    _check_count(header, slots["header"], _l("O cabeçalho"))
    if slots["header_media"]:
        parameter = _media_parameter(slots["header_media"], values.get("header_media"))
        result.append({"type": "header", "parameters": [parameter]})
    elif header:
        params = [
            {"type": "text", "text": _param_text(v, _l("do cabeçalho"), i + 1)}
            for i, v in enumerate(header)
        ]
        result.append({"type": "header", "parameters": params})
    body = _as_list(values.get("body"))
    _check_count(body, slots["body"], _l("O corpo"))
    if body:
        params = [
            {"type": "text", "text": _param_text(v, _l("do corpo"), i + 1)}
            for i, v in enumerate(body)
        ]
        result.append({"type": "body", "parameters": params})
    given = {str(k): _as_list(v) for k, v in (values.get("buttons") or {}).items()}
    for index in given:
        if index not in slots["buttons"] and given[index]:
            raise TemplateInputError(
                _("%(button_label)s do modelo não tem variável.", button_label=_button_label(index))
            )
    buttons = _buttons_of(components)
    for index, expected in slots["buttons"].items():
        button_values = given.get(index, [])
        _check_count(button_values, expected, _button_label(index))
        text = _param_text(button_values[0], _l("do botão %(value)s", value=int(index) + 1), 1)
        if _upper(buttons[int(index)]) == "COPY_CODE":
            sub_type, parameter = "copy_code", {"type": "coupon_code", "coupon_code": text}
        else:  # URL suffix, or the code of an OTP (authentication) button
            sub_type, parameter = "url", {"type": "text", "text": text}
        result.append(
            {"type": "button", "sub_type": sub_type, "index": index, "parameters": [parameter]}
        )
    return result


def _buttons_of(components: list[dict]) -> list[dict]:
    for component in components or []:
        if _upper(component) == "BUTTONS":
            return list(component.get("buttons") or [])
    return []


def _fill(text: str, values: list, examples: list) -> str:
    def replace(match: re.Match) -> str:
        i = int(match.group(1)) - 1
        for source in (values, examples):
            if 0 <= i < len(source) and source[i] not in (None, ""):
                return str(source[i])
        return match.group(0)

    return VAR_RE.sub(replace, text or "")


def render_text(components: list[dict], values: dict | None = None) -> dict:
    """Readable template: {{n}} replaced by ``values`` (same shape as for sending) or, when
    missing, by the template's examples; left as "{{n}}" when neither exists."""
    values = values or {}
    result: dict = {
        "header": None,
        "header_format": "NONE",
        "body": "",
        "footer": None,
        "buttons": [],
    }
    for component in components or []:
        ctype = _upper(component)
        example = component.get("example") or {}
        if ctype == "HEADER":
            result["header_format"] = _upper(component, "format", "TEXT")
            if result["header_format"] == "TEXT":
                examples = example.get("header_text") or []
                result["header"] = _fill(
                    component.get("text", ""), values.get("header") or [], examples
                )
        elif ctype == "BODY":
            rows = example.get("body_text") or [[]]
            result["body"] = _fill(component.get("text", ""), values.get("body") or [], rows[0])
        elif ctype == "FOOTER":
            result["footer"] = component.get("text") or None
        elif ctype == "BUTTONS":
            result["buttons"] = [
                {"type": _upper(b), "text": b.get("text") or _DEFAULT_LABELS.get(_upper(b), "")}
                for b in component.get("buttons") or []
            ]
    return result


_DEFAULT_LABELS = {"COPY_CODE": "Copiar código", "OTP": "Copiar código"}
