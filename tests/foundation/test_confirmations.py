"""Destructive actions ask for confirmation: every form that posts to one of them carries
``data-confirm`` (the question confirm.js shows in a dialog before submitting)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from forms_world import forms_world  # noqa: F401  (fixture)

# endpoint → the page(s) where its form is.
DESTRUCTIVE = {
    "api.revoke_token": ["/settings/api-tokens"],
    "api.delete_webhook": ["/settings/webhooks"],
    "inbox.delete_quick_reply_view": ["/inbox/quick-replies"],
    "members.deactivate": ["/members"],
    "members.revoke_invitation": ["/members"],
    "contacts.delete": ["/contacts/{contact_id}"],
    "contacts.list_delete": ["/contacts/lists/{list_id}"],
    "contacts.list_remove": ["/contacts/{contact_id}", "/contacts/lists/{list_id}"],
    "contacts.optout_remove": ["/contacts/opt-outs"],
    "ai_tools.delete": ["/ai/tools/"],
    "knowledge.delete": ["/ai/knowledge/"],
}
# Destructive, confirmed another way.
CONFIRMED_ELSEWHERE = {
    "templates.delete": "GET /templates/<id>/delete is the confirmation page (lists what goes)",
}


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "form":
            self.forms.append(dict(attrs))


def _forms(html: str) -> list[dict[str, str | None]]:
    parser = _Forms()
    parser.feed(html)
    return [f for f in parser.forms if (f.get("method") or "").lower() == "post"]


def _rule(app, endpoint: str) -> re.Pattern:
    (rule,) = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint]
    pattern = re.sub(r"<(?:int:)?\w+>", r"[^/]+", rule.rule)
    return re.compile(f"^{pattern}$")


def test_every_destructive_endpoint_is_listed(app):
    """A new delete/revoke/remove/deactivate route must say how it is confirmed."""
    verbs = re.compile(r"(delete|revoke|remove|deactivate|purge|destroy|wipe)")
    found = {r.endpoint for r in app.url_map.iter_rules() if "POST" in r.methods}
    destructive = {e for e in found if verbs.search(e) and not e.startswith(("admin", "api.v1."))}
    assert destructive - set(DESTRUCTIVE) - set(CONFIRMED_ELSEWHERE) == set()


@pytest.mark.parametrize("endpoint", sorted(DESTRUCTIVE))
def test_destructive_forms_carry_the_confirmation(app, forms_world, endpoint):  # noqa: F811
    pattern = _rule(app, endpoint)
    seen = 0
    for page in DESTRUCTIVE[endpoint]:
        html = forms_world.http.get(page.format(**forms_world.ids)).get_data(as_text=True)
        for form in _forms(html):
            if pattern.match((form.get("action") or "").split("?")[0]):
                assert (form.get("data-confirm") or "").strip(), f"{endpoint} on {page}: {form}"
                seen += 1
    assert seen, f"no form of {endpoint} found on {DESTRUCTIVE[endpoint]}"


def test_every_page_has_the_dialog_and_its_script(forms_world):  # noqa: F811
    html = forms_world.http.get("/contacts").get_data(as_text=True)
    assert 'id="confirm-dialog"' in html and "data-confirm-ok" in html
    assert "/static/js/confirm.js" in html
