"""``balint role``: who may facilitate (and, added by their modules, research or administer).

A sub-app other modules extend: ``grant_app`` and ``revoke_app`` take one command per role, e.g.
``@grant_app.command("researcher")``.
"""

from __future__ import annotations

import typer

from bot.cli.common import database, emit_json, friendly

role_app = typer.Typer(help="Roles: grant, revoke, list.", no_args_is_help=True)
grant_app = typer.Typer(help="Grant a role.", no_args_is_help=True)
revoke_app = typer.Typer(help="Take a role away.", no_args_is_help=True)
role_app.add_typer(grant_app, name="grant")
role_app.add_typer(revoke_app, name="revoke")


@grant_app.command("facilitator")
@friendly
def grant_facilitator(
    telegram_id: int = typer.Option(..., "--telegram-id", help="The person's numeric Telegram id."),
    cohort: str = typer.Option(..., "--cohort", help="Cohort id or name."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Make someone a facilitator of a cohort (they can also use a facilitator link)."""
    from bot.core.facilitator import facilitator_roles

    with database() as db:
        found = db.call(facilitator_roles.grant_facilitator, telegram_id, cohort)
    if as_json:
        emit_json({"telegram_id": telegram_id, "role": "facilitator", "cohort_id": found.id, "cohort": found.name})
    else:
        typer.echo(f"Telegram user {telegram_id} is now a facilitator of {found.name} (id {found.id}).")


@revoke_app.command("facilitator")
@friendly
def revoke_facilitator(
    telegram_id: int = typer.Option(..., "--telegram-id", help="The person's numeric Telegram id."),
    cohort: str = typer.Option(..., "--cohort", help="Cohort id or name."),
) -> None:
    """Stop someone facilitating a cohort."""
    from bot.core.facilitator import facilitator_roles

    with database() as db:
        held = db.call(facilitator_roles.revoke_facilitator, telegram_id, cohort)
    typer.echo(f"Telegram user {telegram_id} no longer facilitates cohort {cohort}." if held
               else f"Telegram user {telegram_id} was not a facilitator of cohort {cohort}; nothing changed.")


@role_app.command("list")
@friendly
def role_list(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List every role granted."""
    from bot.core.facilitator import facilitator_roles

    with database() as db:
        rows = db.call(facilitator_roles.grant_rows)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        typer.echo("No roles granted yet. Grant one with: balint role grant facilitator --telegram-id N --cohort ID")
        return
    typer.echo(f"{'telegram id':>12}  {'role':<12} {'cohort / study':<36} {'granted by':<24} granted at")
    for r in rows:
        scope = f"{r['cohort_id']} {r['cohort']}" if r["cohort_id"] else (
            f"study {r['study_id']} {r['study']}" if r["study_id"] else "all")
        typer.echo(f"{r['telegram_id']:>12}  {r['role']:<12} {scope[:36]:<36} {r['granted_by'][:24]:<24} "
                   f"{r['granted_at'][:16]}")
