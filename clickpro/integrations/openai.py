"""The one door to OpenAI: the Responses API for the per-client AI assistant, and audio
transcription (voice notes) with the same per-client key.

The SDK's own retries are off (``max_retries=0``): the AI-reply job owns the retry policy,
and every SDK exception is translated into :class:`OpenAIFailure` with a kind and whether a
retry makes sense. Messages never carry a full API key.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import httpx
import openai as openai_sdk
from flask import Flask, current_app
from openai import OpenAI

from clickpro.integrations.http import app_pooled_client

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_TIMEOUT = 30.0
DEFAULT_TRANSCRIBE_MODEL = "gpt-4o-mini-transcribe"
_EXTENSION_KEY = "clickpro.openai_http"
_create_lock = threading.Lock()
_KEY_PATTERN = re.compile(r"sk-[A-Za-z0-9_\-*]{4,}")


class OpenAIErrorKind(StrEnum):
    BAD_KEY = "bad_key"
    QUOTA = "quota"
    RATE_LIMIT = "rate_limit"
    MODEL_NOT_FOUND = "model_not_found"
    BAD_REQUEST = "bad_request"
    SERVER = "server"
    TIMEOUT = "timeout"
    CONNECTION = "connection"


_RETRYABLE = frozenset(
    {
        OpenAIErrorKind.RATE_LIMIT,
        OpenAIErrorKind.SERVER,
        OpenAIErrorKind.TIMEOUT,
        OpenAIErrorKind.CONNECTION,
    }
)


def mask_keys(text: str) -> str:
    """Replace any ``sk-…`` key in a text by ``sk-…`` plus its last 4 characters."""
    return _KEY_PATTERN.sub(lambda m: "sk-…" + m.group(0)[-4:], text)


class OpenAIFailure(Exception):
    """A failed OpenAI call, classified."""

    def __init__(
        self,
        kind: OpenAIErrorKind,
        message: str,
        *,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.kind = kind
        self.message = mask_keys(message)
        self.status_code = status_code
        self.retry_after = retry_after
        super().__init__(f"{kind.value}: {self.message}")

    @property
    def retryable(self) -> bool:
        return self.kind in _RETRYABLE


@dataclass(frozen=True)
class FunctionCall:
    """A ``function_call`` output item: the model wants one of our tools run."""

    call_id: str
    name: str
    arguments: str  # JSON text, as the model wrote it (may be invalid: the caller checks)

    def as_input(self) -> dict:
        """The item to send back in the next round's ``input``, before its output."""
        return {"type": "function_call", "call_id": self.call_id, "name": self.name,
                "arguments": self.arguments}  # fmt: skip


@dataclass
class Reply:
    text: str
    model: str
    input_tokens: int
    output_tokens: int
    response_id: str
    status: str
    latency_ms: int
    # The raw output items (``message``, ``function_call``, ``file_search_call``...).
    output: list[dict] = field(default_factory=list)
    function_calls: list[FunctionCall] = field(default_factory=list)
    # ``file_citation`` annotations of the answer: [{"file_id", "filename"}], deduplicated.
    citations: list[dict] = field(default_factory=list)
    # What file_search retrieved (only with ``include=["file_search_call.results"]``):
    # [{"file_id", "filename", "score", "text"}].
    file_search_results: list[dict] = field(default_factory=list)
    # Whether the model ran file_search at all (an empty result list then means "nothing").
    searched: bool = False


def _as_dict(item: Any) -> dict:
    if isinstance(item, dict):
        return item
    dump = getattr(item, "model_dump", None)
    return dump(exclude_none=True) if callable(dump) else {}


def parse_output(items: list[dict]) -> dict[str, Any]:
    """Function calls, citations and file-search results out of a response's items."""
    calls: list[FunctionCall] = []
    citations: list[dict] = []
    results: list[dict] = []
    searched = False
    seen: set[str] = set()
    for item in items:
        kind = item.get("type")
        if kind == "function_call":
            calls.append(FunctionCall(str(item.get("call_id") or item.get("id") or ""),
                                      str(item.get("name") or ""),
                                      str(item.get("arguments") or "")))  # fmt: skip
        elif kind == "file_search_call":
            searched = True
            for result in item.get("results") or []:
                results.append({key: result.get(key)
                                for key in ("file_id", "filename", "score", "text")})  # fmt: skip
        elif kind == "message":
            for part in item.get("content") or []:
                for note in part.get("annotations") or []:
                    file_id = note.get("file_id")
                    if note.get("type") == "file_citation" and file_id and file_id not in seen:
                        seen.add(file_id)
                        citations.append({"file_id": file_id, "filename": note.get("filename")})
    return {"function_calls": calls, "citations": citations,
            "file_search_results": results, "searched": searched}  # fmt: skip


_DURATION = re.compile(
    r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$"
)


def parse_retry_after(headers: Any) -> float | None:
    """Seconds to wait from ``retry-after-ms`` / ``retry-after`` / ``x-ratelimit-reset-*``."""
    if headers is None:
        return None
    value = headers.get("retry-after-ms")
    if value:
        try:
            return float(value) / 1000.0
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value:
        try:
            return float(value)
        except ValueError:
            pass
    for name in ("x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"):
        value = headers.get(name)
        match = _DURATION.match(value.strip()) if value else None
        if match and any(match.groups()):
            h, m, s, ms = (float(g) if g else 0.0 for g in match.groups())
            return h * 3600 + m * 60 + s + ms / 1000.0
    return None


def _error_message(exc: openai_sdk.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = found if isinstance(found := body.get("error"), dict) else body
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return str(exc.message or f"HTTP {exc.status_code}")


def translate(exc: openai_sdk.OpenAIError) -> OpenAIFailure:
    """Map any SDK exception to an :class:`OpenAIFailure`."""
    kinds = OpenAIErrorKind
    if isinstance(exc, openai_sdk.APITimeoutError):  # subclass of APIConnectionError
        return OpenAIFailure(kinds.TIMEOUT, "OpenAI request timed out")
    if isinstance(exc, openai_sdk.APIConnectionError):
        return OpenAIFailure(kinds.CONNECTION, f"Could not reach OpenAI: {exc.message}")
    if isinstance(exc, openai_sdk.APIStatusError):
        status = exc.status_code
        code = exc.code
        message = _error_message(exc)
        retry_after = parse_retry_after(getattr(exc.response, "headers", None))
        if code == "model_not_found":
            kind = kinds.MODEL_NOT_FOUND
        elif isinstance(exc, openai_sdk.AuthenticationError) or status == 401:
            kind = kinds.BAD_KEY
        elif isinstance(exc, openai_sdk.RateLimitError) or status == 429:
            quota = code == "insufficient_quota" or exc.type == "insufficient_quota"
            kind = kinds.QUOTA if quota else kinds.RATE_LIMIT
        elif isinstance(exc, openai_sdk.NotFoundError):
            kind = kinds.MODEL_NOT_FOUND
        elif isinstance(exc, openai_sdk.PermissionDeniedError):
            kind = kinds.BAD_KEY
        elif status >= 500:
            kind = kinds.SERVER
        else:
            kind = kinds.BAD_REQUEST
        if kind not in (kinds.RATE_LIMIT, kinds.SERVER):
            retry_after = None
        return OpenAIFailure(kind, message, status_code=status, retry_after=retry_after)
    # Response validation errors and the like: the server answered something unusable.
    return OpenAIFailure(kinds.SERVER, str(exc) or type(exc).__name__)


class OpenAIGateway:
    """One tenant's OpenAI access (one API key), over the app's pooled HTTP client."""

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT,
        http_client: httpx.Client | None = None,
    ) -> None:
        self._client = OpenAI(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=0,
            # openai accepts an httpx.Client at run time (is_legacy_httpx_sync_client) but
            # annotates only its own httpx2.Client; respx and our pooled clients are httpx.
            http_client=http_client or httpx.Client(timeout=timeout),  # type: ignore[arg-type]
        )

    def __repr__(self) -> str:
        return f"OpenAIGateway(base_url={str(self._client.base_url)!r})"

    def list_models(self) -> list[str]:
        try:
            page = self._client.models.list()
            return [model.id for model in page.data]
        except openai_sdk.OpenAIError as exc:
            raise translate(exc) from None

    def create_reply(
        self,
        *,
        model: str,
        instructions: str,
        messages: list[dict],
        temperature: float | None = None,
        max_output_tokens: int = 400,
        tools: list[dict] | None = None,
        include: list[str] | None = None,
        text_format: dict | None = None,
    ) -> Reply:
        """One Responses API call.

        ``messages`` are oldest first: ``{"role", "content"}`` where content is a string
        or a list of parts (``input_text`` / ``input_image``), or raw input items with a
        ``type`` (``function_call`` / ``function_call_output`` of a tool round), passed
        as they are. ``tools`` (file_search, function), ``include`` (e.g.
        ``["file_search_call.results"]``) and ``text_format`` (``{"type": "json_schema",
        "name", "schema", "strict"}``) go to the API unchanged.
        """
        kwargs: dict[str, Any] = {
            "model": model,
            "instructions": instructions,
            "input": [
                m if "type" in m else {"role": m["role"], "content": m["content"]} for m in messages
            ],
            "max_output_tokens": max_output_tokens,
            "store": False,
        }
        if temperature is not None:
            kwargs["temperature"] = temperature
        if tools:
            kwargs["tools"] = tools
        if include:
            kwargs["include"] = include
        if text_format is not None:
            kwargs["text"] = {"format": text_format}
        started = time.perf_counter()
        try:
            response = self._client.responses.create(**kwargs)
        except openai_sdk.OpenAIError as exc:
            raise translate(exc) from None
        latency_ms = int((time.perf_counter() - started) * 1000)
        usage = response.usage
        items = [_as_dict(item) for item in response.output or []]
        return Reply(
            text=(response.output_text or "").strip(),
            model=response.model,
            input_tokens=usage.input_tokens if usage else 0,
            output_tokens=usage.output_tokens if usage else 0,
            response_id=response.id,
            status=str(response.status or "completed"),
            latency_ms=latency_ms,
            output=items,
            **parse_output(items),
        )

    # ------------------------------------------------------------------ knowledge (files)

    def upload_file(self, filename: str, content: bytes, mime: str) -> str:
        """``POST /files`` with purpose ``assistants``; the new file's id."""
        try:
            return self._client.files.create(
                file=(filename, content, mime), purpose="assistants"
            ).id
        except openai_sdk.OpenAIError as exc:
            raise translate(exc) from None

    def delete_file(self, file_id: str) -> bool:
        """``DELETE /files/{id}``; False when OpenAI no longer has it (already gone)."""
        try:
            self._client.files.delete(file_id)
            return True
        except openai_sdk.NotFoundError:
            return False
        except openai_sdk.OpenAIError as exc:
            raise translate(exc) from None

    def create_vector_store(self, name: str, metadata: dict | None = None) -> str:
        try:
            return self._client.vector_stores.create(name=name, metadata=metadata or {}).id
        except openai_sdk.OpenAIError as exc:
            raise translate(exc) from None

    def attach_file(self, vector_store_id: str, file_id: str, attributes: dict) -> VectorStoreFile:
        """``POST /vector_stores/{id}/files``: index ``file_id`` with ``attributes``."""
        try:
            found = self._client.vector_stores.files.create(
                vector_store_id=vector_store_id, file_id=file_id, attributes=attributes
            )
        except openai_sdk.OpenAIError as exc:
            raise translate(exc) from None
        return VectorStoreFile.of(found)

    def vector_store_file(self, vector_store_id: str, file_id: str) -> VectorStoreFile | None:
        """The indexing status of one file (None: not in the store)."""
        try:
            found = self._client.vector_stores.files.retrieve(
                file_id, vector_store_id=vector_store_id
            )
        except openai_sdk.NotFoundError:
            return None
        except openai_sdk.OpenAIError as exc:
            raise translate(exc) from None
        return VectorStoreFile.of(found)

    def detach_file(self, vector_store_id: str, file_id: str) -> bool:
        """``DELETE /vector_stores/{id}/files/{file_id}``; False when it was not there."""
        try:
            self._client.vector_stores.files.delete(file_id, vector_store_id=vector_store_id)
            return True
        except openai_sdk.NotFoundError:
            return False
        except openai_sdk.OpenAIError as exc:
            raise translate(exc) from None

    def transcribe(
        self,
        audio_bytes: bytes,
        filename: str,
        mime: str,
        *,
        model: str = DEFAULT_TRANSCRIBE_MODEL,
        language: str | None = "pt",
    ) -> Transcript:
        """Speech to text (``POST /audio/transcriptions``) of one audio file."""
        return _transcribe(self._client, audio_bytes, filename, mime, model, language)


@dataclass(frozen=True)
class VectorStoreFile:
    """A vector-store file's status: ``in_progress``, ``completed``, ``failed``, ``cancelled``."""

    file_id: str
    status: str
    error: str | None = None  # last_error: "code: message"

    @classmethod
    def of(cls, found: Any) -> VectorStoreFile:
        last = getattr(found, "last_error", None)
        error = f"{getattr(last, 'code', '')}: {getattr(last, 'message', '')}" if last else None
        return cls(str(found.id), str(found.status), error)


@dataclass
class Transcript:
    text: str
    model: str
    input_tokens: int  # audio (and prompt) tokens; 0 when the model bills by duration
    output_tokens: int
    seconds: float | None  # ``whisper-1`` bills by duration
    latency_ms: int


def _transcribe(
    client: OpenAI,
    audio_bytes: bytes,
    filename: str,
    mime: str,
    model: str,
    language: str | None,
) -> Transcript:
    kwargs: dict[str, Any] = {"model": model, "file": (filename, audio_bytes, mime)}
    if language:
        kwargs["language"] = language
    started = time.perf_counter()
    try:
        answer = client.audio.transcriptions.create(**kwargs)
    except openai_sdk.OpenAIError as exc:
        raise translate(exc) from None
    usage = getattr(answer, "usage", None)
    kind = getattr(usage, "type", None)
    return Transcript(
        text=(answer.text or "").strip(),
        model=model,
        input_tokens=int(getattr(usage, "input_tokens", 0) or 0) if kind == "tokens" else 0,
        output_tokens=int(getattr(usage, "output_tokens", 0) or 0) if kind == "tokens" else 0,
        seconds=float(getattr(usage, "seconds", 0) or 0) if kind == "duration" else None,
        latency_ms=int((time.perf_counter() - started) * 1000),
    )


def shared_http_client(app: Flask | None = None) -> httpx.Client:
    """The app's pooled httpx client for OpenAI, created lazily.

    Shared across tenants (the key travels per request), so gateways are cheap to create.
    ``OPENAI_HTTP_TRANSPORT`` (tests) routes it to an in-process sandbox or a mock.
    """
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]

    def options() -> dict[str, Any]:
        return {
            "timeout": float(app.config["OPENAI_TIMEOUT"]),
            "limits": httpx.Limits(max_connections=100, max_keepalive_connections=50),
        }

    return app_pooled_client(app, _EXTENSION_KEY, _create_lock, "OPENAI_HTTP_TRANSPORT", options)


def openai_client(api_key: str, app: Flask | None = None) -> OpenAIGateway:
    """An :class:`OpenAIGateway` for one API key, configured from the app's settings."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return OpenAIGateway(
        api_key,
        base_url=app.config["OPENAI_BASE_URL"] or DEFAULT_BASE_URL,
        timeout=float(app.config["OPENAI_TIMEOUT"]),
        http_client=shared_http_client(app),
    )
