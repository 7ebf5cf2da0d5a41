"""Take docs/screenshot.png: the demo client's dashboard in headless Chromium.

    .venv/bin/python scripts/take_screenshot.py [output.png]

Builds the embedded app on a throwaway SQLite database, seeds the demo (as
`clickpro run` does), serves it on a free loopback port and logs in through the form.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def main(output: Path) -> None:
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from clickpro import create_app
    from clickpro.extensions import db
    from clickpro.services.demo import seed_demo

    workdir = tempfile.mkdtemp(prefix="clickpro-shot-")
    for name in ("DATABASE_URL", "REDIS_URL", "CLICKPRO_ENV"):
        os.environ.pop(name, None)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir}/shot.db", "RQ_ASYNC": False})
    with app.app_context():
        db.create_all()
        demo = seed_demo()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 720}, locale="pt-BR")
            page.goto(f"{base}/login")
            page.fill("input[name=email]", demo.email)
            page.fill("input[name=password]", demo.password)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/")
            page.screenshot(path=str(output), full_page=False)
            browser.close()
    finally:
        server.shutdown()
    print(f"wrote {output}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshot.png"))
