"""English mode is complete: every msgid of the code is translated, no Portuguese literal
hides in a ``raise`` or in the JavaScript, JS strings come from the gettext catalog the
layout renders, and numbers in messages are the settings' numbers.

pt_BR is the source language; ``scripts/update_translations.sh`` refreshes the catalog.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import clickpro
from clickpro.js_catalog import JS_MESSAGES

PACKAGE = Path(clickpro.__file__).parent
ROOT = PACKAGE.parent
PO = PACKAGE / "translations" / "en" / "LC_MESSAGES" / "messages.po"
JS_DIR = PACKAGE / "static" / "js"
KEYWORDS = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None,
            "ngettext": (1, 2), "lazy_ngettext": (1, 2)}  # fmt: skip
GETTEXT_CALLS = {"_", "_l", "gettext", "lazy_gettext", "ngettext", "lazy_ngettext"}

# A small heuristic: accented letters or common Portuguese words of error messages.
_PT_WORDS = (
    r"n[ãa]o|inv[áa]lid[oa]s?|informe|encontrad[oa]s?|escolha|j[áa]|existe|nome|lista|"
    r"contato|modelo|campanha|vari[áa]vel|cabe[çc]alho|corpo|bot[ãa]o|telefone|n[úu]mero|"
    r"vazio|mensagem|conversa|cliente|chave|formato|desconhecid[oa]|arquivo|m[íi]dia|"
    r"etiqueta|usu[áa]rio|senha|conta|obrigat[óo]ri[oa]|deve|precisa|muit[oa]s?|demais|"
    r"m[áa]ximo|m[íi]nimo|sem|para|est[áa]|foi|ainda|importa[çc][ãa]o|coluna|linha|"
    r"planilha|permiss[ãa]o|erro|tente|nada|salvo|agora|limite|tentativas?|um|uma|valor|"
    r"entre|seu|sua|dos|das"
)
PORTUGUESE = re.compile(rf"[áàâãéêíóôõúçÁÀÂÃÉÊÍÓÔÕÚÇ]|\b(?:{_PT_WORDS})\b", re.IGNORECASE)


def _english_catalog() -> dict:
    with PO.open("rb") as fh:
        # plural entries are keyed by their singular msgid (what extraction yields first)
        return {(m.id[0] if isinstance(m.id, tuple) else m.id): m for m in read_po(fh) if m.id}


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return not message.fuzzy and all(strings)


# ----------------------------------------------------------------------------- catalog


def test_every_msgid_in_the_catalog_has_an_english_translation():
    untranslated = [str(m.id) for m in _english_catalog().values() if not _translated(m)]
    assert not untranslated, (
        f"{len(untranslated)} msgid(s) without English; run scripts/update_translations.sh "
        f"and translate them: {untranslated[:10]}"
    )


def test_every_string_of_the_code_is_in_the_english_catalog():
    """A new _("…") that nobody extracted fails here, not in front of an English user."""
    method_map = [("**/sandbox/**", "ignore"), ("**.py", "python"),
                  ("**/templates/**.html", "jinja2")]  # fmt: skip
    catalog = _english_catalog()
    missing = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(PACKAGE), method_map=method_map, keywords=KEYWORDS
    ):
        msgid = message if isinstance(message, str) else message[0]
        if not msgid:
            continue
        entry = catalog.get(msgid)
        if entry is None or not _translated(entry):
            missing.add(msgid)
    assert not missing, f"not translated in English: {sorted(missing)[:10]}"


# ----------------------------------------------------------------------------- raise


def _literal_text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    return None


def portuguese_raises(source: str) -> list[tuple[int, str]]:
    """(line, text) of Portuguese literals given to a raised exception outside gettext."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Raise) or node.exc is None:
            continue
        stack: list[ast.AST] = [node.exc]
        while stack:
            item = stack.pop()
            if isinstance(item, ast.Call):
                func = item.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                if name in GETTEXT_CALLS:
                    continue
                stack.extend(item.args)
                stack.extend(k.value for k in item.keywords)
            elif isinstance(item, ast.BinOp):
                stack.extend([item.left, item.right])
            elif isinstance(item, ast.IfExp):
                stack.extend([item.body, item.orelse])
            elif isinstance(item, ast.BoolOp):
                stack.extend(item.values)
            else:
                text = _literal_text(item)
                if text is not None and PORTUGUESE.search(text):
                    found.append((item.lineno, text))
    return found


def test_the_raise_check_sees_literals_and_lets_gettext_through():
    source = (
        "def f(x):\n"
        "    if x == 1: raise ValueError('Lista não encontrada.')\n"
        "    if x == 2: raise E('field', f'Nome {x} inválido')\n"
        "    if x == 3: raise E('a' + ('Informe o nome' if x else ''))\n"
        "    if x == 4: raise ValueError(_('Lista não encontrada.'))\n"
        "    if x == 5: raise E('field', gettext('Nome %(x)s inválido', x=x))\n"
        "    raise RuntimeError('unknown settings: ' + str(x))\n"
    )
    assert [line for line, _text in portuguese_raises(source)] == [2, 3, 4]


def test_no_portuguese_literal_in_a_raise():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for line, text in portuguese_raises(path.read_text(encoding="utf-8")):
            offenders.append(f"{path.relative_to(ROOT)}:{line}: {text[:60]!r}")
    assert not offenders, "wrap these in gettext (_):\n" + "\n".join(offenders)


# ----------------------------------------------------------------------------- JS

_JS_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"|\'((?:[^\'\\\n]|\\.)*)\'|`((?:[^`\\]|\\.)*)`')
_JS_COMMENT = re.compile(r"/\*.*?\*/|(?<![:\"'\\])//[^\n]*", re.DOTALL)


def js_portuguese_literals(source: str) -> list[str]:
    code = _JS_COMMENT.sub("", source)
    texts = ["".join(groups) for groups in _JS_STRING.findall(code)]
    return [text for text in texts if PORTUGUESE.search(text)]


def _own_js_files() -> list[Path]:
    return sorted(p for p in JS_DIR.rglob("*.js") if "vendor" not in p.parts)


def test_the_js_check_sees_literals():
    source = 'el.textContent = "Escolha ao menos uma lista."; // Conversa não aberta\n'
    source += "const a = t('inbox.today'); const b = `Sem valor: ${x}`;"
    assert js_portuguese_literals(source) == ["Escolha ao menos uma lista.", "Sem valor: ${x}"]


def test_no_portuguese_literal_in_the_project_js():
    offenders = {
        str(path.relative_to(ROOT)): hits
        for path in _own_js_files()
        if (hits := js_portuguese_literals(path.read_text(encoding="utf-8")))
    }
    assert not offenders, f"put these in clickpro/js_catalog.py and use t(): {offenders}"


def test_js_is_one_dialect_of_modules_and_intl_uses_the_page_locale():
    for path in _own_js_files():
        source = path.read_text(encoding="utf-8")
        name = path.relative_to(ROOT)
        iife = re.search(r"^\(function\b|^\s*var ", source, re.MULTILINE)
        assert not iife, f"{name}: classic script (IIFE / var), not a module"
        assert not re.search(r"Intl\.\w+\(\s*[\"']", source), f"{name}: hard-coded Intl locale"
    for template in PACKAGE.rglob("templates/**/*.html"):
        for tag in re.findall(r"<script\b[^>]*src=[^>]*filename='js/[^>]*>", template.read_text()):
            assert 'type="module"' in tag, f"{template.name}: {tag}"


def test_every_js_key_is_in_the_catalog():
    used = set()
    for path in _own_js_files():
        used |= set(re.findall(r"\bt\(\s*[\"']([\w.]+)[\"']", path.read_text(encoding="utf-8")))
        # keys chosen in a table: "inbox.queued" etc. written as plain strings
        used |= set(re.findall(r"[\"']((?:inbox|campaign|template)\.\w+)[\"']", path.read_text()))
    assert used, "no t() call found"
    assert not used - set(JS_MESSAGES), f"unknown JS keys: {sorted(used - set(JS_MESSAGES))}"


def _page_catalog(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="i18n">(.*?)</script>', html, re.S)
    assert match, "the layout renders no JS catalog"
    return json.loads(match.group(1))


def test_the_layout_renders_the_js_catalog_in_the_users_language(client):
    pt = _page_catalog(client.get("/login").get_data(as_text=True))
    assert pt["inbox.today"] == "Hoje" and set(JS_MESSAGES) <= set(pt)
    assert pt["label.campaign.RUNNING"] == "Em envio"  # status labels ride along (labels.py)
    english = client.get("/login?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english
    en = _page_catalog(english)
    assert en["inbox.today"] == "Today"
    assert en["campaign.pickList"] == "Choose at least one list."
    untranslated = [key for key in JS_MESSAGES if en[key] == pt[key] and PORTUGUESE.search(pt[key])]
    assert not untranslated, f"JS strings still in Portuguese in English mode: {untranslated}"


# ----------------------------------------------------------------------------- numbers


def test_the_lockout_text_states_the_configured_numbers(app, client, create_client):
    app.config.update(LOGIN_THROTTLE_PER_ACCOUNT=3, LOGIN_THROTTLE_WINDOW_MINUTES=7)
    tenant = create_client()

    def attempt(lang: str = ""):
        return client.post(
            "/login" + lang,
            data={"email": tenant.admin.email, "password": "errada-de-proposito"},
            environ_base={"REMOTE_ADDR": "192.0.2.77"},
        )

    first = attempt().get_data(as_text=True)
    assert "Após 3 tentativas erradas" in first and "bloqueadas por 7 minutos" in first
    second = attempt("?lang=en").get_data(as_text=True)
    assert "After 3 wrong attempts" in second and "blocked for 7 minutes" in second
    attempt()
    throttled = attempt()  # the 4th: what the text said
    assert throttled.status_code == 429
    assert re.search(r"Try again in 7 minute", throttled.get_data(as_text=True))
