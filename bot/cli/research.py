"""``balint research …``, ``balint export`` and ``balint role grant researcher``: wiring only.

``bot.cli.main`` calls ``register(app)``. Every listing has ``--json``; every expected problem is one clear line on
stderr (exit code 2).
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from bot.cli.cohorts import EXPIRES_IN, ROTATE, SINGLE_USE, link_policy
from bot.cli.common import JSON, STUDY, actor, bot_username, database, friendly, settings
from bot.cli.common import call as _run
from bot.cli.common import emit_json as emit
from bot.cli.roles import grant_app, revoke_app

research_app = typer.Typer(help="Research: the de-identified coding queue, codebook rounds, double coding, "
                                "agreement.", no_args_is_help=True)
codebook_app = typer.Typer(help="The codebook of the open round: seed, import, export, edit, history.",
                           no_args_is_help=True)
review_app = typer.Typer(help="Review items before coding: read them, mark anything else to redact.",
                         no_args_is_help=True)
research_app.add_typer(codebook_app, name="codebook")
research_app.add_typer(review_app, name="review")

__all__ = ["JSON", "STUDY", "_run", "actor", "codebook_app", "echo_history", "emit", "friendly", "item_numbers",
           "research_app", "review_app", "study_of"]


def echo_history(rows: list[dict[str, Any]], ids_key: str) -> None:
    """Print a codebook's or the themes' history, one change a line (``ids_key``: the rows' id list, left out)."""
    for r in rows:
        extra = {k: v for k, v in r.items() if k not in ("round", "at", "by", "action", ids_key)}
        detail = ", ".join(f"{k}={v}" for k, v in extra.items() if v not in (None, ""))
        typer.echo(f"round {r['round']}  {r['at']}  {r['by']:<14} {r['action']:<7} {detail}")


def study_of(session: Any, name: str | None) -> Any:
    """Return the study named, or the only one; say clearly what is wrong otherwise."""
    from bot.research.errors import ResearchError
    from storage import research_repo

    if name:
        study = research_repo.get_study_by_name(session=session, name=name)
        if study is None:
            raise ResearchError(f"no study called {name!r}; studies: {_names(session)}")
        return study
    studies = research_repo.list_studies(session=session)
    if len(studies) == 1:
        return studies[0]
    if not studies:
        raise ResearchError("there is no study yet: create a cohort with --study NAME (balint cohort create)")
    raise ResearchError(f"several studies exist; say which with --study ({_names(session)})")


def _names(session: Any) -> str:
    from storage import research_repo

    return ", ".join(repr(s.name) for s in research_repo.list_studies(session=session)) or "none"


def item_numbers(values: list[str]) -> list[int]:
    """Read item numbers as given on the command line: ``7``, ``#7``, ``1-35``, ``3,5,9`` (in order, once each)."""
    from bot.research.errors import ResearchError

    out: dict[int, None] = {}
    for value in values:
        for part in (p.strip().lstrip("#") for p in value.split(",")):
            if not part:
                continue
            first, dash, last = part.partition("-")
            try:
                a = int(first)
                b = int(last) if dash else a
            except ValueError:
                raise ResearchError(f"{part!r} is not an item number or a range like 1-35") from None
            if a < 1 or b < a or b - a > 100_000:
                raise ResearchError(f"{part!r}: write a range low to high, e.g. 1-35")
            out.update(dict.fromkeys(range(a, b + 1)))
    if not out:
        raise ResearchError("give at least one item number, e.g. 7 or 1-35")
    return list(out)


# ------------------------------------------------------------------------------------------- redact


@research_app.command("redact")
@friendly
def redact_command(as_json: bool = JSON) -> None:
    """Read text on stdin, print it redacted (--json: the spans found, with their type and rule)."""
    from bot.core.privacy.redaction import default_redactor

    text = sys.stdin.read()
    result = default_redactor().redact(text)
    if as_json:
        emit({"text": result.text, "spans": [{"start": s.start, "end": s.end, "type": s.type, "text": s.text,
                                              "rule": s.rule} for s in result.spans]})
    else:
        typer.echo(result.text, nl=not result.text.endswith("\n"))


# ------------------------------------------------------------------------------------------- intake


def _intake(session: Any, env: Any, study_name: str | None) -> dict[str, Any]:
    from bot.research.queue import intake

    return intake(session, env, study_of(session, study_name), actor=actor()).as_dict()


@research_app.command("intake")
@friendly
def intake_command(study: str | None = STUDY, as_json: bool = JSON) -> None:
    """Bring the coding queue up to date: new finished weeks in, edits re-redacted, withdrawn consent out."""
    r = _run(_intake, study)
    if as_json:
        emit(r)
        return
    typer.echo(f"{r['study']}: {r['new']} new item(s), {r['updated']} updated, {r['unchanged']} unchanged, "
               f"{r['restored']} back in the queue, {r['excluded']} taken out (research consent no longer yes); "
               f"{r['new_participants']} new participant(s).")


research_app.command("refresh", help="The same as intake.")(intake_command)


# ------------------------------------------------------------------------------------------- assign


def _assign(session: Any, env: Any, study_name: str | None, coder_labels: str | None, per_item: int,
            limit: int | None, include_unreviewed: bool, items: list[int] | None) -> dict[str, Any]:
    from bot.research import codebook, coding, compare
    from bot.research.errors import ResearchError
    from bot.research.queue import intake
    from storage import coding_repo

    study = study_of(session, study_name)
    intake(session, env, study, actor=actor())
    rnd = codebook.open_round(session, study.id)
    if rnd is None:
        raise ResearchError(f"{study.name} has no open round: load a codebook first (balint research codebook seed)")
    coders = None
    if coder_labels:
        coders = []
        for label in (x.strip() for x in coder_labels.split(",") if x.strip()):
            coder = coding_repo.get_coder_by_label(session=session, study_id=study.id, label=label)
            if coder is None:
                known = ", ".join(c.label for c in coding_repo.coders_of(session=session, study_id=study.id))
                raise ResearchError(f"{study.name} has no coder {label!r} (coders: {known or 'none'})")
            coders.append(coder)
    result = coding.assign(session, env, study, rnd, coders=coders, per_item=per_item, limit=limit,
                           reviewed_only=not include_unreviewed, items=items, actor=actor())
    members = len(compare.item_states(session, rnd))
    return {"study": study.name, "round": rnd.number, "items": result.items, "assignments": result.assignments,
            "per_coder": result.per_coder, "waiting_review": result.waiting_review,
            "coded_before": result.coded_before, "round_items": members}


@research_app.command("assign")
@friendly
def assign_command(
    study: str | None = STUDY,
    coders: str | None = typer.Option(None, "--coders", help="Comma-separated coder labels (default: all)."),
    per_item: int = typer.Option(2, "--per-item", help="Coders per item (at least 2)."),
    limit: int | None = typer.Option(None, "--limit", help="Assign at most this many items."),
    include_unreviewed: bool = typer.Option(False, "--include-unreviewed",
                                            help="Also assign items nobody has reviewed yet."),
    items: list[str] | None = typer.Option(None, "--items", help="Just these items: 7, 1-35 or 3,5,9 (may repeat); "
                                           "also items an earlier round coded."),
    as_json: bool = JSON,
) -> None:
    """Add queued items to the open round, each for two coders (one independent). A round holds only these."""
    r = _run(_assign, study, coders, per_item, limit, include_unreviewed, item_numbers(items) if items else None)
    if as_json:
        emit(r)
        return
    shares = ", ".join(f"{k} {v}" for k, v in sorted(r["per_coder"].items())) or "none"
    typer.echo(f"Round {r['round']} of {r['study']}: {r['items']} item(s) assigned ({r['assignments']} "
               f"assignments: {shares}); the round holds {r['round_items']} item(s).")
    if r["coded_before"]:
        typer.echo(f"{r['coded_before']} item(s) coded in an earlier round were left out; name them with --items "
                   "to code them again.")
    if r["waiting_review"]:
        typer.echo(f"{r['waiting_review']} item(s) wait for review first (balint research review next), "
                   "or pass --include-unreviewed.")


# ------------------------------------------------------------------------------------------- status


def _status(session: Any, env: Any, study_name: str | None) -> dict[str, Any]:
    from bot.research import codebook, compare, exports
    from storage import coding_repo, research_repo

    study = study_of(session, study_name)
    sid = study.id
    rounds = coding_repo.rounds_of(session=session, study_id=sid)
    out: dict[str, Any] = {
        "study": study.name,
        "queue": {"items": research_repo.count_items(session=session, study_id=sid, excluded=False),
                  "reviewed": research_repo.count_items(session=session, study_id=sid, excluded=False, reviewed=True),
                  "taken_out": research_repo.count_items(session=session, study_id=sid, excluded=True),
                  "participants": len({i.participant_id for i in research_repo.queued_items(
                      session=session, study_id=sid, reviewed_only=False)})},
        "rounds": [], "coders": [], "exports": len(exports.export_log(session, study)),
    }
    for rnd in rounds:
        out["rounds"].append({
            "round": rnd.number, "open": rnd.closed_at is None,
            "opened_at": rnd.opened_at.isoformat(timespec="seconds"),
            "closed_at": rnd.closed_at.isoformat(timespec="seconds") if rnd.closed_at else None,
            "codes": len(codebook.codes(session, rnd)), **compare.tally(compare.item_states(session, rnd))})
    current = rounds[-1] if rounds else None
    queued = coding_repo.round_assignments(session=session, round_id=current.id or 0) if current else []
    for c in coding_repo.coders_of(session=session, study_id=sid):
        mine = [a for a in queued if a.coder_id == c.id]  # items withdrawn since no longer count
        out["coders"].append({"coder": c.label, "independent": c.independent, "assigned": len(mine),
                              "done": sum(a.done_at is not None for a in mine),
                              "put_aside": sum(a.done_at is None and a.skipped_at is not None for a in mine)})
    return out


@research_app.command("status")
@friendly
def status_command(study: str | None = STUDY, as_json: bool = JSON) -> None:
    """Where the study stands: the queue, each round, each coder."""
    r = _run(_status, study)
    if as_json:
        emit(r)
        return
    q = r["queue"]
    typer.echo(f"Study {r['study']}")
    typer.echo(f"Queue: {q['items']} item(s) from {q['participants']} participant(s); {q['reviewed']} reviewed; "
               f"{q['taken_out']} taken out (consent withdrawn)")
    for rnd in r["rounds"]:
        state = "open" if rnd["open"] else f"closed {rnd['closed_at'][:10]}"
        typer.echo(f"Round {rnd['round']} ({state}): {rnd['codes']} code(s); {rnd['assigned']} item(s) assigned = "
                   f"{rnd['in_progress']} in progress + {rnd['agreed']} agreed + {rnd['disagreements']} "
                   f"disagreement(s) waiting + {rnd['settled']} settled")
    if not r["rounds"]:
        typer.echo("No coding round yet: balint research codebook seed (or import) opens round 1.")
    if r["coders"]:
        typer.echo(f"{'coder':<12} {'independent':<12} {'assigned':>8} {'done':>6} {'put aside':>9}")
        for c in r["coders"]:
            typer.echo(f"{c['coder'][:12]:<12} {'yes' if c['independent'] else 'no':<12} {c['assigned']:>8} "
                       f"{c['done']:>6} {c['put_aside']:>9}")
    typer.echo(f"Exports so far: {r['exports']} (balint research exports)")


# ------------------------------------------------------------------------------------------- rounds


def _link(session: Any, env: Any, study_name: str | None, policy: Any) -> dict[str, Any]:
    from bot.core.facilitator import role_links
    from bot.core.student.enrolment import RESEARCHER_PREFIX

    study = study_of(session, study_name)
    if policy is not None:
        role_links.rotate_researcher_link(session, study, policy, now=env.clock.now(), actor=actor())
    current = role_links.researcher_policy(study)
    now = env.clock.now()
    return {"study": study.name, "code": study.researcher_code,
            "link": env.invite_link(f"{RESEARCHER_PREFIX}{study.researcher_code}"), "rotated": policy is not None,
            "single_use": current.single_use,
            "expires_at": current.expires_at.isoformat() if current.expires_at else None,
            "expired": role_links.is_expired(current.expires_at, now),
            "described": role_links.describe(current, now)}


@research_app.command("link")
@friendly
def link_command(study: str | None = STUDY, rotate: bool = ROTATE, single_use: bool = SINGLE_USE,
                 expires_in: str | None = EXPIRES_IN, as_json: bool = JSON) -> None:
    """Print the researcher link: whoever opens it becomes a researcher (and coder) of the study. Share it privately."""
    from bot.runtime import make_env

    policy = link_policy(rotate, single_use, expires_in)
    s = settings()
    env = make_env(s)
    env.bot_username = bot_username(s)
    with database(s) as db:
        r = db.call(_link, env, study, policy)
    if as_json:
        emit({k: v for k, v in r.items() if k != "described"})
        return
    head = "New researcher link" if r["rotated"] else "Researcher link"
    typer.echo(f"{head} for {r['study']} ({r['described']}; share it only with the study team):\n{r['link']}")
    if r["rotated"]:
        typer.echo("Every earlier researcher link of this study has stopped working; researchers who joined by "
                   "one keep their role (balint role revoke researcher takes it away).")
    elif r["expired"]:
        typer.echo("This link has expired: make a new one with --rotate (or --expires-in / --single-use).")


def _close(session: Any, env: Any, study_name: str | None, force: bool) -> dict[str, Any]:
    from bot.research import codebook, rounds

    study = study_of(session, study_name)
    done = rounds.close_round(session, env, study, actor=actor(), force=force)
    return {"study": study.name, "closed": done.closed.number, "opened": done.opened.number,
            "members": done.members, "codes": len(codebook.codes(session, done.opened)),
            "left_open": done.forced.as_dict() if done.forced else None}


@research_app.command("close-round")
@friendly
def close_round_command(study: str | None = STUDY,
                        force: bool = typer.Option(False, "--force", help="Close even though disagreements, "
                                                   "codings or reviews are unfinished."),
                        as_json: bool = JSON) -> None:
    """Close the open round: freeze its items, codebook and codings as they are, and open the next."""
    r = _run(_close, study, force)
    if as_json:
        emit(r)
        return
    typer.echo(f"Round {r['closed']} of {r['study']} is closed and frozen with {r['members']} item(s)"
               f"{' (closed with --force while some were unfinished)' if r['left_open'] else ''}. "
               f"Round {r['opened']} is open with {r['codes']} code(s) carried over; edit them before coding "
               "starts (balint research codebook …).")


# --------------------------------------------------------------------------------------------- roles


def _grant(session: Any, env: Any, telegram_id: int, study_name: str, label: str | None,
           independent: bool | None) -> dict[str, Any]:
    from bot.research.access import grant

    study = study_of(session, study_name)
    coder = grant(session, env, study, telegram_id, label=label, independent=independent, actor=actor())
    return {"telegram_id": telegram_id, "role": "researcher", "study": study.name, "coder": coder.label,
            "independent": coder.independent}


@grant_app.command("researcher")
@friendly
def grant_researcher(
    telegram_id: int = typer.Option(..., "--telegram-id", help="The person's numeric Telegram id."),
    study: str = typer.Option(..., "--study", help="Study name."),
    label: str | None = typer.Option(None, "--label", help="Coder label shown in exports (default C1, C2…)."),
    independent: bool | None = typer.Option(None, "--independent/--team",
                                            help="Outside the study team: preferred as each item's independent coder."),
    as_json: bool = JSON,
) -> None:
    """Make someone a researcher (and coder) of a study; they can also use the researcher link."""
    r = _run(_grant, telegram_id, study, label, independent)
    if as_json:
        emit(r)
        return
    typer.echo(f"Telegram user {telegram_id} is now a researcher of {r['study']}, coding as {r['coder']}"
               f"{' (independent)' if r['independent'] else ''}.")


def _revoke(session: Any, env: Any, telegram_id: int, study_name: str) -> bool:
    from bot.research.access import revoke

    return revoke(session, env, study_of(session, study_name), telegram_id, actor=actor())


@revoke_app.command("researcher")
@friendly
def revoke_researcher(
    telegram_id: int = typer.Option(..., "--telegram-id", help="The person's numeric Telegram id."),
    study: str = typer.Option(..., "--study", help="Study name."),
) -> None:
    """Stop someone researching a study (their codings stay, under their label)."""
    held = _run(_revoke, telegram_id, study)
    typer.echo(f"Telegram user {telegram_id} no longer researches {study}." if held
               else f"Telegram user {telegram_id} was not a researcher of {study}; nothing changed.")


def register(app: typer.Typer) -> None:
    """Mount ``balint research`` on the main app (``bot.cli.main`` imports the modules that add its commands)."""
    app.add_typer(research_app, name="research")
