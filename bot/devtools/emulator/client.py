"""A scripted (or interactive) student for a running emulator, using the ``/_emu`` control endpoints.

    python -m bot.devtools.emulator.client --url http://127.0.0.1:8081 --user 1001 "/start CODE" "I felt unsure"
    python -m bot.devtools.emulator.client --url http://127.0.0.1:8081 --user 1001        # interactive

Each step is a message text, or a command:

* ``!press DATA``   press the inline button with callback_data DATA on the latest bot message
* ``!button LABEL`` press the inline button labelled LABEL on the latest bot message
* ``!reply N TEXT`` reply to message N;  ``!edit N TEXT`` edit your message N
* ``!voice`` / ``!photo`` / ``!sticker`` / ``!document`` / ``!location`` send that kind of message

After each step the bot's replies are printed (``bot> ...`` with its buttons).  ``ControlClient``
can be imported for scripted students in benchmarks; it needs only the standard library.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

_MEDIA = {
    "!voice": "send_voice",
    "!photo": "send_photo",
    "!sticker": "send_sticker",
    "!document": "send_document",
    "!location": "send_location",
}


class ControlClient:
    """Talks to the control endpoints of an emulator at ``url`` (any URL on the emulator's host:port)."""

    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.root = f"{parts.scheme or 'http'}://{parts.netloc}/_emu"

    def _request(self, path: str, body: dict[str, Any] | None = None, timeout: float = 30.0) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.root + path, data=data, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read())["result"]
        except urllib.error.HTTPError as exc:
            description = json.loads(exc.read() or b"{}").get("description", str(exc))
            if exc.code == 408:
                raise TimeoutError(description) from None
            raise RuntimeError(description) from None

    def action(self, name: str, **kwargs: Any) -> Any:
        return self._request(f"/{name}", kwargs)

    def send_text(self, user_id: int, text: str, **kwargs: Any) -> dict[str, Any]:
        return self.action("send_text", user_id=user_id, text=text, **kwargs)  # type: ignore[no-any-return]

    def press_button(
        self, user_id: int, message_id: int, data: str | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        result = self.action("press_button", user_id=user_id, message_id=message_id, data=data, **kwargs)
        return result  # type: ignore[no-any-return]

    def messages(self, chat_id: int, after: int = 0) -> list[dict[str, Any]]:
        return self._request(f"/messages?chat_id={chat_id}&after={after}")  # type: ignore[no-any-return]

    def wait_message(self, chat_id: int, after: int, timeout: float = 10.0) -> dict[str, Any]:
        path = f"/wait_message?chat_id={chat_id}&after={after}&timeout={timeout}"
        return self._request(path, timeout=timeout + 5)  # type: ignore[no-any-return]

    def state(self) -> dict[str, Any]:
        return self._request("/state")  # type: ignore[no-any-return]


def run_step(client: ControlClient, user_id: int, step: str) -> None:
    """Perform one scripted step (see the module docstring)."""
    command, _, rest = step.partition(" ")
    if command in ("!press", "!button"):
        latest = _latest_with_buttons(client.messages(user_id))
        key = "data" if command == "!press" else "text"
        client.press_button(user_id, latest["message_id"], **{key: rest})
    elif command == "!reply":
        number, _, text = rest.partition(" ")
        client.send_text(user_id, text, reply_to_message_id=int(number))
    elif command == "!edit":
        number, _, text = rest.partition(" ")
        client.action("edit_text", user_id=user_id, message_id=int(number), new_text=text)
    elif command in _MEDIA:
        client.action(_MEDIA[command], user_id=user_id)
    else:
        client.send_text(user_id, step)


def _latest_with_buttons(messages: list[dict[str, Any]]) -> dict[str, Any]:
    for message in reversed(messages):
        if (message.get("reply_markup") or {}).get("inline_keyboard"):
            return message
    raise RuntimeError("no bot message with inline buttons yet")


def show(message: dict[str, Any]) -> str:
    text = message.get("plain_text") or message.get("plain_caption") or f"[{message['method']}]"
    lines = [f"bot> #{message['message_id']} {text}"]
    if message.get("edits"):
        lines[0] += f"  (edited {len(message['edits'])}x)"
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        lines.append(
            "     " + "  ".join(f"[{b['text']} -> {b.get('callback_data') or b.get('url')}]" for b in row)
        )
    return "\n".join(lines)


def print_replies(client: ControlClient, user_id: int, after: int, timeout: float, quiet: float) -> int:
    """Print bot messages after ``after``: wait up to ``timeout`` for the first, then ``quiet`` for more."""
    wait = timeout
    while True:
        try:
            message = client.wait_message(user_id, after, wait)
        except TimeoutError:
            if wait == timeout:
                print("bot> (no reply)")
            return after
        print(show(message))
        after, wait = after + 1, quiet


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bot.devtools.emulator.client", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--url", "--base-url", default="http://127.0.0.1:8081", help="emulator URL")
    parser.add_argument("--user", type=int, default=1001, help="student user id (= private chat id)")
    parser.add_argument("--name", default=None, help="first name of the student")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the first reply")
    parser.add_argument("--quiet", type=float, default=1.0, help="seconds without new replies ending a step")
    parser.add_argument("steps", nargs="*", help="messages or !commands; none = interactive")
    args = parser.parse_args(argv)
    client = ControlClient(args.url)
    if args.name:
        client.action("add_user", user_id=args.user, first_name=args.name)
    seen = len(client.messages(args.user))
    interactive = not args.steps
    steps = iter(args.steps) if args.steps else _prompt_lines()
    for step in steps:
        if not step.strip():
            continue
        try:
            run_step(client, args.user, step)
        except RuntimeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            if not interactive:
                raise SystemExit(1) from None
            continue
        seen = print_replies(client, args.user, seen, args.timeout, args.quiet)


def _prompt_lines() -> Any:
    while True:
        try:
            yield input("you> ")
        except EOFError:
            return


if __name__ == "__main__":
    main()
