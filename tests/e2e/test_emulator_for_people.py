"""The emulator as a person uses it by hand: its HTTP control endpoints answer in JSON."""

from __future__ import annotations

import json
import urllib.request

from bot.devtools.emulator import EmulatorThread


def test_add_user_over_http_answers_with_the_user() -> None:
    with EmulatorThread() as thread:
        control = thread.base_url.removesuffix("/bot") + "/_emu"
        body = json.dumps({"user_id": 4242, "first_name": "Noor", "username": "noor_md"}).encode()
        with urllib.request.urlopen(urllib.request.Request(f"{control}/add_user", data=body), timeout=5) as resp:
            answer = json.loads(resp.read())
    assert answer == {
        "ok": True,
        "result": {"id": 4242, "is_bot": False, "first_name": "Noor", "username": "noor_md", "language_code": "en"},
    }
