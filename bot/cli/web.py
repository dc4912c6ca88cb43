"""``balint web`` (serve the workbench) and ``balint web link`` (a one-time sign-in link): wiring only."""

from __future__ import annotations

import typer

from bot.cli.common import actor, call, database, friendly, settings

web_app = typer.Typer(help="The study team's web workbench: review, code, compare and export in the browser.",
                      invoke_without_command=True)

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8080


def base_url(configured: str | None, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> str:
    """Return where the workbench is reached: WEB_URL when set, else this machine's address."""
    return (configured or f"http://{host}:{port}/web").rstrip("/")


@web_app.callback()
def serve(ctx: typer.Context,
          host: str = typer.Option(DEFAULT_HOST, "--host", help="Address to listen on (behind the reverse proxy)."),
          port: int = typer.Option(DEFAULT_PORT, "--port", help="Port to listen on.")) -> None:
    """Serve the workbench until Ctrl-C (or SIGTERM); pages are under /web/."""
    if ctx.invoked_subcommand is not None:
        return
    from aiohttp import web

    from bot.runtime import make_env
    from bot.web.app import build_app

    @friendly
    def run() -> None:
        s = settings()
        with database(s) as db:
            typer.echo(f"Workbench on http://{host}:{port}/web/ (public address: {base_url(s.web_url, host, port)}/)")
            web.run_app(build_app(db, make_env(s), freeze=True), host=host, port=port, print=None)

    run()


@web_app.command("link")
def link_command(telegram_id: int = typer.Option(..., "--telegram-id", help="The researcher's Telegram id."),
                 ) -> None:
    """Print a one-time sign-in link for a researcher (it works once, for ten minutes)."""
    from bot.research.web_access import issue_link

    @friendly
    def run() -> None:
        token = call(issue_link, telegram_id, actor=actor())
        typer.echo(f"{base_url(settings().web_url)}/login?t={token}")
        typer.echo("It works once, within ten minutes. Send it to the researcher privately.", err=True)

    run()


def register(app: typer.Typer) -> None:
    """Add ``balint web`` to the main command."""
    app.add_typer(web_app, name="web")
