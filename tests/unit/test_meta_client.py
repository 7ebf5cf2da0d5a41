"""GraphClient against the in-process sandbox and against respx doubles."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
import respx
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

# pytest puts this file's folder on sys.path (no tests/__init__.py).
from sandbox_fixtures import APP_ID, PNID, TOKEN, WABA, template_payload

from clickpro.config import BaseConfig
from clickpro.integrations.meta import (
    GraphClient,
    GraphError,
    GraphErrorKind,
    SendResult,
    graph_client,
    shared_http_client,
)
from clickpro.sandbox import create_sandbox_app

K = GraphErrorKind
BASE = "https://graph.test"
ROOT = f"{BASE}/v23.0"
SECRET_TOKEN = "EAAGsecretTOKEN1234567890"


@pytest.fixture
def sandbox():
    app = create_sandbox_app({"template_review_delay_s": 0.0, "status_mode": "off"})
    yield app.extensions["sandbox"], httpx.WSGITransport(app=app)
    app.extensions["sandbox"].close()


@pytest.fixture
def client(sandbox) -> GraphClient:
    _, transport = sandbox
    http = httpx.Client(transport=transport)
    return GraphClient(TOKEN, base_url="http://sandbox/graph", api_version="v23.0", http=http)


def respx_client(token: str = SECRET_TOKEN) -> GraphClient:
    client = GraphClient(token, base_url=BASE, api_version="v23.0", http=httpx.Client())
    client.retry_backoff_s = 0
    return client


def graph_error(
    code: int, status: int = 400, subcode: int | None = None, **extra
) -> httpx.Response:
    error = {"message": f"(#{code}) Something", "type": "OAuthException", "code": code,
             "fbtrace_id": "Atrace", **extra}  # fmt: skip
    if subcode is not None:
        error["error_subcode"] = subcode
    return httpx.Response(status, json={"error": error})


# ---------------------------------------------------------------- happy paths on the sandbox
def test_list_phone_numbers(client: GraphClient) -> None:
    numbers = client.list_phone_numbers(WABA)
    assert [n["id"] for n in numbers] == [PNID]


def test_template_create_list_send_delete(client: GraphClient, sandbox) -> None:
    state, _ = sandbox
    created = client.create_template(WABA, template_payload("promo_bf"))
    assert created["status"] == "PENDING"
    (row,) = client.list_templates(WABA, name="promo_bf")
    assert row["status"] == "APPROVED"  # review delay 0
    result = client.send_template(
        PNID,
        "5511987654321",
        "promo_bf",
        "pt_BR",
        [{"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}],
        callback_data="clickpro:m:1",
    )
    assert isinstance(result, SendResult)
    assert result.wamid.startswith("wamid.") and result.wa_id == "5511987654321"
    assert state.sends[-1]["callback_data"] == "clickpro:m:1"
    assert client.delete_template(WABA, "promo_bf") == {"success": True}
    assert client.list_templates(WABA, name="promo_bf") == []


def test_send_text_media_and_mark_read(client: GraphClient, sandbox) -> None:
    state, _ = sandbox
    text = client.send_text(PNID, "5511987654321", "Olá!", callback_data="c1")
    assert text.raw["messages"][0]["message_status"] == "accepted"
    media_id = client.upload_message_media(PNID, b"PDFDATA", "application/pdf", "boleto.pdf")
    sent = client.send_media(
        PNID, "5511987654321", "document", media_id=media_id, caption="Boleto", filename="b.pdf"
    )
    assert sent.wamid != text.wamid
    assert [s["type"] for s in state.sends] == ["text", "document"]
    client.mark_read(PNID, "wamid.IN")
    assert state.read_marks == ["wamid.IN"]
    with pytest.raises(ValueError):
        client.send_media(PNID, "5511987654321", "image")


def test_media_roundtrip(client: GraphClient, sandbox) -> None:
    state, _ = sandbox
    media_id = state.add_media(b"\x89PNG", "image/png")
    info = client.get_media(media_id)
    assert info["mime_type"] == "image/png" and info["file_size"] == 4
    assert client.download_media(info["url"]) == b"\x89PNG"


def test_resumable_upload_on_sandbox(client: GraphClient) -> None:
    handle = client.upload_header_media(APP_ID, "bf.jpg", b"\xff\xd8\xff", "image/jpeg")
    assert handle.startswith("4::")


def test_resumable_upload_headers() -> None:
    with respx.mock(assert_all_called=True) as mock:
        begin = mock.post(f"{ROOT}/{APP_ID}/uploads").respond(json={"id": "upload:ABC?sig=S1"})
        finish = mock.post(f"{ROOT}/upload:ABC", params={"sig": "S1"}).respond(json={"h": "4::xyz"})
        assert respx_client().upload_header_media(APP_ID, "a.jpg", b"123", "image/jpeg") == "4::xyz"
    request = finish.calls.last.request
    assert request.headers["Authorization"] == f"OAuth {SECRET_TOKEN}"
    assert request.headers["file_offset"] == "0"
    assert request.content == b"123"
    start = begin.calls.last.request
    assert start.url.params["file_length"] == "3" and start.url.params["file_type"] == "image/jpeg"


def test_send_message_adds_product_and_recipient_type() -> None:
    with respx.mock as mock:
        route = mock.post(f"{ROOT}/{PNID}/messages").respond(
            json={
                "messaging_product": "whatsapp",
                "contacts": [{"input": "55", "wa_id": "55"}],
                "messages": [{"id": "wamid.1"}],
            }  # fmt: skip
        )
        result = respx_client().send_message(
            PNID, {"to": "55", "type": "text", "text": {"body": "x"}}
        )
    sent = json.loads(route.calls.last.request.content)
    assert sent["messaging_product"] == "whatsapp" and sent["recipient_type"] == "individual"
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {SECRET_TOKEN}"
    assert result == SendResult(wamid="wamid.1", wa_id="55", raw=result.raw)


def test_list_templates_follows_cursors() -> None:
    with respx.mock as mock:
        route = mock.get(f"{ROOT}/{WABA}/message_templates").mock(
            side_effect=[
                httpx.Response(200, json={"data": [{"name": "a"}], "paging": {
                    "cursors": {"after": "C1"}, "next": "https://graph/next"}}),
                httpx.Response(200, json={"data": [{"name": "b"}], "paging": {"cursors": {"after": "C2"}}}),
            ]
        )  # fmt: skip
        rows = respx_client().list_templates(WABA)
    assert [r["name"] for r in rows] == ["a", "b"]
    assert route.calls[1].request.url.params["after"] == "C1"
    assert route.calls[0].request.url.params["limit"] == "100"


# ---------------------------------------------------------------- error classification
SANDBOX_CODES = [
    (190, K.AUTH, False),
    (10, K.PERMISSION, False),
    (200, K.PERMISSION, False),
    (100, K.INVALID_PARAMETER, False),
    (4, K.RATE_LIMIT, True),
    (80007, K.RATE_LIMIT, True),
    (130429, K.THROUGHPUT, True),
    (131056, K.PAIR_RATE, True),
    (131057, K.THROUGHPUT_UPGRADE, True),
    (131047, K.WINDOW_CLOSED, False),
    (131026, K.UNDELIVERABLE, False),
    (131049, K.ECOSYSTEM, False),
    (131050, K.USER_STOPPED_MARKETING, False),
    (131048, K.SPAM, False),
    (131000, K.GENERIC, True),
    (131031, K.ACCOUNT_BLOCKED, False),
    (131042, K.ACCOUNT_BLOCKED, False),
    (368, K.ACCOUNT_BLOCKED, False),
    (132000, K.TEMPLATE, False),
    (132001, K.TEMPLATE, False),
    (132012, K.TEMPLATE, False),
    (132015, K.TEMPLATE_PAUSED, False),
    (132016, K.TEMPLATE_PAUSED, False),
    (133010, K.NOT_REGISTERED, False),
]


@pytest.mark.parametrize(("code", "kind", "retryable"), SANDBOX_CODES)
def test_each_reference_code_maps_to_kind(client, sandbox, code, kind, retryable) -> None:
    state, _ = sandbox
    state.set_failures(PNID, [{"code": code, "share": 1.0}])
    with pytest.raises(GraphError) as info:
        client.send_text(PNID, "5511987654321", "oi")
    err = info.value
    assert (err.code, err.kind, err.retryable) == (code, kind, retryable)
    assert "[redacted]" not in str(err)  # redaction does not eat "OAuth access token"
    assert str(err).startswith(f"(#{code}) ") and err.fbtrace_id
    assert err.status_code == (401 if code == 190 else 500 if code == 131000 else err.status_code)


def test_object_not_visible_is_permission(client, sandbox) -> None:
    state, _ = sandbox
    other = state.create_account()
    with pytest.raises(GraphError) as info:
        client.list_phone_numbers(other.waba_id)
    assert (info.value.code, info.value.subcode, info.value.kind) == (100, 33, K.PERMISSION)


def test_real_throughput_limit_is_throughput_kind(client, sandbox) -> None:
    state, _ = sandbox
    state.account_for_number(PNID).throughput_mps = 2
    client.send_text(PNID, "5511987654321", "1")
    client.send_text(PNID, "5511987654321", "2")
    with pytest.raises(GraphError) as info:
        client.send_text(PNID, "5511987654321", "3")
    assert info.value.kind is K.THROUGHPUT and info.value.retryable
    assert info.value.details == "Cloud API message throughput has been reached."


def test_missing_template_on_sandbox_is_template_kind(client) -> None:
    with pytest.raises(GraphError) as info:
        client.send_template(PNID, "5511987654321", "nope", "pt_BR", [])
    assert info.value.kind is K.TEMPLATE and info.value.code == 132001


@pytest.mark.parametrize(
    ("response", "kind"),
    [
        (graph_error(100, subcode=33), K.PERMISSION),
        (graph_error(190, status=401), K.AUTH),
        (graph_error(294), K.PERMISSION),
        (graph_error(999999), K.UNKNOWN),
        (httpx.Response(502, text="<html>bad gateway</html>"), K.NETWORK),
        (httpx.Response(401, text=""), K.AUTH),
    ],
)
def test_from_response_classification(response: httpx.Response, kind: GraphErrorKind) -> None:
    assert GraphError.from_response(response).kind is kind


def test_details_and_title_from_error_object() -> None:
    err = GraphError.from_response(
        graph_error(131026, error_data={"messaging_product": "whatsapp", "details": "Not on WA"})
    )
    assert (
        err.details == "Not on WA"
        and err.title == "Something"
        and str(err) == "(#131026) Something"
    )


# ---------------------------------------------------------------- retries and network
def test_get_is_retried_on_5xx_then_succeeds() -> None:
    with respx.mock as mock:
        route = mock.get(f"{ROOT}/{WABA}/phone_numbers").mock(
            side_effect=[httpx.Response(503), httpx.Response(500), httpx.Response(200, json={"data": [{"id": "1"}]})]
        )  # fmt: skip
        assert respx_client().list_phone_numbers(WABA) == [{"id": "1"}]
    assert route.call_count == 3


def test_get_gives_up_after_two_retries_on_timeouts() -> None:
    with respx.mock as mock:
        route = mock.get(f"{ROOT}/{WABA}/phone_numbers").mock(side_effect=httpx.ReadTimeout("slow"))
        with pytest.raises(GraphError) as info:
            respx_client().list_phone_numbers(WABA)
    assert route.call_count == 3
    assert info.value.kind is K.NETWORK and info.value.retryable


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("slow"),
        httpx.ConnectError("refused"),
        httpx.Response(500),
        httpx.Response(503),
    ],
)
def test_post_is_never_retried(failure) -> None:
    with respx.mock as mock:
        route = mock.post(f"{ROOT}/{PNID}/messages").mock(side_effect=[failure])
        with pytest.raises(GraphError) as info:
            respx_client().send_text(PNID, "5511987654321", "oi")
    assert route.call_count == 1
    assert info.value.kind is K.NETWORK


def test_connection_refused_on_loopback_is_network() -> None:
    client = GraphClient(TOKEN, base_url="http://127.0.0.1:9", api_version="v23.0",
                         http=httpx.Client(), timeout=1.0)  # fmt: skip
    client.retry_backoff_s = 0
    with pytest.raises(GraphError) as info:
        client.send_text(PNID, "5511987654321", "oi")
    assert info.value.kind is K.NETWORK


# ---------------------------------------------------------------- secrets
def test_token_never_in_error_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    leaky = {
        "error": {
            "message": f"(#190) Bad token {SECRET_TOKEN} at https://graph.test/x?access_token={SECRET_TOKEN} (Bearer {SECRET_TOKEN[::-1]})",
            "type": "OAuthException",
            "code": 190,
            "error_data": {"details": f"token={SECRET_TOKEN}"},
        }
    }  # fmt: skip
    with respx.mock as mock:
        mock.post(f"{ROOT}/{PNID}/messages").respond(401, json=leaky)
        mock.get(f"{ROOT}/{WABA}/phone_numbers").mock(
            side_effect=httpx.ConnectError(f"fail {SECRET_TOKEN}")
        )
        client = respx_client()
        with pytest.raises(GraphError) as info:
            client.send_text(PNID, "5511987654321", "oi")
        with pytest.raises(GraphError) as info2:
            client.list_phone_numbers(WABA)
    for err in (info.value, info2.value):
        text = " ".join([str(err), repr(err), err.message, err.title, err.details or ""])
        assert SECRET_TOKEN not in text and SECRET_TOKEN[::-1] not in text
    assert info.value.kind is K.AUTH
    assert SECRET_TOKEN not in caplog.text
    assert SECRET_TOKEN not in repr(client)
    assert any("graph" in r.getMessage() for r in caplog.records)  # we did log the calls


@given(
    token=st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", min_size=20),
    before=st.text(max_size=30),
    after=st.text(max_size=30),
    code=st.sampled_from([None, 4, 100, 190, 131026, 999]),
    status=st.sampled_from([400, 401, 403, 429, 500, 503]),
)
def test_scrubbed_errors_never_contain_the_token(token, before, after, code, status) -> None:
    error = {"message": f"{before}{token}{after}", "error_data": {"details": f"x{token}"}}
    if code is not None:
        error["code"] = code
    err = GraphError.from_response(httpx.Response(status, json={"error": error})).scrub(token)
    assert token not in f"{err} {err!r} {err.message} {err.title} {err.details}"
    assert isinstance(err.kind, GraphErrorKind)


# ---------------------------------------------------------------- app wiring
def test_graph_client_from_app_config_and_shared_pool(sandbox) -> None:
    state, transport = sandbox
    app = Flask("t")
    app.config.from_object(BaseConfig)  # the settings table's defaults
    app.config.update(META_GRAPH_URL="http://sandbox/graph", META_HTTP_TRANSPORT=transport)
    assert "clickpro.meta_http" not in app.extensions  # lazy
    with app.app_context():
        client = graph_client(TOKEN)
        assert shared_http_client() is shared_http_client(app)
        assert client.send_text(PNID, "5511987654321", "oi").wamid
    assert isinstance(app.extensions["clickpro.meta_http"], httpx.Client)
    assert state.sends[-1]["to"] == "5511987654321"


def test_graph_client_defaults_to_meta() -> None:
    app = Flask("t")
    app.config.from_object(BaseConfig)  # the settings table's defaults
    client = graph_client("tok", app=app)
    assert repr(client) == "GraphClient(root='https://graph.facebook.com/v23.0')"
