"""``clickpro sandbox`` passes its options to run_sandbox."""

from __future__ import annotations

import clickpro.sandbox


def test_sandbox_command_runs_the_sandbox_with_options(app, runner, monkeypatch):
    calls = []
    monkeypatch.setattr(
        clickpro.sandbox, "run_sandbox", lambda *args, **kwargs: calls.append((args, kwargs))
    )
    result = runner.invoke(
        args=[
            "sandbox", "--host", "0.0.0.0", "--port", "6001",
            "--webhook-url", "http://localhost:5000/webhook", "--app-secret", "s3cr3t",
            "--review-delay", "0.5",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert calls == [
        (
            ("0.0.0.0", 6001, {"webhook_url": "http://localhost:5000/webhook",
                               "app_secret": "s3cr3t", "template_review_delay_s": 0.5}),
            {"access_log": False},
        )
    ]  # fmt: skip


def test_sandbox_command_defaults(app, runner, monkeypatch):
    calls = []
    monkeypatch.setattr(
        clickpro.sandbox, "run_sandbox", lambda *args, **kwargs: calls.append((args, kwargs))
    )
    assert runner.invoke(args=["sandbox"]).exit_code == 0
    assert calls == [(("127.0.0.1", 5055, {}), {"access_log": False})]
