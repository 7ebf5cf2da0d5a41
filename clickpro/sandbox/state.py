"""In-memory, thread-safe state of the sandbox (accounts, sends, counters, controls).

Hot path (one accepted send): a per-number lock around a deque of timestamps for the
throughput window, a list append for the send log, a few heap pushes for the status
webhooks. Everything else is rare and may take the global lock.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import random
import secrets
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from clickpro.sandbox.customers import CHANGE_SHAPES, Customers, change_values, inbound_value
from clickpro.sandbox.templates import TemplateStore
from clickpro.sandbox.webhooks import Dispatcher

DEFAULT_SETTINGS: dict[str, Any] = {
    "seed": 1234,
    "seed_default_account": True,
    "template_review_delay_s": 2.0,
    "throughput_tolerance": 0,
    "webhook_url": None,
    "app_secret": "sandbox-app-secret",
    "webhook_delivery": "background",  # or "manual" (POST /_control/flush)
    "webhook_batch_size": 1,
    "webhook_workers": 2,
    "webhook_timeout_s": 10.0,
    "webhook_max_attempts": 3,
    "webhook_retry_delay_s": 1.0,
    "webhook_transport": None,  # an httpx transport (tests: httpx.WSGITransport(app=...))
    "status_mode": "ordered",  # ordered | shuffled | duplicated | off
    "status_delay_s": 0.05,  # gap between sent, delivered, read
    "reply_rate": 0.0,
    "reply_delay_s": 0.5,
    "br_wa_id_without_nine": False,  # answer wa_id 55DDXXXXXXXX for 55DD9XXXXXXXX
    "pair_rate_per_6s": 0,  # >0: more sends than this to one user within 6 s → 131056
    "enforce_window": False,  # free-form (non-template) sends need an inbound < 24 h (131047)
    "openai_latency_ms": 0,
    "openai_timeout_sleep_s": 5.0,
}
# Settings that are objects, not JSON: never echoed by GET /_control/config.
OPAQUE_SETTINGS = frozenset({"webhook_transport"})

DEFAULT_ACCOUNT: dict[str, Any] = {
    "access_token": "sandbox-token",
    "waba_id": "100000000000001",
    "phone_number_id": "100000000000011",
    "app_id": "100000000000021",
    "display_phone_number": "+55 11 3000-0000",
    "verified_name": "ClickPro Demo",
    "throughput_mps": 80,
    "messaging_tier": "TIER_1K",
    # no own app_secret: it signs with the sandbox's ``app_secret`` setting
    # (default "sandbox-app-secret"), so an app configured with another secret still works.
}


@dataclass(eq=False)
class Account:
    access_token: str
    waba_id: str
    phone_number_id: str
    app_id: str
    display_phone_number: str = "+55 11 3000-0000"
    verified_name: str = "ClickPro Demo"
    throughput_mps: int = 80
    messaging_tier: str = "TIER_1K"
    quality_rating: str = "GREEN"
    # Meta's marketing_messages_onboarding_status of the WABA (ONBOARDED: /marketing_messages
    # sends are marketing_lite; anything else falls back to Cloud API unless STRICT).
    marketing_messages_status: str = "ELIGIBLE"
    webhook_url: str | None = None
    app_secret: str | None = None
    failure_rules: list[dict[str, Any]] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict, repr=False)  # the sandbox's settings
    # counters (guarded by ``lock``)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    window: deque[float] = field(default_factory=deque, repr=False)
    accepted: int = 0
    throttled: int = 0
    max_per_second: int = 0

    @property
    def display_digits(self) -> str:
        return "".join(ch for ch in self.display_phone_number if ch.isdigit())

    @property
    def effective_app_secret(self) -> str | None:
        return self.app_secret or self.config.get("app_secret")

    def __getitem__(self, key: str) -> Any:
        """Dict-style access (``account["access_token"]``), like the control API's JSON."""
        return self.public()[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.public().get(key, default)

    def public(self, default_secret: str | None = None) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in _PUBLIC_FIELDS}
        data["failure_rules"] = [{**r, "to": sorted(r["to"])} for r in self.failure_rules]
        data["app_secret"] = self.app_secret or default_secret or self.config.get("app_secret")
        return data

    def phone_number_object(self) -> dict[str, Any]:
        """The ``GET /{waba}/phone_numbers`` item for this number."""
        level = {1000: "HIGH", 20: "COEXISTENCE"}.get(self.throughput_mps, "STANDARD")
        return {
            "verified_name": self.verified_name,
            "code_verification_status": "VERIFIED",
            "display_phone_number": self.display_phone_number,
            "quality_rating": self.quality_rating,
            "platform_type": "CLOUD_API",
            "throughput": {"level": level},
            "messaging_limit_tier": self.messaging_tier,
            "id": self.phone_number_id,
        }


class SandboxState:
    """Everything the sandbox knows; the Python API mirrors the control routes."""

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        self._initial = dict(settings or {})
        self._lock = threading.RLock()
        self.dispatcher = Dispatcher(self)
        self.templates = TemplateStore(self)
        self._init()

    def _init(self) -> None:
        self.config: dict[str, Any] = {**DEFAULT_SETTINGS, **self._initial}
        self.rng = random.Random(self.config["seed"])
        self._by_token: dict[str, Account] = {}
        self._by_waba: dict[str, Account] = {}
        self._by_number: dict[str, Account] = {}
        self._ids = itertools.count(1)
        self._wamid_seq = itertools.count(1)
        self._wamid_prefix = secrets.token_hex(4).upper()
        self.sends: list[dict[str, Any]] = []
        # Paced sends (held for a quality check) until release_held().
        self.held: list[tuple[Account, dict[str, Any], str]] = []
        self.failures: Counter[int] = Counter()
        self.read_marks: list[str] = []
        self.typing_indicators: list[dict] = []  # {message_id, phone_number_id}
        self.last_inbound: dict[tuple[str, str], float] = {}  # (phone_number_id, wa_id) -> ts
        self.customers = Customers()  # fake customers' BSUIDs and usernames (h5)
        self._pair_sends: dict[tuple[str, str], deque[float]] = {}
        self.media: dict[str, dict[str, Any]] = {}
        self._media_seq = itertools.count(1)
        self.uploads: dict[str, dict[str, Any]] = {}
        self.revoked_keys: set[str] = set()
        self.openai_forced: deque[dict[str, Any]] = deque()
        self.openai_counts: Counter[str] = Counter()
        self.openai_files: dict[str, dict[str, Any]] = {}  # /files (h4)
        self.vector_stores: dict[str, dict[str, Any]] = {}  # /vector_stores (h4)
        self.templates.reset()
        if self.config.get("seed_default_account", True):
            self.create_account(**DEFAULT_ACCOUNT)

    # ------------------------------------------------------------------ config
    def update_config(self, changes: dict[str, Any]) -> dict[str, Any]:
        unknown = set(changes) - set(DEFAULT_SETTINGS)
        if unknown:
            raise ValueError(f"unknown settings: {sorted(unknown)}")
        with self._lock:
            self.config.update(changes)
            if "seed" in changes:
                self.rng = random.Random(changes["seed"])
        return self.public_config()

    def public_config(self) -> dict[str, Any]:
        return {k: v for k, v in self.config.items() if k not in OPAQUE_SETTINGS}

    def reset(self) -> None:
        """Back to the initial settings and the default account, nothing sent."""
        with self._lock:
            self.dispatcher.reset()
            self._init()

    def close(self) -> None:
        self.dispatcher.close()

    # ------------------------------------------------------------------ accounts
    def create_account(self, **fields: Any) -> Account:
        with self._lock:
            n = next(self._ids)
            base = 200000000000000 + n * 100
            account = Account(
                access_token=fields.pop("access_token", None) or f"sandbox-{secrets.token_hex(16)}",
                waba_id=str(fields.pop("waba_id", None) or base + 1),
                phone_number_id=str(fields.pop("phone_number_id", None) or base + 11),
                app_id=str(fields.pop("app_id", None) or base + 21),
                **{k: v for k, v in fields.items() if k in _ACCOUNT_FIELDS},
            )
            account.throughput_mps = int(account.throughput_mps)
            account.config = self.config
            self._by_token[account.access_token] = account
            self._by_waba[account.waba_id] = account
            self._by_number[account.phone_number_id] = account
            return account

    def account_for_token(self, token: str | None) -> Account | None:
        return self._by_token.get(token or "")

    def account_for_number(self, phone_number_id: str) -> Account | None:
        return self._by_number.get(phone_number_id)

    def account_for_waba(self, waba_id: str) -> Account | None:
        return self._by_waba.get(waba_id)

    def accounts(self) -> list[Account]:
        return list(self._by_number.values())

    def revoke_token(self, token: str) -> None:
        with self._lock:
            self._by_token.pop(token, None)

    def set_failures(self, phone_number_id: str, rules: list[dict[str, Any]]) -> None:
        """Rules: ``{"code": 131026, "share": 0.1}`` or ``{"code": …, "to": [...]}``;
        add ``"async": true`` to accept the send and report a ``failed`` status instead."""
        account = self._require_number(phone_number_id)
        for rule in rules:
            if "code" not in rule or not ({"share", "to"} & set(rule)):
                raise ValueError("each rule needs code and share or to")
        account.failure_rules = [
            {**r, "to": {str(t).lstrip("+") for t in r.get("to", [])}} for r in rules
        ]

    def _require_number(self, phone_number_id: str) -> Account:
        account = self._by_number.get(str(phone_number_id))
        if account is None:
            raise KeyError(f"unknown phone_number_id {phone_number_id}")
        return account

    # ------------------------------------------------------------------ sending
    def new_wamid(self) -> str:
        return f"wamid.HBgN{self._wamid_prefix}{next(self._wamid_seq):012d}"

    def window_open(self, account: Account, to: str, now: float) -> bool:
        """Inside the 24 h customer service window (either Brazilian form of the number)?"""
        forms = {to}
        if len(to) == 13 and to.startswith("55") and to[4] == "9":
            forms.add(to[:4] + to[5:])
        elif len(to) == 12 and to.startswith("55"):
            forms.add(to[:4] + "9" + to[4:])
        return any(
            now - self.last_inbound.get((account.phone_number_id, form), -1e12) < 86400
            for form in forms
        )

    def release_held(self, *, drop: bool = False) -> int:
        """Meta's quality check is over: held sends get their statuses, or (``drop``, the
        template was paused) a failed status with 132015. Returns how many."""
        from clickpro.sandbox.messaging import drop_held, schedule_statuses

        held, self.held = self.held, []
        for account, record, category in held:
            if drop:
                drop_held(self, account, record, category)
            else:
                schedule_statuses(self, account, record, category)
        return len(held)

    def pair_rate_ok(self, account: Account, to: str, now: float) -> bool:
        """Meta's pair rate limit (off unless ``pair_rate_per_6s`` > 0)."""
        limit = int(self.config.get("pair_rate_per_6s") or 0)
        if limit <= 0:
            return True
        with account.lock:
            sent = self._pair_sends.setdefault((account.phone_number_id, to), deque())
            while sent and sent[0] <= now - 6.0:
                sent.popleft()
            if len(sent) >= limit:
                return False
            sent.append(now)
            return True

    def injected_failure(self, account: Account, to: str) -> dict[str, Any] | None:
        for rule in account.failure_rules:
            if to in rule["to"]:
                return rule
            share = rule.get("share")
            if share and self.rng.random() < float(share):
                return rule
        return None

    def try_accept(self, account: Account, now: float) -> bool:
        """Admit a send under the number's throughput (trailing 1 s window)."""
        limit = account.throughput_mps + int(self.config.get("throughput_tolerance", 0))
        with account.lock:
            window = account.window
            cutoff = now - 1.0
            while window and window[0] <= cutoff:
                window.popleft()
            if len(window) >= limit:
                account.throttled += 1
                return False
            window.append(now)
            account.accepted += 1
            if len(window) > account.max_per_second:
                account.max_per_second = len(window)
            return True

    def count_failure(self, code: int) -> None:
        with self._lock:
            self.failures[code] += 1

    def list_sends(
        self, phone_number_id: str | None = None, since: float | None = None
    ) -> list[dict[str, Any]]:
        sends = list(self.sends)
        if phone_number_id:
            sends = [s for s in sends if s["phone_number_id"] == phone_number_id]
        if since is not None:
            sends = [s for s in sends if s["ts"] >= since]
        return sends

    def stats(self) -> dict[str, Any]:
        accounts = self.accounts()
        return {
            "accepted": {a.phone_number_id: a.accepted for a in accounts},
            "throttled_130429": sum(a.throttled for a in accounts),
            "throttled_by_number": {a.phone_number_id: a.throttled for a in accounts},
            "failures": {str(code): n for code, n in self.failures.items()},
            "max_sends_per_1s": {a.phone_number_id: a.max_per_second for a in accounts},
            "sends_total": len(self.sends),
            "read_marks": len(self.read_marks),
            "typing_indicators": len(self.typing_indicators),
            "webhooks": {**self.dispatcher.counts, "pending": self.dispatcher.pending()},
            "openai": dict(self.openai_counts),
        }

    # ------------------------------------------------------------------ media
    def add_media(self, content: bytes, mime_type: str, file_name: str | None = None) -> str:
        media_id = str(900000000000000 + next(self._media_seq))
        self.media[media_id] = {
            "content": content,
            "mime_type": mime_type,
            "sha256": hashlib.sha256(content).hexdigest(),
            "file_size": len(content),
            "file_name": file_name,
        }
        return media_id

    # ------------------------------------------------------------------ inbound
    def bsuid_of(self, account: Account, phone: str | None) -> str | None:
        """The fake customer's BSUID on the account's WABA (see :mod:`.customers`)."""
        return self.customers.bsuid_of(account, phone)

    def simulate_inbound(
        self,
        phone_number_id: str,
        from_: str,
        *,
        text: str | None = None,
        message: dict[str, Any] | None = None,
        name: str = "Cliente Sandbox",
        context_id: str | None = None,
        delay: float = 0.0,
        username: str | None = None,
        hide_phone: bool = False,
    ) -> dict[str, Any]:
        """Queue a signed ``messages`` webhook as if a customer wrote to the number.

        ``from_`` is the customer's phone, or a BSUID (``BR.…``) for a username user known
        by it alone. The webhook names the customer by BSUID (``from_user_id``,
        ``contacts[].user_id``) and, unless the customer is a username user
        (``hide_phone``, or given by BSUID), by phone too; ``username`` goes in
        ``contacts[].profile.username``.
        """
        account = self._require_number(phone_number_id)
        from_ = str(from_).lstrip("+")
        customer = self.customers.customer(account, from_)
        self.customers.remember(account, customer, username=username, hide_phone=hide_phone)
        now = time.time()
        for key in (from_, customer.phone, customer.bsuid):
            if key:
                self.last_inbound[(account.phone_number_id, key)] = now
        body = copy.deepcopy(message) if message else {"type": "text", "text": {"body": text or ""}}
        msg: dict[str, Any] = {"id": self.new_wamid(), "timestamp": str(int(now)), **body}
        if context_id:
            msg["context"] = {"from": account.display_digits, "id": context_id}
        value = inbound_value(customer, msg, name, from_ if from_.isdigit() else None)
        self.dispatcher.emit(account, "messages", value, delay)
        return value["messages"][0]

    def change_user_id(
        self,
        phone_number_id: str,
        who: str,
        *,
        new_phone: str | None = None,
        shape: str = "both",
        name: str = "Cliente Sandbox",
    ) -> dict[str, Any]:
        """The customer ``who`` (phone or BSUID) changed number: a new BSUID from now on,
        announced with the ``user_changed_user_id`` system message and/or the
        ``user_id_update`` field (``shape``: system, user_id_update or both)."""
        account = self._require_number(phone_number_id)
        if shape not in CHANGE_SHAPES:
            raise ValueError(f"shape must be one of {', '.join(CHANGE_SHAPES)}")
        old, new = self.customers.change_user_id(account, str(who).lstrip("+"), new_phone)
        for field_name, value in change_values(
            old, new, wamid=self.new_wamid(), name=name, shape=shape
        ):
            self.dispatcher.emit(account, field_name, value)
        return {
            "previous": old.bsuid,
            "current": new.bsuid,
            "wa_id": new.phone if not new.hide_phone else None,
        }

    def flush(self) -> dict[str, int]:
        return self.dispatcher.flush()

    # ------------------------------------------------------------------ openai
    def force_openai(self, kind: str, count: int = 1, sleep_s: float | None = None) -> None:
        """Make the next ``count`` OpenAI calls fail: ``bad_key``, ``rate_limit``,
        ``quota``, ``server`` or ``timeout`` (sleeps ``sleep_s`` then answers)."""
        if kind not in {"bad_key", "rate_limit", "quota", "server", "timeout"}:
            raise ValueError(f"unknown openai failure {kind!r}")
        with self._lock:
            for _ in range(int(count)):
                self.openai_forced.append({"kind": kind, "sleep_s": sleep_s})

    def next_openai_failure(self) -> dict[str, Any] | None:
        with self._lock:
            return self.openai_forced.popleft() if self.openai_forced else None


_PUBLIC_FIELDS = (
    "access_token",
    "waba_id",
    "phone_number_id",
    "app_id",
    "display_phone_number",
    "verified_name",
    "throughput_mps",
    "messaging_tier",
    "quality_rating",
    "webhook_url",
)
_ACCOUNT_FIELDS = frozenset(
    {
        "display_phone_number",
        "verified_name",
        "throughput_mps",
        "messaging_tier",
        "quality_rating",
        "webhook_url",
        "app_secret",
    }
)
