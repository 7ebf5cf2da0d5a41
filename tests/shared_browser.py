"""Test-only: one headless Chromium for a run of consecutive browser tests.

Starting Playwright's driver and launching Chromium took 4-5 s per browser test (the
page itself ~0.7 s), so ``browser_page`` takes its page from a browser kept between
tests, in a fresh context each time (its own cookies, storage and cache: what a new
browser gave). Playwright's sync API leaves its event loop registered as the running
loop of the thread while it is started, so it must not outlive the browser tests: the
root conftest closes it after a test whose next test does not use ``browser_page``, and
groups the browser tests (``xdist_group``) so one worker runs them one after another.
"""

from __future__ import annotations

from typing import Any

_state: dict[str, Any] = {}


def browser(executable_path: str, args: list[str]):
    """The shared Chromium, started (again) when there is none or it went away."""
    current = _state.get("browser")
    if current is not None and current.is_connected():
        return current
    close()
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    _state["playwright"] = playwright
    _state["browser"] = playwright.chromium.launch(executable_path=executable_path, args=args)
    return _state["browser"]


def close() -> None:
    """Close the browser and stop Playwright (its event loop with it), if started."""
    current, playwright = _state.pop("browser", None), _state.pop("playwright", None)
    try:
        if current is not None and current.is_connected():
            current.close()
    finally:
        if playwright is not None:
            playwright.stop()
