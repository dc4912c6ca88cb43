"""``balint doctor``: check a deployment, one line per check. Wiring only (bot.telegram.doctor does the checks)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add ``balint doctor`` to the command line."""

    @app.command()
    def doctor(
        webhook: bool = typer.Option(False, "--webhook", help="The bot runs in webhook mode: check WEBHOOK_URL is "
                                     "the webhook Telegram has."),
    ) -> None:
        """Check a deployment: token, prompts, database schema, keys, safeguarding contacts, webhook."""
        from bot.config import ConfigError, load_settings
        from bot.telegram.doctor import FAIL, run_checks

        try:
            settings = load_settings()
        except ConfigError as exc:
            typer.echo(f"FAIL  settings               {exc}")
            raise typer.Exit(1) from None
        checks = run_checks(settings, webhook=webhook)
        for c in checks:
            typer.echo(f"{c.status:<5} {c.name:<22} {c.detail}")
        failed = sum(1 for c in checks if c.status == FAIL)
        typer.echo(f"\n{failed} check(s) failed." if failed else "\nAll checks passed.")
        raise typer.Exit(1 if failed else 0)
