"""Tenant isolation, walked over EVERY route of the app (no hard-coded route list).

Client A owns one row of every tenant model (see ``WORLD_FACTORIES`` in conftest.py),
each marked ``SEGREDO-A``. Logged in as client B's admin we request every URL rule:

* rules with arguments get A's ids/values (by argument name; an unknown int argument
  gets every id A owns, an unknown string/path argument every A value we know), with
  each method the rule declares (GET, and POST/PUT/PATCH/DELETE with an empty form and
  with an empty JSON body): the answer is 404 (403 role-gated, 400/401/405/422 bad
  input), never a success or a redirect;
* rules without arguments are fetched with GET (also with A's ids in the query string);
* no body ever contains an A marker, and afterwards A's rows are byte-for-byte unchanged.

New blueprints are covered automatically. A new argument name that should map to a
specific row goes in ``ARGUMENT_ROWS``; until then it is tried with every A id.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from foundation_world import A_PHONE, A_PHONE_NUMBER_ID, World, snapshot_of_a
from werkzeug.routing import Rule

from clickpro.extensions import db

SKIPPED_PREFIXES = ("/static", "/admin", "/_sandbox", "/socket.io")
ALLOWED_REFUSALS = {400, 401, 403, 404, 405, 409, 413, 415, 422}

# URL argument name -> key of world.rows (or a callable of the world).
ARGUMENT_ROWS: dict[str, str] = {
    "contact_id": "contact",
    "conversation_id": "conversation",
    "list_id": "contact_list",
    "contact_list_id": "contact_list",
    "opt_out_id": "opt_out",
    "optout_id": "opt_out",
    "template_id": "template",
    "campaign_id": "campaign",
    "message_id": "message",
    "import_id": "contact_import",
    "contact_import_id": "contact_import",
    "notification_id": "notification",
    "event_id": "webhook_event",
    "webhook_event_id": "webhook_event",
    "credential_id": "whatsapp_credential",
    "whatsapp_credential_id": "whatsapp_credential",
    "number_id": "whatsapp_credential",
    "openai_credential_id": "openai_credential",
    "member_id": "membership",
    "webhook_id": "webhook_endpoints",
    "membership_id": "membership",
    "invitation_id": "member_invitation",
    # generic rows of foundation_world (keyed by table): their foreign keys point at A's
    # rows above, so e.g. /flows/<A's flow>/simulator/<A's run of it> is a real pair
    "flow_id": "flows",
    "run_id": "flow_runs",
    "version_id": "flow_versions",
    "team_id": "teams",
    "tool_id": "ai_tools",
    "document_id": "knowledge_documents",
    "reply_id": "quick_replies",
    "token_id": "api_tokens",
}
SPECIAL_ARGUMENTS = {
    "client_id": lambda w: [w.a.id],
    "user_id": lambda w: [w.a_admin.id, w.a_agent.id],
    "wamid": lambda w: [w.rows["message"].wamid],
    "phone": lambda w: [A_PHONE, A_PHONE.lstrip("+")],
    "phone_number_id": lambda w: [A_PHONE_NUMBER_ID],
    "slug": lambda w: [w.a.slug],
    # every real action, so the request reaches the campaign lookup (a made-up one is a 404
    # before any row is read)
    "action": lambda w: _campaign_actions(),
}


def _campaign_actions() -> list[str]:
    from clickpro.blueprints.campaigns.routes import ACTIONS

    return sorted(ACTIONS)


def _all_a_ids(w: World) -> list[int]:
    # Rows keyed by something else (e.g. a campaign's cost estimate) have no ``id``.
    ids = {row.id for row in w.rows.values() if getattr(row, "id", None) is not None}
    return sorted(ids | {w.a.id, w.a_admin.id, w.a_agent.id})


# String arguments that never hold a row id (secrets, locales, dev mail names, report
# keys): A's named values only. An unknown string argument also gets every A id as text.
NOT_ID_STRING_ARGUMENTS = {"token", "lang", "name", "key", "fmt_name"}


def _a_named_strings(w: World) -> list[str]:
    return [
        w.a.slug,
        w.rows["message"].wamid,
        w.rows["template"].name,
        A_PHONE.lstrip("+"),
        A_PHONE_NUMBER_ID,
    ]


def _all_a_strings(w: World) -> list[str]:
    return _a_named_strings(w) + [str(i) for i in _all_a_ids(w)]


def candidates(rule: Rule, argument: str, w: World) -> list:
    converter = type(rule._converters[argument]).__name__.lower()  # noqa: SLF001
    if argument in ARGUMENT_ROWS:
        value = w.rows[ARGUMENT_ROWS[argument]].id
        return [value] if "int" in converter else [str(value)]
    if argument in SPECIAL_ARGUMENTS:
        return SPECIAL_ARGUMENTS[argument](w)
    if "uuid" in converter:
        return [uuid.uuid4()]
    if "int" in converter or "float" in converter:
        return _all_a_ids(w)
    if argument in NOT_ID_STRING_ARGUMENTS:
        return _a_named_strings(w)
    return _all_a_strings(w)


def argument_sets(rule: Rule, w: World) -> Iterator[dict]:
    """Each argument over its candidates, the others at their first candidate."""
    options = {arg: candidates(rule, arg, w) for arg in sorted(rule.arguments)}
    first = {arg: values[0] for arg, values in options.items()}
    yield first
    for arg, values in options.items():
        for value in values[1:]:
            yield {**first, arg: value}


def walked_rules(app, prefix: str = "") -> list[Rule]:
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(SKIPPED_PREFIXES) or rule.endpoint.endswith("static"):
            continue
        if not rule.rule.startswith(prefix):
            continue
        rules.append(rule)
    return rules


def _methods(rule: Rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _leaks(response, w: World) -> list[str]:
    # binary answers (PDF, XLSX) are searched too, as text where they hold any
    text = response.get_data().decode("utf-8", "replace") + response.headers.get("Location", "")
    return [marker for marker in w.markers if marker in text]


def _request(http, method: str, url: str, body: str = "none", query=None) -> tuple:
    """(response, None) or (None, error): an exception is a finding, not a crash."""
    try:
        if method == "GET":
            return http.get(url, query_string=query), None
        if body == "json":
            return http.open(url, method=method, json={}), None
        return http.open(url, method=method, data={}), None
    except Exception as exc:  # TESTING propagates errors: a 500 in production
        return None, f"{type(exc).__name__}: {str(exc)[:120]}"
    finally:
        db.session.rollback()


def walk_with_a_ids(
    app, w: World, http, prefix: str = "", only: Callable[[Rule], bool] | None = None
) -> tuple[list[str], int]:
    """Request every rule with arguments (or those ``only`` keeps), filled with A's ids;
    return the findings and the number of requests."""
    findings: list[str] = []
    requests = 0
    rules = [r for r in walked_rules(app, prefix) if r.arguments and (only is None or only(r))]
    for rule in rules:
        for values, method in itertools.product(argument_sets(rule, w), _methods(rule)):
            url = app.url_map.bind("localhost").build(rule.endpoint, values, method=method)
            for body in ("form", "json") if method != "GET" else ("none",):
                response, error = _request(http, method, url, body)
                requests += 1
                what = f"{method} {url} ({rule.endpoint}, {body} body)"
                if error:
                    findings.append(f"{what} -> {error}")
                    continue
                if response.status_code not in ALLOWED_REFUSALS:
                    findings.append(f"{what} -> {response.status_code}")
                findings.extend(f"{what} shows A's {m!r}" for m in _leaks(response, w))
    return findings, requests


def walk_without_arguments(
    app, w: World, http, prefix: str = "", only: Callable[[Rule], bool] | None = None
) -> list[str]:
    """GET every rule without arguments (or those ``only`` keeps), plain and with A's ids
    in the query string."""
    query = {name: w.rows[key].id for name, key in ARGUMENT_ROWS.items()}
    query.update({"id": w.rows["contact"].id, "q": "SEGREDO", "search": "SEGREDO"})
    findings: list[str] = []
    for rule in walked_rules(app, prefix):
        if rule.arguments or "GET" not in rule.methods or (only and not only(rule)):
            continue
        for params in (None, query):
            response, error = _request(http, "GET", rule.rule, query=params)
            what = f"GET {rule.rule}{' with A ids in the query' if params else ''}"
            if error or response.status_code >= 500:
                findings.append(f"{what} -> {error or response.status_code}")
                continue
            findings.extend(f"{what} shows A's {m!r}" for m in _leaks(response, w))
    return findings


def _report(findings: list[str]) -> str:
    return f"{len(findings)} finding(s):\n" + "\n".join(findings[:40])


@pytest.fixture
def as_b_admin(world, login_as):
    return login_as(world.b_admin, world.b)


def test_route_walk_with_a_ids_is_always_refused(app, world, as_b_admin):
    before = snapshot_of_a(world)
    findings, requests = walk_with_a_ids(app, world, as_b_admin)
    assert not findings, _report(findings)
    assert snapshot_of_a(world) == before, "client B's requests changed client A's rows"
    assert requests >= 10


def test_every_page_without_arguments_hides_a(app, world, as_b_admin):
    assert any(r.endpoint == "dashboard.index" for r in walked_rules(app))
    before = snapshot_of_a(world)
    findings = walk_without_arguments(app, world, as_b_admin)
    assert not findings, _report(findings)
    assert snapshot_of_a(world) == before


def test_the_walk_catches_a_leaky_route(app, world, as_b_admin, monkeypatch):
    """Self-check: a route that serves any contact by id, or lists all, is caught."""
    from clickpro.models import Contact
    from clickpro.permissions import ENDPOINTS, Capability

    # In the role matrix like a real contacts page (B's admin may open it), so only the
    # missing tenant scoping can let A's row through.
    monkeypatch.setitem(ENDPOINTS, "leaky", Capability.CONTACTS_VIEW)
    monkeypatch.setitem(ENDPOINTS, "leaky_list", Capability.CONTACTS_VIEW)

    @app.route("/leaky/<int:thing_id>")
    def leaky(thing_id):
        row = db.session.get(Contact, thing_id)
        return row.name if row else ("nada", 404)

    @app.route("/leaky-list")
    def leaky_list():
        return ", ".join(c.name for c in db.session.scalars(sa.select(Contact)))

    # The leaky routes among a sample of real ones (the notifications, which refuse): the
    # full walk is test_route_walk_with_a_ids_is_always_refused; this checks the walker.
    def sample(rule: Rule) -> bool:
        return rule.endpoint.startswith(("leaky", "notifications."))  # leaky, leaky_list

    findings, requests = walk_with_a_ids(app, world, as_b_admin, only=sample)
    assert requests > 20, requests  # the sample's rules were really requested
    assert all("/leaky" in f for f in findings), _report(findings)
    assert any(f.startswith("GET /leaky/7101 ") and "-> 200" in f for f in findings)
    assert any("/leaky/7101" in f and "SEGREDO-A" in f for f in findings)
    listing = walk_without_arguments(app, world, as_b_admin, only=sample)
    assert any(f.startswith("GET /leaky-list") for f in listing), _report(listing)
    assert all("/leaky-list" in f for f in listing), _report(listing)


def test_walker_sees_the_foundation_routes(app, world):
    """The walk really covers id routes (so a silent empty walk cannot pass)."""
    endpoints = {r.endpoint for r in walked_rules(app) if r.arguments}
    assert {"members.set_role", "notifications.read_one"} <= endpoints
    rule = next(r for r in walked_rules(app) if r.endpoint == "members.set_role")
    assert list(argument_sets(rule, world)) == [{"member_id": world.rows["membership"].id}]


def test_walker_sees_the_whatsapp_number_routes(app, world):
    """The numbers' pages and API (#16) are walked with A's number id."""
    endpoints = {r.endpoint for r in walked_rules(app) if "number_id" in r.arguments}
    assert {"credentials.number", "credentials.update_number", "credentials.archive_number",
            "credentials.number_assistant", "credentials.test_number",
            "api.v1.get_number", "api.v1.patch_number", "api.v1.delete_number"} <= endpoints  # fmt: skip
    rule = next(r for r in walked_rules(app) if r.endpoint == "api.v1.patch_number")
    assert list(argument_sets(rule, world)) == [{"number_id": world.rows["whatsapp_credential"].id}]


def test_the_world_is_visible_to_its_own_admin(app, world, login_as):
    """Control: A's own admin does see the markers, so the walk's silence means something."""
    http = login_as(world.a_admin, world.a)
    assert "SEGREDO-A-notificacao" in http.get("/notifications").get_data(as_text=True)
    response = http.post(f"/notifications/{world.rows['notification'].id}/read")
    assert response.status_code == 302


# --------------------------------------------------------------------------- API tokens


@pytest.fixture
def as_b_token(app, world):
    """Client B's API token on every request (no session): the /api/v1 pass of the walk."""
    from clickpro.services.api.tokens import create_token

    app.config["API_RATE_PER_S"] = 0  # the walk sends hundreds of requests
    http = app.test_client()
    http.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {create_token(world.b.id, 'B')[1]}"
    return http


def test_api_walk_with_b_token_is_always_refused(app, world, as_b_token):
    """Every /api/v1 rule, with A's ids, under B's Bearer token: 404/4xx, never A's data."""
    assert as_b_token.get("/api/v1/contacts").status_code == 200  # the token does work
    before = snapshot_of_a(world)
    findings, requests = walk_with_a_ids(app, world, as_b_token, prefix="/api/")
    findings += walk_without_arguments(app, world, as_b_token, prefix="/api/")
    assert not findings, _report(findings)
    assert snapshot_of_a(world) == before, "client B's token changed client A's rows"
    assert requests >= 30


def test_api_walk_catches_a_leaky_api_route(app, world, as_b_token, monkeypatch):
    """Self-check of the token pass: an API route that ignores the token's client leaks."""
    from clickpro.models import Contact
    from clickpro.permissions import ENDPOINTS, Access

    monkeypatch.setitem(ENDPOINTS, "leaky_api", Access.API_TOKEN)  # like every /api/v1 route

    @app.route("/api/v1/leaky/<int:contact_id>")
    def leaky_api(contact_id):
        row = db.session.get(Contact, contact_id)
        return {"name": row.name} if row else ({}, 404)

    def sample(rule: Rule) -> bool:  # the leaky route among the real contact API routes
        return rule.endpoint == "leaky_api" or "contact" in rule.endpoint

    findings, requests = walk_with_a_ids(app, world, as_b_token, prefix="/api/", only=sample)
    assert requests > 5, requests
    assert all("/api/v1/leaky/" in f for f in findings), _report(findings)
    assert any("/api/v1/leaky/" in f and "SEGREDO-A" in f for f in findings)


# ------------------------------------------------- this round's POST routes without ids

# POST rules with no URL argument that take ids in their body (the walks above only GET
# the rules without arguments): costs, the audit's two-factor policy, the account page,
# two-factor setup. Names, so that a renamed route fails here instead of going unwalked.
BODY_ID_ENDPOINTS = (
    "costs.estimate_json",
    "costs.ai_budget",
    "costs.marketing_api_setting",
    "audit.two_factor_policy",
    "account.set_name",
    "account.set_password",
    "two_factor.enable",
    "two_factor.disable",
    "two_factor.regenerate",
)


def _a_ids_body(w: World) -> dict:
    body: dict = {name: w.rows[key].id for name, key in ARGUMENT_ROWS.items()}
    body.update({"client_id": w.a.id, "user_id": w.a_admin.id, "card_id": w.a.id})
    body.update({"list_ids": [w.rows["contact_list"].id]})
    body["exclude_list_ids"] = body["list_ids"]
    return body


def test_post_routes_without_arguments_ignore_a_ids_in_the_body(app, world, as_b_admin):
    rules = {r.endpoint: r for r in walked_rules(app)}
    assert set(BODY_ID_ENDPOINTS) <= set(rules), set(BODY_ID_ENDPOINTS) - set(rules)
    body = _a_ids_body(world)
    form = {k: (v[0] if isinstance(v, list) else v) for k, v in body.items()}
    before = snapshot_of_a(world)
    findings: list[str] = []
    for endpoint in BODY_ID_ENDPOINTS:
        url = rules[endpoint].rule
        for kind, kwargs in (("form", {"data": form}), ("json", {"json": body})):
            try:
                response = as_b_admin.post(url, **kwargs)
            except Exception as exc:  # TESTING propagates errors: a 500 in production
                findings.append(f"POST {url} ({kind}) -> {type(exc).__name__}: {exc}"[:200])
                continue
            finally:
                db.session.rollback()
            if response.status_code >= 500:
                findings.append(f"POST {url} ({kind}) -> {response.status_code}")
            findings.extend(f"POST {url} ({kind}) shows A's {m!r}" for m in _leaks(response, world))
    assert not findings, _report(findings)
    assert snapshot_of_a(world) == before, "client B's requests changed client A's rows"
    # The cost estimate of A's template and list, asked by B: neither is found, so there is
    # nothing to price (an empty text; a found audience says at least "no rate card").
    estimate = as_b_admin.post("/costs/estimate.json", json=body).get_json()
    assert estimate == {"text": "", "amount": None}


def test_the_estimate_control_a_admin_gets_a_text_for_the_same_body(app, world, login_as):
    """Control: A's own admin, same body, is answered about A's audience (non-empty text),
    so B's empty answer above is the tenancy check, not a route that never answers."""
    http = login_as(world.a_admin, world.a)
    estimate = http.post("/costs/estimate.json", json=_a_ids_body(world)).get_json()
    assert estimate["text"] != ""
