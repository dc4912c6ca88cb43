"""``balint prompt send-now``: a week's prompt to a whole cohort now, with a progress bar."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from bot.cli.common import actor, database, emit_json, fail, friendly, settings
from bot.runtime import make_env

if TYPE_CHECKING:
    from bot.config import Settings

prompt_app = typer.Typer(help="Weekly prompts.", no_args_is_help=True)


@prompt_app.command("send-now")
@friendly
def prompt_send_now(
    cohort: str = typer.Option(..., help="Cohort id or name."),
    week: int | None = typer.Option(None, help="Week number (default: the current week, or 1 before the start)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Send a week's prompt now to every consented student of the cohort.

    With a bot running, the bot sends (it holds the bot-wide send budget) and this shows the progress; with no
    bot running, this command sends itself. Either way the whole token stays under Telegram's 30 messages/s."""
    import asyncio

    from bot.telegram.broadcast import UNREACHABLE

    s = settings()
    if s.telegram_bot_token is None:
        fail("TELEGRAM_BOT_TOKEN is not set: sending needs the bot's token.")
    with database(s) as db:
        try:
            result = asyncio.run(_send_with_progress(s, db, cohort, week, show=not as_json))
        except UNREACHABLE as exc:  # no traceback for the operator: one line, and the rows stay queued
            fail(f"Could not reach Telegram ({type(exc).__name__}: {exc}). The prompts stay queued; a running bot "
                 "sends them, or run this command again.", code=1)
            return
    if as_json:
        emit_json(result)
    else:
        by = "by this command" if result["sent_here"] else "by the running bot"
        typer.echo(f"Week {result['week']} of {result['cohort']}: sent {result['sent']} ({by}), "
                   f"already sent {result['already']}, blocked {result['blocked']}, failed {result['failed']}"
                   + (f", still queued {result['pending']}." if result["pending"] else "."))


async def _send_with_progress(s: Settings, db: Any, cohort: str, week: int | None, *, show: bool) -> dict[str, Any]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from bot.telegram.broadcast import Progress as Sent
    from bot.telegram.broadcast import send_now

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   console=Console(stderr=True), disable=not show, transient=False)
    task = bar.add_task("Sending", total=None)
    shown = False

    def update(p: Sent) -> None:  # the bar appears once the week is queued: a refusal is its one line alone
        nonlocal shown
        if not shown:
            bar.start()
            shown = True
        bar.update(task, total=p.total, completed=p.done, description=f"Sending (by {p.sender})")

    try:
        return await send_now(s, db, make_env(s), cohort, week, actor=actor(), on_progress=update)
    finally:
        if shown:
            bar.stop()
