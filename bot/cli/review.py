"""``balint research review …``: read items before coding, mark what else to redact (wiring only)."""

from __future__ import annotations

from typing import Any

import typer

from bot.cli.research import JSON, STUDY, _run, actor, emit, friendly, item_numbers, review_app, study_of

# -------------------------------------------------------------------------------------------- review


def _next(session: Any, env: Any, study_name: str | None, limit: int) -> list[dict[str, Any]]:
    from storage import research_repo

    study = study_of(session, study_name)
    return [_item(session, i) for i in research_repo.items_awaiting_review(session=session, study_id=study.id,
                                                                            limit=limit)]


def _item(session: Any, item: Any) -> dict[str, Any]:
    from storage import research_repo
    from storage.research_models import ResearchParticipant

    p = session.get(ResearchParticipant, item.participant_id)
    return {"item": item.id, "pseudonym": p.pseudonym if p else None, "week": item.week, "step": item.step,
            "text": item.text, "redacted": [{"at": s["at"], "to": s["to"], "type": s["type"], "rule": s["rule"]}
                                            for s in item.spans],
            "reviewed": item.reviewed_at.isoformat(timespec="seconds") if item.reviewed_at else None,
            "marks": [{"mark": n, "type": m.type, "seen": m.seen, "by": m.marked_by}
                      for n, m in enumerate(research_repo.marks_of(session=session, item_id=item.id), start=1)]}


def _show_items(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        emit(rows)
        return
    if not rows:
        typer.echo("Nothing waits for review.")
    for r in rows:
        marks = "".join(f"\n  mark {m['mark']}: [{m['type']}] was {m['seen']!r} (by {m['by']})" for m in r["marks"])
        typer.echo(f"#{r['item']} · {r['pseudonym']} · week {r['week']} · {r['step']}"
                   f"{' · reviewed ' + r['reviewed'][:10] if r['reviewed'] else ''}\n{r['text']}{marks}\n")
        if r.get("warning"):
            typer.echo(f"Note: {r['warning']}", err=True)


@review_app.command("next")
@friendly
def next_command(limit: int = typer.Option(5, "--limit", help="How many items."),
                 study: str | None = STUDY, as_json: bool = JSON) -> None:
    """Show the next items nobody has reviewed yet (redacted, as coders will see them)."""
    _show_items(_run(_next, study, limit), as_json)


def _show(session: Any, env: Any, study_name: str | None, item_id: int) -> list[dict[str, Any]]:
    return [_item(session, _get(session, study_name, item_id))]


def _get(session: Any, study_name: str | None, item_id: int) -> Any:
    from bot.research.errors import ResearchError
    from storage import research_repo

    study = study_of(session, study_name)
    item = research_repo.get_item(session=session, item_id=item_id)
    if item is None or item.study_id != study.id or item.excluded_at is not None:
        raise ResearchError(f"item {item_id} is not in the queue of {study.name}")
    return item


@review_app.command("show")
@friendly
def show_command(item: int = typer.Argument(..., help="Item number."), study: str | None = STUDY,
                 as_json: bool = JSON) -> None:
    """Show one item as coders see it, with where each placeholder sits."""
    _show_items(_run(_show, study, item), as_json)


def _mark(session: Any, env: Any, study_name: str | None, item_id: int, text: str | None, span: str | None,
          kind: str) -> list[dict[str, Any]]:
    from bot.research import queue
    from bot.research.errors import ResearchError

    item = _get(session, study_name, item_id)
    if (text is None) == (span is None):
        raise ResearchError("give either --text 'words to redact' or --span START:END")
    if text is not None:
        queue.mark_text(session, env, item, text, kind, actor=actor())
    else:
        try:
            start, end = (int(x) for x in (span or "").split(":"))
        except ValueError:
            raise ResearchError(f"--span {span!r}: write it as START:END, e.g. --span 12:20") from None
        snapped = queue.snap_to_words(item.text, start, end)
        warning = None
        if snapped != (start, end):
            warning = (f"--span {start}:{end} cut a word, so the mark was widened to {snapped[0]}:{snapped[1]} "
                       f"({item.text[snapped[0]:snapped[1]]!r})")
        queue.mark(session, env, item, *snapped, kind, actor=actor())
        return [{**_item(session, item), "warning": warning}]
    return [_item(session, item)]


def _unmark(session: Any, env: Any, study_name: str | None, item_id: int, numbers: list[int] | None) -> list[Any]:
    from bot.research import queue

    queue.unmark(session, env, _get(session, study_name, item_id), numbers, actor=actor())
    return [_item(session, _get(session, study_name, item_id))]


@review_app.command("unmark")
@friendly
def unmark_command(item: int = typer.Argument(..., help="Item number."),
                   marks: list[int] | None = typer.Argument(None, help="Mark numbers (review show lists them); "
                                                            "none: every mark of the item."),
                   study: str | None = STUDY, as_json: bool = JSON) -> None:
    """Take back review marks: the words come back (unless a redaction rule catches them); codings move along."""
    _show_items(_run(_unmark, study, item, marks or None), as_json)


@review_app.command("mark")
@friendly
def mark_command(item: int = typer.Argument(..., help="Item number."),
                 text: str | None = typer.Option(None, "--text", help="Words to redact (every whole-word match)."),
                 span: str | None = typer.Option(None, "--span", help="Characters START:END of the shown text."),
                 kind: str = typer.Option("REDACTED", "--type", help="Placeholder type: NAME, PLACE, DATE…"),
                 study: str | None = STUDY, as_json: bool = JSON) -> None:
    """Redact something the rules missed; the item is re-redacted and codings already made move with it."""
    _show_items(_run(_mark, study, item, text, span, kind), as_json)


def _ok(session: Any, env: Any, study_name: str | None, items: list[int]) -> list[int]:
    from bot.research import queue

    for item_id in items:
        queue.set_reviewed(session, env, _get(session, study_name, item_id), actor=actor())
    return items


@review_app.command("ok")
@friendly
def ok_command(items: list[str] = typer.Argument(..., help="Items read and ready for coding: 7, 1-35 or 3,5,9."),
               study: str | None = STUDY, as_json: bool = JSON) -> None:
    """Record that items were reviewed: they can now be assigned for coding."""
    done = _run(_ok, study, item_numbers(items))
    if as_json:
        emit({"reviewed": done})
    else:
        typer.echo(f"Reviewed: {', '.join(f'#{i}' for i in done)}.")
