"""``balint emulator``: the Bot API emulator the tests use, for people. Wiring only (bot.devtools.emulator does it)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from bot.devtools.emulator.client import ControlClient

DEFAULT_TOKEN = "123456:EMULATOR"


def register(app: typer.Typer) -> None:
    """Add ``balint emulator`` to the command line."""

    @app.command()
    def emulator(
        port: int = typer.Option(8081, help="Port on 127.0.0.1 (0 = any free port)."),
        token: str = typer.Option(DEFAULT_TOKEN, help="The only bot token the emulator accepts."),
        student: int = typer.Option(1001, help="The user id (= private chat id) you play in the terminal."),
        name: str = typer.Option("Student", help="The first name of the student you play."),
        serve_only: bool = typer.Option(False, "--serve-only", help="Do not read stdin: serve until Ctrl-C and "
                                        "print each message the bot sends."),
        limits: bool = typer.Option(False, "--limits", help="Enforce Telegram's flood control (answer 429)."),
        wait: float = typer.Option(15.0, help="Seconds to wait for the bot's first reply to each message."),
    ) -> None:
        """Run a Telegram Bot API emulator, point `balint run` at it, and play a student from the terminal."""
        from bot.devtools.emulator import EmulatorThread
        from bot.devtools.emulator.client import ControlClient, print_replies, run_step, show

        thread = EmulatorThread(token, port=port, enforce_limits=limits)
        try:
            thread.start()
        except RuntimeError as exc:  # the thread reports the OSError of a port in use as its cause
            cause = exc.__cause__
            reason = (cause.strerror if isinstance(cause, OSError) else None) or str(cause or exc)
            typer.echo(f"Could not listen on 127.0.0.1:{port}: {reason}. Try another --port.", err=True)
            raise typer.Exit(1) from None
        try:
            base = thread.base_url
            root = base.removesuffix("/bot")
            client = ControlClient(root)
            client.action("add_user", user_id=student, first_name=name)
            typer.echo(f"Bot API emulator listening on {root}")
            typer.echo(f"  token:    {token}")
            typer.echo(f"  base URL: {base}")
            typer.echo("In another terminal, run the bot against it:")
            typer.echo(f"  TELEGRAM_API_BASE_URL={base} TELEGRAM_BOT_TOKEN={token} balint run")
            if serve_only:
                typer.echo("Showing the bot's messages as they arrive. Ctrl-C stops the emulator.")
                _show_arrivals(client, show)
                return
            typer.echo(f"You are {name} (user {student}). Type a message, e.g. /start INVITECODE; "
                       "!button LABEL presses a button. Ctrl-D or Ctrl-C stops the emulator.")
            seen = len(client.messages(student))
            while True:
                try:
                    line = input("you> ")
                except EOFError:
                    break
                if not line.strip():
                    continue
                try:
                    run_step(client, student, line.strip())
                except RuntimeError as exc:
                    typer.echo(f"(emulator: {exc})")
                    continue
                seen = print_replies(client, student, seen, timeout=wait, quiet=1.0)
        except KeyboardInterrupt:
            pass
        finally:
            thread.stop()
        typer.echo("Emulator stopped.")


def _show_arrivals(client: ControlClient, show: Callable[[dict[str, Any]], str]) -> None:
    """Print every bot message to any chat as it arrives, until Ctrl-C."""
    printed: dict[int, int] = {}
    while True:
        for chat_id in client.state().get("chats") or []:
            messages = client.messages(int(chat_id))
            for message in messages[printed.get(chat_id, 0):]:
                typer.echo(f"[chat {chat_id}] {show(message)}")
            printed[chat_id] = len(messages)
        time.sleep(0.3)
