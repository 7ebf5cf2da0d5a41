"""The sandbox fakes of Meta and OpenAI behave like the reference says."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx
import pytest

# pytest puts this file's folder on sys.path (no tests/__init__.py).
from sandbox_fixtures import (
    APP_ID,
    PNID,
    SECRET,
    TOKEN,
    WABA,
    WebhookSink,
    approved_template,
    auth,
    sandbox_client,
    template_payload,
    template_send,
    text_send,
    wait_for,
)

from clickpro.sandbox import SandboxServer, create_sandbox_app

MSG_URL = f"/graph/v23.0/{PNID}/messages"
TPL_URL = f"/graph/v23.0/{WABA}/message_templates"


@pytest.fixture
def sink() -> WebhookSink:
    return WebhookSink()


@pytest.fixture
def manual(sink: WebhookSink):
    """A sandbox that keeps webhooks until flush, delivering into ``sink``."""
    app, client = sandbox_client(
        {
            "webhook_delivery": "manual",
            "webhook_url": "http://sink/webhook",
            "webhook_transport": sink.transport,
            "template_review_delay_s": 0.0,
        }
    )
    yield app, client
    app.extensions["sandbox"].close()


# ---------------------------------------------------------------- graph basics
def test_default_account_phone_numbers() -> None:
    _, client = sandbox_client()
    body = client.get(f"/graph/v23.0/{WABA}/phone_numbers", headers=auth()).json()
    assert [n["id"] for n in body["data"]] == [PNID]
    number = body["data"][0]
    assert number["verified_name"] == "ClickPro Demo"
    assert number["display_phone_number"] == "+55 11 3000-0000"
    assert "cursors" in body["paging"]


def test_unknown_token_is_190_oauth_401() -> None:
    _, client = sandbox_client()
    response = client.get(f"/graph/v23.0/{WABA}/phone_numbers", headers=auth("nope"))
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == 190 and error["type"] == "OAuthException" and error["fbtrace_id"]


def test_default_account_signs_with_the_configured_secret_and_reads_like_a_dict() -> None:
    app = create_sandbox_app({"app_secret": "from-settings"})
    account = app.extensions["sandbox"].account_for_number(PNID)
    assert account["app_secret"] == "from-settings" and account["access_token"] == TOKEN
    assert account.get("waba_id") == WABA and account.get("nope") is None
    _, client = sandbox_client()
    listed = client.get("/_control/accounts").json()["data"][0]
    assert listed["app_secret"] == SECRET and listed["phone_number_id"] == PNID


def test_token_must_own_the_waba() -> None:
    app, client = sandbox_client()
    other = app.extensions["sandbox"].create_account()
    response = client.get(f"/graph/v23.0/{WABA}/phone_numbers", headers=auth(other.access_token))
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["error_subcode"]) == (100, 33)


def test_control_creates_accounts_with_settings() -> None:
    _, client = sandbox_client()
    response = client.post("/_control/accounts", json={"throughput_mps": 1000, "app_secret": "s"})
    assert response.status_code == 201
    account = response.json()
    assert account["throughput_mps"] == 1000 and account["app_secret"] == "s"
    numbers = client.get(
        f"/graph/v23.0/{account['waba_id']}/phone_numbers", headers=auth(account["access_token"])
    ).json()["data"]
    assert numbers[0]["id"] == account["phone_number_id"]
    assert numbers[0]["throughput"]["level"] == "HIGH"
    assert client.post("/_control/accounts", json={"throughput_mps": "lots"}).status_code == 400


# ---------------------------------------------------------------- throughput
def test_burst_above_mps_is_refused_with_130429_and_counted() -> None:
    app, client = sandbox_client({"status_mode": "off"})
    account = app.extensions["sandbox"].create_account(throughput_mps=20)
    url = f"/graph/v23.0/{account.phone_number_id}/messages"
    results = [
        client.post(url, headers=auth(account.access_token), json=text_send(f"55119000{n:05d}"))
        for n in range(30)
    ]
    ok = [r for r in results if r.status_code == 200]
    refused = [r for r in results if r.status_code != 200]
    assert len(ok) == 20
    assert len(refused) == 10
    assert all(r.status_code == 400 and r.json()["error"]["code"] == 130429 for r in refused)
    stats = client.get("/_control/stats").json()
    assert stats["throttled_130429"] == 10
    assert stats["accepted"][account.phone_number_id] == 20
    assert stats["max_sends_per_1s"][account.phone_number_id] == 20


def test_throughput_window_slides_and_tolerance_applies() -> None:
    app = create_sandbox_app({"throughput_tolerance": 2})
    state = app.extensions["sandbox"]
    account = state.account_for_number(PNID)
    accepted = [state.try_accept(account, 100.0 + n * 0.001) for n in range(85)]
    assert accepted.count(True) == 82  # 80 mps + tolerance 2
    assert not state.try_accept(account, 100.9)
    assert state.try_accept(account, 101.0005)  # the first sends left the 1 s window
    assert state.stats()["max_sends_per_1s"][PNID] == 82


# ---------------------------------------------------------------- templates
def test_template_pending_then_approved_or_rejected_after_delay(sink: WebhookSink) -> None:
    app, client = sandbox_client(
        {
            "template_review_delay_s": 0.3,
            "webhook_delivery": "manual",
            "webhook_url": "http://sink/webhook",
            "webhook_transport": sink.transport,
        }
    )
    good = client.post(TPL_URL, headers=auth(), json=template_payload("promo_bf")).json()
    bad = client.post(TPL_URL, headers=auth(), json=template_payload("reject_me")).json()
    assert good["status"] == bad["status"] == "PENDING"
    rows = {t["name"]: t for t in client.get(TPL_URL, headers=auth()).json()["data"]}
    assert rows["promo_bf"]["status"] == "PENDING"
    time.sleep(0.45)
    rows = {t["name"]: t for t in client.get(TPL_URL, headers=auth()).json()["data"]}
    assert rows["promo_bf"]["status"] == "APPROVED"
    assert rows["reject_me"]["status"] == "REJECTED"
    assert rows["reject_me"]["rejected_reason"] == "INVALID_FORMAT"
    client.post("/_control/flush")
    events = {c["value"]["message_template_name"]: c["value"] for c in sink.changes()}
    assert events["promo_bf"]["event"] == "APPROVED"
    assert events["promo_bf"]["message_template_id"] == int(good["id"])
    assert events["reject_me"] == {
        "event": "REJECTED",
        "message_template_id": int(bad["id"]),
        "message_template_name": "reject_me",
        "message_template_language": "pt_BR",
        "reason": "INVALID_FORMAT",
    }
    assert sink.all_signed_with(SECRET)
    app.extensions["sandbox"].close()


def test_template_duplicate_and_invalid_are_code_100() -> None:
    _, client = sandbox_client()
    assert client.post(TPL_URL, headers=auth(), json=template_payload("promo")).status_code == 200
    dup = client.post(TPL_URL, headers=auth(), json=template_payload("promo"))
    assert dup.status_code == 400 and dup.json()["error"]["code"] == 100
    bad_name = client.post(TPL_URL, headers=auth(), json=template_payload("Promo BF"))
    assert bad_name.json()["error"]["code"] == 100
    long_footer = template_payload("x")
    long_footer["components"].append({"type": "FOOTER", "text": "f" * 61})
    assert client.post(TPL_URL, headers=auth(), json=long_footer).json()["error"]["code"] == 100


def test_template_list_pages_with_after_cursor_and_delete() -> None:
    _, client = sandbox_client()
    for n in range(5):
        client.post(TPL_URL, headers=auth(), json=template_payload(f"t{n}"))
    names, after = [], None
    for _ in range(5):
        params = {"limit": 2, **({"after": after} if after else {})}
        body = client.get(TPL_URL, headers=auth(), params=params).json()
        names += [t["name"] for t in body["data"]]
        if "next" not in body["paging"]:
            break
        after = body["paging"]["cursors"]["after"]
    assert names == [f"t{n}" for n in range(5)]
    filtered = client.get(TPL_URL, headers=auth(), params={"name": "t3"}).json()["data"]
    assert [t["name"] for t in filtered] == ["t3"]
    assert client.delete(TPL_URL, headers=auth(), params={"name": "t3"}).json() == {"success": True}
    assert client.get(TPL_URL, headers=auth(), params={"name": "t3"}).json()["data"] == []


def test_template_send_requires_approved_template_and_param_count() -> None:
    _, client = sandbox_client({"template_review_delay_s": 60})
    missing = client.post(MSG_URL, headers=auth(), json=template_send("5511987654321"))
    assert missing.json()["error"]["code"] == 132001
    client.post(TPL_URL, headers=auth(), json=template_payload("promo"))
    pending = client.post(MSG_URL, headers=auth(), json=template_send("5511987654321"))
    assert pending.json()["error"]["code"] == 132001
    _, client = sandbox_client({"template_review_delay_s": 0})
    approved_template(client)
    payload = template_send("5511987654321")
    payload["template"]["components"][0]["parameters"].append({"type": "text", "text": "x"})
    assert client.post(MSG_URL, headers=auth(), json=payload).json()["error"]["code"] == 132000


def test_paused_template_is_132015() -> None:
    app, client = sandbox_client({"template_review_delay_s": 0})
    approved_template(client)
    template_id = client.get(TPL_URL, headers=auth()).json()["data"][0]["id"]
    client.post(f"/_control/templates/{template_id}/status", json={"status": "PAUSED"})
    response = client.post(MSG_URL, headers=auth(), json=template_send("5511987654321"))
    assert response.json()["error"]["code"] == 132015


# ---------------------------------------------------------------- sends + webhooks
def test_send_returns_wamid_and_is_logged(manual) -> None:
    _, client = manual
    approved_template(client)
    response = client.post(
        MSG_URL, headers=auth(), json=template_send("+5511987654321", callback="m:1")
    )
    assert response.status_code == 200
    body = response.json()
    assert body["messaging_product"] == "whatsapp"
    assert body["contacts"] == [{"input": "+5511987654321", "wa_id": "5511987654321"}]
    assert body["messages"][0]["id"].startswith("wamid.")
    assert body["messages"][0]["message_status"] == "accepted"
    sends = client.get("/_control/sends").json()["data"]
    assert sends[-1]["wamid"] == body["messages"][0]["id"]
    assert sends[-1]["template"] == "promo" and sends[-1]["callback_data"] == "m:1"
    assert isinstance(sends[-1]["ts"], float)


def test_status_webhooks_ordered_signed_with_callback(manual, sink: WebhookSink) -> None:
    _, client = manual
    wamid = client.post(
        MSG_URL, headers=auth(), json=text_send("5511987654321", callback="cb:7")
    ).json()["messages"][0]["id"]
    assert client.post("/_control/flush").json()["flushed"] == 3
    statuses = sink.statuses()
    assert [s["status"] for s in statuses] == ["sent", "delivered", "read"]
    for status in statuses:
        assert status["id"] == wamid
        assert status["biz_opaque_callback_data"] == "cb:7"
        assert status["recipient_id"] == "5511987654321"
        assert status["timestamp"].isdigit()
        assert status["conversation"]["origin"]["type"] == "service"
    # Meta attaches pricing to sent and to one of delivered/read, never to both
    # (reference §2): the sandbox puts it on delivered, so read carries none.
    sent, delivered, read = statuses
    assert sent["pricing"]["pricing_model"] == "PMP"
    assert delivered["pricing"]["pricing_model"] == "PMP"
    assert "pricing" not in read
    # signature is HMAC-SHA256(app secret, raw body), computed here independently
    for raw, signature in sink.posts:
        expected = hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
        assert signature == f"sha256={expected}"
        assert json.loads(raw)["entry"][0]["changes"][0]["value"]["metadata"] == {
            "display_phone_number": "551130000000",
            "phone_number_id": PNID,
        }
    assert not sink.all_signed_with("wrong-secret")


def test_per_account_app_secret_signs_its_webhooks(manual, sink: WebhookSink) -> None:
    app, client = manual
    account = app.extensions["sandbox"].create_account(app_secret="tenant-secret")
    url = f"/graph/v23.0/{account.phone_number_id}/messages"
    client.post(url, headers=auth(account.access_token), json=text_send("5511987654321"))
    client.post("/_control/flush")
    assert sink.all_signed_with("tenant-secret")
    assert sink.payloads()[0]["entry"][0]["id"] == account.waba_id


def test_shuffled_mode_changes_order_but_keeps_all(manual, sink: WebhookSink) -> None:
    _, client = manual
    client.post("/_control/config", json={"status_mode": "shuffled"})
    for n in range(10):
        client.post(MSG_URL, headers=auth(), json=text_send(f"55119876543{n:02d}"))
    client.post("/_control/flush")
    by_wamid: dict[str, list[str]] = {}
    for status in sink.statuses():
        by_wamid.setdefault(status["id"], []).append(status["status"])
    assert len(by_wamid) == 10
    assert all(sorted(s) == ["delivered", "read", "sent"] for s in by_wamid.values())
    assert any(s != ["sent", "delivered", "read"] for s in by_wamid.values())


def test_duplicated_mode_sends_each_status_twice(manual, sink: WebhookSink) -> None:
    _, client = manual
    client.post("/_control/config", json={"status_mode": "duplicated"})
    client.post(MSG_URL, headers=auth(), json=text_send("5511987654321"))
    client.post("/_control/flush")
    assert sorted(s["status"] for s in sink.statuses()) == sorted(
        ["sent", "sent", "delivered", "delivered", "read", "read"]
    )


def test_off_mode_sends_no_status(manual, sink: WebhookSink) -> None:
    _, client = manual
    client.post("/_control/config", json={"status_mode": "off"})
    client.post(MSG_URL, headers=auth(), json=text_send("5511987654321"))
    assert client.post("/_control/flush").json()["flushed"] == 0
    assert sink.posts == []


def test_batching_puts_several_statuses_in_one_post(manual, sink: WebhookSink) -> None:
    _, client = manual
    client.post("/_control/config", json={"webhook_batch_size": 10})
    client.post(MSG_URL, headers=auth(), json=text_send("5511987654321"))
    result = client.post("/_control/flush").json()
    assert result == {"flushed": 3, "failed": 0, "posts": 1}
    assert len(sink.statuses()) == 3


def test_background_delivery_posts_statuses_without_flush(sink: WebhookSink) -> None:
    app, client = sandbox_client(
        {
            "webhook_url": "http://sink/webhook",
            "webhook_transport": sink.transport,
            "status_delay_s": 0.01,
        }
    )
    client.post(MSG_URL, headers=auth(), json=text_send("5511987654321"))
    assert wait_for(lambda: len(sink.statuses()) == 3)
    assert sink.all_signed_with(SECRET)
    app.extensions["sandbox"].close()


def test_failed_webhook_delivery_is_retried() -> None:
    sink = WebhookSink(status_code=500)
    app, client = sandbox_client(
        {
            "webhook_url": "http://sink/webhook",
            "webhook_transport": sink.transport,
            "status_mode": "off",
            "webhook_retry_delay_s": 0.05,
            "webhook_max_attempts": 3,
        }
    )
    client.post(
        "/_control/inbound", json={"phone_number_id": PNID, "from": "5511987654321", "text": "oi"}
    )
    assert wait_for(lambda: len(sink.posts) == 3)
    time.sleep(0.15)
    assert len(sink.posts) == 3  # gave up after max attempts
    assert app.extensions["sandbox"].stats()["webhooks"]["dropped"] == 1
    app.extensions["sandbox"].close()


def test_inbound_simulation_posts_signed_message_with_profile(manual, sink: WebhookSink) -> None:
    _, client = manual
    response = client.post(
        "/_control/inbound",
        json={"phone_number_id": PNID, "from": "551187654321", "text": "SAIR", "name": "Maria"},
    )
    assert response.status_code == 202
    client.post("/_control/flush")
    value = sink.changes("messages")[0]["value"]
    # Every fake customer has a BSUID (issue #16), the phone as given (8-digit form).
    bsuid = value["contacts"][0]["user_id"]
    assert bsuid.startswith("BR.")
    assert value["contacts"] == [
        {"profile": {"name": "Maria"}, "user_id": bsuid, "wa_id": "551187654321"}
    ]
    message = value["messages"][0]
    assert message["from"] == "551187654321" and message["type"] == "text"
    assert message["from_user_id"] == bsuid
    assert message["text"] == {"body": "SAIR"} and message["id"].startswith("wamid.")
    assert sink.all_signed_with(SECRET)


def test_inbound_raw_message_dict(manual, sink: WebhookSink) -> None:
    _, client = manual
    raw = {"type": "button", "button": {"payload": "STOP", "text": "Parar promoções"}}
    client.post("/_control/inbound", json={"phone_number_id": PNID, "from": "5511", "message": raw})
    client.post("/_control/flush")
    assert sink.messages()[0]["button"] == raw["button"]


def test_reply_rate_makes_customers_answer_templates(manual, sink: WebhookSink) -> None:
    _, client = manual
    approved_template(client)
    client.post("/_control/config", json={"reply_rate": 1.0, "status_mode": "off"})
    wamid = client.post(MSG_URL, headers=auth(), json=template_send("5511987654321")).json()[
        "messages"
    ][0]["id"]
    client.post("/_control/flush")
    messages = sink.messages()
    assert len(messages) == 1
    assert messages[0]["context"]["id"] == wamid
    assert messages[0]["text"]["body"]


def test_brazilian_wa_id_without_ninth_digit() -> None:
    _, client = sandbox_client({"br_wa_id_without_nine": True, "status_mode": "off"})
    body = client.post(MSG_URL, headers=auth(), json=text_send("5511987654321")).json()
    assert body["contacts"][0] == {"input": "5511987654321", "wa_id": "551187654321"}


def test_enforced_window_needs_a_recent_inbound(manual) -> None:
    app, client = manual
    client.post("/_control/config", json={"enforce_window": True, "status_mode": "off"})
    closed = client.post(MSG_URL, headers=auth(), json=text_send("5511987654321"))
    assert closed.status_code == 400 and closed.json()["error"]["code"] == 131047
    # the customer writes from the old form without the 9: the window opens for both forms
    app.extensions["sandbox"].simulate_inbound(PNID, "551187654321", text="oi")
    assert client.post(MSG_URL, headers=auth(), json=text_send("5511987654321")).status_code == 200


def test_pair_rate_limit_when_enabled() -> None:
    _, client = sandbox_client({"pair_rate_per_6s": 2, "status_mode": "off"})
    codes = [
        client.post(MSG_URL, headers=auth(), json=text_send("5511987654321")).status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 400]
    again = client.post(MSG_URL, headers=auth(), json=text_send("5511987654321"))
    assert again.json()["error"]["code"] == 131056
    assert client.post(MSG_URL, headers=auth(), json=text_send("5511900000000")).status_code == 200


def test_unknown_api_version_is_refused() -> None:
    _, client = sandbox_client()
    response = client.get(f"/graph/latest/{WABA}/phone_numbers", headers=auth())
    assert response.status_code == 400 and response.json()["error"]["code"] == 100


def test_mark_read() -> None:
    app, client = sandbox_client()
    response = client.post(
        MSG_URL,
        headers=auth(),
        json={"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.X"},
    )
    assert response.json() == {"success": True}
    assert app.extensions["sandbox"].read_marks == ["wamid.X"]


# ---------------------------------------------------------------- failure injection
@pytest.mark.parametrize(
    ("code", "status"), [(131026, 400), (131049, 400), (131000, 500), (190, 401), (131056, 400)]
)
def test_injected_failures_use_real_error_shape(code: int, status: int) -> None:
    _, client = sandbox_client()
    client.post(
        "/_control/failures",
        json={"phone_number_id": PNID, "rules": [{"code": code, "share": 1.0}]},
    )
    response = client.post(MSG_URL, headers=auth(), json=text_send("5511987654321"))
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code and error["message"] and error["type"] == "OAuthException"
    assert client.get("/_control/stats").json()["failures"] == {str(code): 1}


def test_failure_rule_by_recipient_and_share_is_deterministic() -> None:
    def run() -> list[int]:
        _, client = sandbox_client({"seed": 7, "status_mode": "off"})
        rules = [{"code": 131049, "to": ["5511000000001"]}, {"code": 131026, "share": 0.3}]
        client.post("/_control/failures", json={"phone_number_id": PNID, "rules": rules})
        codes = []
        for n in range(40):
            r = client.post(MSG_URL, headers=auth(), json=text_send(f"55110000000{n:02d}"))
            codes.append(r.json()["error"]["code"] if r.status_code != 200 else 0)
        return codes

    first, second = run(), run()
    assert first == second
    assert first[1] == 131049
    assert 4 <= first.count(131026) <= 20


def test_async_failure_reports_failed_status(manual, sink: WebhookSink) -> None:
    _, client = manual
    rules = [{"code": 131026, "share": 1.0, "async": True}]
    client.post("/_control/failures", json={"phone_number_id": PNID, "rules": rules})
    response = client.post(MSG_URL, headers=auth(), json=text_send("5511987654321", callback="c"))
    assert response.status_code == 200
    client.post("/_control/flush")
    (status,) = sink.statuses()
    assert status["status"] == "failed" and status["errors"][0]["code"] == 131026
    assert status["biz_opaque_callback_data"] == "c"


# ---------------------------------------------------------------- media
def test_resumable_upload_returns_handle() -> None:
    _, client = sandbox_client()
    data = b"\xff\xd8jpeg-bytes"
    session = client.post(
        f"/graph/v23.0/{APP_ID}/uploads",
        headers=auth(),
        params={"file_name": "bf.jpg", "file_length": len(data), "file_type": "image/jpeg"},
    ).json()
    assert session["id"].startswith("upload:")
    no_sig = client.post(
        f"/graph/v23.0/{session['id'].split('?')[0]}",
        headers={"Authorization": f"OAuth {TOKEN}", "file_offset": "0"},
        content=data,
    )
    assert no_sig.status_code == 400
    wrong_scheme = client.post(
        f"/graph/v23.0/{session['id']}", headers={**auth(), "file_offset": "0"}, content=data
    )
    assert wrong_scheme.status_code == 401
    done = client.post(
        f"/graph/v23.0/{session['id']}",
        headers={"Authorization": f"OAuth {TOKEN}", "file_offset": "0"},
        content=data,
    )
    assert done.status_code == 200 and done.json()["h"].startswith("4::")


def test_message_media_upload_and_download() -> None:
    _, client = sandbox_client()
    media_id = client.post(
        f"/graph/v23.0/{PNID}/media",
        headers=auth(),
        data={"messaging_product": "whatsapp", "type": "image/png"},
        files={"file": ("a.png", b"PNGDATA", "image/png")},
    ).json()["id"]
    meta = client.get(f"/graph/v23.0/{media_id}", headers=auth()).json()
    assert meta["mime_type"] == "image/png" and meta["file_size"] == 7
    assert meta["sha256"] == hashlib.sha256(b"PNGDATA").hexdigest()
    assert client.get(meta["url"], headers=auth()).content == b"PNGDATA"
    assert client.get(meta["url"]).status_code == 401


# ---------------------------------------------------------------- openai side + server
def test_openai_side_models_and_bad_key() -> None:
    _, client = sandbox_client()
    models = client.get("/openai/v1/models", headers=auth("sk-test")).json()
    assert {"gpt-4.1-mini", "gpt-5-mini"} <= {m["id"] for m in models["data"]}
    bad = client.get("/openai/v1/models", headers=auth("not-a-key-1234"))
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_api_key"
    assert "not-a-key-1234" not in bad.json()["error"]["message"]
    gone = client.post("/openai/v1/assistants", headers=auth("sk-test"), json={})
    assert gone.status_code == 404 and "Invalid URL" in gone.json()["error"]["message"]


def test_sandbox_server_on_loopback_and_reset() -> None:
    with SandboxServer({"status_mode": "off"}) as server:
        assert server.url.startswith("http://127.0.0.1:")
        with httpx.Client(base_url=server.url) as client:
            client.post(
                f"/graph/v23.0/{PNID}/messages", headers=auth(), json=text_send("5511987654321")
            )
            assert client.get("/_control/stats").json()["sends_total"] == 1
            client.post("/_control/reset")
            assert client.get("/_control/stats").json()["sends_total"] == 0
            assert client.get("/_control/config").json()["status_mode"] == "off"
