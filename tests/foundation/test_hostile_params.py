"""Property test: hostile numbers, dates and strings in any parameter never cause a 5xx.

Logged in as a client admin, every route of the HTML app (``app.url_map``, the REST API
has its own schemathesis-style test) gets path ids, query strings, forms and JSON bodies
filled with values that used to be 500s: 20-digit integers, ``1e23``, negative numbers,
non-numbers, far dates (``9999-12-31``, ``0001-01-01``), keyset cursors made of them,
NUL bytes and very long strings. Every answer must be below 500.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import clickpro

SKIPPED_PREFIXES = ("/static", "/api/v1", "/admin", "/sandbox", "/socket.io", "/_control")
SKIPPED = {"/logout", "/login", "/webhook"}  # sign-in (H7), Meta's webhook (own tests)

HOSTILE_TEXT = [
    "99999999999999999999",
    "-99999999999999999999",
    "1e20",
    "1e23",
    "-1",
    "0",
    "1.5",
    "abc",
    "NaN",
    "Infinity",
    "9999-12-31",
    "0001-01-01",
    "0001-01-01|" + "9" * 30,
    "9999-12-31T23:59:59|1",
    "2026-13-45",
    "\x00",
    "1\x002",
    "x" * 10_000,
    "",
    " ",
    "[]",
    "<script>",
]
HOSTILE_JSON = [
    10**20,
    -(10**20),
    1e23,
    -1,
    0,
    2**63,
    1.5,
    True,
    None,
    [],
    {},
    [10**20],
    [1e23, "abc"],
    {"a": 10**20},
    "99999999999999999999",
    "1e23",
    "9999-12-31",
    "\x00",
    "x" * 10_000,
]
HOSTILE_IDS = ["1", "2", "99999999999999999999", "9223372036854775808", "2147483648", "0"]
EXTRA_NAMES = ["user_id", "label_ids", "label_id", "text", "ids", "contact_ids", "enabled",
               "role", "id", "page", "offset", "per_page", "attributes"]  # fmt: skip


def _parameter_names() -> list[str]:
    """Every parameter name the blueprints read (request args, forms, JSON keys)."""
    root = Path(clickpro.__file__).parent / "blueprints"
    pattern = re.compile(
        r"(?:args|form|json|data|payload|body|values)\.(?:get|getlist)\(\"([a-z_0-9]+)\""
        r"|_(?:int|date)_arg\(\"([a-z_]+)\"|arg_(?:int|id|date|datetime)\(\"([a-z_]+)\""
    )
    names: set[str] = set(EXTRA_NAMES)
    for path in root.rglob("*.py"):
        for match in pattern.finditer(path.read_text()):
            names.update(g for g in match.groups() if g)
    return sorted(names)


NAMES = _parameter_names()


def _routes():
    """(rule, method, path arguments, parameter names its view module reads)."""
    import inspect

    from clickpro import create_app

    app = create_app("testing")
    found = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(SKIPPED_PREFIXES) or rule.rule in SKIPPED:
            continue
        view = app.view_functions[rule.endpoint]
        module = inspect.getmodule(inspect.unwrap(view))
        source = inspect.getsource(module) if module else ""
        literals = set(re.findall(r"\"([a-z_0-9]+)\"", source))
        names = tuple(sorted((literals & set(NAMES)) | set(EXTRA_NAMES)))
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.rule, method, tuple(sorted(rule.arguments)), names))
    return sorted(set(found))


ROUTES = _routes()


@pytest.fixture
def admin_web(app, sandbox, create_client, create_contact, create_template, create_message,
              create_whatsapp_credential, login_as):  # fmt: skip
    """A client admin with a credential, a contact with messages and a template."""
    tenant = create_client("Loja Hostil")
    create_whatsapp_credential(tenant)
    contact = create_contact(tenant, "+5511987650001", name="Ana")
    create_message(tenant, contact, body="Oi")
    create_template(tenant, name="boas_vindas")
    return login_as(tenant.admin, tenant)


def _path(rule: str, ids: dict[str, str]) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: ids.get(m.group(1), "1"), rule)


def _values(names: tuple[str, ...], pool: list) -> st.SearchStrategy[dict]:
    """Either every parameter set to one hostile value, or a few, each its own."""
    same = st.sampled_from(pool).map(lambda value: dict.fromkeys(names, value))
    few = st.dictionaries(st.sampled_from(names), st.sampled_from(pool), min_size=1, max_size=5)
    return st.one_of(same, few)


@pytest.mark.parametrize(
    ("rule", "method", "arguments", "names"), ROUTES, ids=[f"{r[1]} {r[0]}" for r in ROUTES]
)
@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(data=st.data())
def test_no_5xx_for_hostile_parameters(admin_web, rule, method, arguments, names, data):
    ids = {
        name: data.draw(st.sampled_from(HOSTILE_IDS), label=name)
        for name in arguments
        if name != "lang"
    }
    path = _path(rule, {**ids, "lang": "pt_BR"})
    query = data.draw(_values(names, HOSTILE_TEXT), label="query")
    if method == "GET":
        response = admin_web.get(path, query_string=query)
    elif data.draw(st.booleans(), label="json"):
        body = data.draw(_values(names, HOSTILE_JSON), label="json body")
        response = admin_web.open(
            path, method=method, query_string=query, data=json.dumps(body),
            content_type="application/json",
        )  # fmt: skip
    else:
        form = data.draw(_values(names, HOSTILE_TEXT), label="form")
        response = admin_web.open(path, method=method, query_string=query, data=form)
    assert response.status_code < 500, (method, path, query, response.get_data(as_text=True)[:300])
