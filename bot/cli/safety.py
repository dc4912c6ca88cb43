"""``balint safeguarding check|alerts`` and ``balint purge``: wiring only.

``bot.cli.main`` calls ``register(app)``.
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path
from typing import Any

import typer

from bot.cli.common import database, emit_json, fail, friendly, settings

safety_app = typer.Typer(help="Safeguarding: try the phrase rules on messages, list alerts.", no_args_is_help=True)

ACTIONS = {
    "self": "support reply + alert to the facilitators",
    "someone_else": "support reply (someone else at risk), no alert",
    "patient_safety": "how-to-raise-a-concern reply, no alert",
    "check_in": "asks whether they are safe; \"not sure\" or \"not safe\" alerts",
}


@safety_app.command("check")
@friendly
def check(
    rules: Path | None = typer.Option(None, "--rules", help="A rules.toml to test instead of the installed one."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line (JSON Lines)."),
) -> None:
    """Read messages on stdin, one per line; print one verdict per line (what the bot would do with each)."""
    from bot.core.safety.safeguarding_rules import SafeguardingRules, default_rules, reply_variant

    try:
        engine = SafeguardingRules.from_toml(rules) if rules else default_rules()
    except (OSError, ValueError, tomllib.TOMLDecodeError) as exc:
        fail(f"Error: cannot use the rules {rules or 'installed'}: {exc}")
    if sys.stdin.isatty():
        typer.echo("Type messages, one per line; Ctrl-D ends.", err=True)
    counts = {"messages": 0, "self": 0, "someone_else": 0, "patient_safety": 0, "check_in": 0}
    for number, line in enumerate(sys.stdin, start=1):
        text = line.rstrip("\r\n")
        verdict = engine.check(text)
        variant = reply_variant(verdict) or ("check_in" if verdict.checks_in else None)
        counts["messages"] += 1
        if variant:
            counts[variant] += 1
        if as_json:
            data: dict[str, Any] = {"line": number, "text": text, "action": variant or "none"}
            data |= {k: v for k, v in verdict.as_dict().items() if k != "hits"}
            data["hits"] = len(verdict.hits)
            typer.echo(json.dumps(data, ensure_ascii=False))
        else:
            typer.echo(verdict.summary())
    typer.echo(f"{counts['messages']} message(s): {counts['self']} would alert a facilitator, "
               f"{counts['check_in']} would check in, "
               f"{counts['someone_else']} someone else at risk, {counts['patient_safety']} patient safety.",
               err=True)


@safety_app.command("alerts")
@friendly
def alerts(
    open_only: bool = typer.Option(False, "--open", help="Only alerts not yet acknowledged."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List safeguarding alerts: ids, kind, times, who received each one (never what was written)."""
    from bot.core.safety.safeguarding import alert_rows

    with database() as db:
        rows = db.call(alert_rows, open_only=open_only)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        typer.echo("No open alerts." if open_only else "No alerts.")
        return
    typer.echo(f"{'id':>4}  {'raised (UTC)':<16}  {'cohort':>6}  {'kind':<12}  {'acknowledged':<16}  escalated")
    for r in rows:
        typer.echo(f"{r['id']:>4}  {_short(r['created_at'])}  {r['cohort_id'] or '-':>6}  {r['category']:<12}  "
                   f"{_short(r['acknowledged_at']) if r['acknowledged_at'] else 'NO':<16}  "
                   f"{_short(r['escalated_at']) if r['escalated_at'] else '-'}")
        for line in delivery_lines(r):
            typer.echo(f"      {line}")


MARKS = {"sent": "✓", "pending": "…", "unreachable": "✗", "failed": "✗", "skipped": "-"}
WHY = {"facilitator": "", "fallback": " (no facilitator could be reached)", "outage": " (told directly: the "
       "database was away)"}


def delivery_lines(row: dict[str, Any]) -> list[str]:
    """Who received an alert and who didn't, one line each, for the alerts table."""
    lines = []
    for d in row["deliveries"]:
        who = f"{d['role']} {d['telegram_id']}"
        if d["state"] == "sent":
            what = f"received {_short(d['sent_at'])}{WHY.get(d['reason'], '')}"
        elif d["state"] == "pending":
            what = f"waiting to be sent (tried {d['attempts']} times)" if d["attempts"] else "waiting to be sent"
        elif d["state"] == "skipped":
            what = "not sent: acknowledged before it went out"
        else:
            what = f"NOT reached: {d['error'] or d['state']}"
        lines.append(f"{MARKS.get(d['state'], '?')} {who:<22} {what}")
    if not row["deliveries"] and row["received_by"]:  # raised before deliveries were recorded per recipient
        lines.append(f"✓ told at the time: {', '.join(str(t) for t in row['received_by'])}")
    elif not row["acknowledged_at"] and not any(d["state"] in ("sent", "pending") for d in row["deliveries"]):
        lines.append("! reached nobody: set SAFEGUARDING_LEAD_TELEGRAM_ID / ADMIN_TELEGRAM_IDS, and have them "
                     "press Start")
    return lines


def _short(iso: object) -> str:
    return str(iso)[:16].replace("T", " ")


@friendly
def purge(
    dry_run: bool = typer.Option(False, "--dry-run", help="Count what would be deleted; delete nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Delete reflections, prompts and alerts older than their study's retention period (RETENTION_DAYS without)."""
    from bot.core.privacy.retention import purge as run_purge
    from bot.runtime import make_env

    s = settings()
    with database(s) as db:
        report = db.call(run_purge, make_env(s), dry_run=dry_run)
    if as_json:
        emit_json(report.as_dict())
        return
    verb = "Would delete" if dry_run else "Deleted"
    for c in report.cohorts:
        if c.total or c.cohort_id is not None:
            typer.echo(f"{c.cohort} (keep {c.retention_days} days, before {c.cutoff[:10]}): {verb.lower()} "
                       f"{c.replies} replies, {c.weeks} weeks, {c.deliveries} prompts, {c.alerts} alerts, "
                       f"{c.enrolments} withdrawn students ({c.consents} consent records), "
                       f"{c.research_items} research items")
    total = sum(c.total for c in report.cohorts) + report.users
    typer.echo(f"{verb} {total} rows in all ({report.users} users with nothing left).")


def register(app: typer.Typer) -> None:
    """Mount ``balint safeguarding`` and ``balint purge``."""
    app.add_typer(safety_app, name="safeguarding")
    app.command("purge")(purge)
