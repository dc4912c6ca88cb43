"""The web workbench under test: the real aiohttp app on a real port, and a real headless Chromium.

The server runs on its own event loop in a thread (Selenium blocks, so it cannot share the test's loop). The
browser is Debian's ``chromium`` with ``chromium-driver``, passed explicitly so Selenium Manager never downloads
anything; the tests skip, saying why, only when they are not installed (``.ci/run`` installs them). The fixtures
(``server``, ``browser``, ``browser_factory``) are in ``tests/e2e/conftest.py``.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.core.context import Env, Person
from bot.research.web_access import issue_link
from bot.web.app import build_app
from storage.db import Database
from tests.support.paths import ARTIFACTS
from tests.support.research_support import assign, ready_to_code

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


class Server:
    """The workbench app served on 127.0.0.1 at a free port, from a thread of its own."""

    def __init__(self, db: Database, env: Env) -> None:
        self.app = build_app(db, env)
        self.loop = asyncio.new_event_loop()
        self.runner = web.AppRunner(self.app)
        ready = threading.Event()
        self.port = 0

        def main() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(self.runner.setup())
            site = web.TCPSite(self.runner, "127.0.0.1", 0)
            self.loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=main, daemon=True)
        self.thread.start()
        ready.wait(10)
        self.url = f"http://127.0.0.1:{self.port}/web"

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def browser_missing() -> str | None:
    """Say why the browser tests cannot run here, or None."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.path.exists(path):
            return f"{path} is not installed (apt-get install -y chromium chromium-driver; .ci/run does it)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    return None


def start_chromium(tmp_path: Path, n: int) -> Any:
    """Start headless Chromium number ``n`` of a test, with its own profile and download folder under ``tmp_path``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # belt and braces: Selenium Manager must never reach the network
    profile = tempfile.mkdtemp(prefix="chromium-", dir=tmp_path)
    downloads = tmp_path / f"downloads-{n}"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1280,900",
    ):
        options.add_argument(arg)
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.downloads = downloads
    return driver


def screenshot(driver: Any, name: str, *, whole_page: bool = False) -> Path:
    """Save a screenshot under tests/artifacts/ (git-ignored; CI keeps it): the window, or the whole page."""
    import base64

    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    if whole_page:  # Chromium's DevTools can capture below the fold; Selenium's own screenshot cannot
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        path.write_bytes(base64.b64decode(shot["data"]))
    else:
        driver.save_screenshot(str(path))
    return path


def link_for(db: Database, env: Env, person: Person) -> str:
    """A fresh one-time sign-in token for a person."""
    return db.call(issue_link, env, person.telegram_id, actor="test")


def sign_in(driver: Any, server: Server, db: Database, env: Env, person: Person) -> None:
    """Open a sign-in link and press the button, as a researcher would."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By

    driver.get(f"{server.url}/login?t={link_for(db, env, person)}")
    for attempt in range(3):
        # on a loaded machine Chromium can still be settling the page ("Node with given id does not belong to
        # the document"): find the button afresh and press again, unless the press already signed us in
        buttons = driver.find_elements(By.ID, "sign-in")
        if not buttons:
            return
        try:
            press(driver, buttons[0])
            return
        except WebDriverException:
            if attempt == 2:
                raise
            time.sleep(0.3)


def select_text(driver: Any, item_id: int, words: str) -> None:
    """Select ``words`` inside an item's text with a real DOM selection (as a mouse drag would make)."""
    driver.execute_script(
        """
        const [id, words] = arguments;
        const box = document.querySelector(`.text[data-item="${id}"]`);
        const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
        let node;
        while ((node = walker.nextNode())) {
          const at = node.data.indexOf(words);
          if (at >= 0) {
            const r = document.createRange();
            r.setStart(node, at); r.setEnd(node, at + words.length);
            const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(r);
            return;
          }
        }
        throw new Error("not in the text: " + words);
    """,
        item_id,
        words,
    )
    driver.execute_script("return new Promise(r => setTimeout(r, 50));")  # let selectionchange fire


def ready_study(
    db: Database, env: Env, cohort: Any, *, students: int = 1, reviewed: bool = True, assigned: bool = True
) -> None:
    """Students reflect, intake, researchers A and B, the seed codebook, review and assignment."""
    ready_to_code(db, env, cohort, students=students, reviewed=reviewed)
    if assigned:
        assign(db, env)


def press(driver: Any, element: Any) -> None:
    """Click a button that submits a form, and wait for the next page."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    def gone(_: Any) -> bool:
        # Mid-navigation Chromium may answer "Node with given id does not belong to the
        # document" instead of a stale-element error: both mean the old page is gone.
        try:
            element.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return True
            raise
        return False

    element.click()
    WebDriverWait(driver, 10).until(gone)
