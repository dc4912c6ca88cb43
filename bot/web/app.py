"""The study team's web workbench: an aiohttp app of server-rendered pages (``balint web``).

A transport like ``bot/telegram``: handlers parse the request, call ``bot.research.web_views`` (the same domain
functions as the chat and the CLI) through ``Database.run``, and render a Jinja2 template. No SQL here.

Middleware order matters: errors outermost (a kind page, never a traceback), then security headers, then the
session (who is signed in), then CSRF on every POST.
"""

from __future__ import annotations

import gc
import logging
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from aiohttp import web

from bot.core.context import Env
from bot.core.templates import sandboxed_environment
from bot.research import web_access, web_agreement, web_codebook, web_themes, web_views
from bot.research.errors import ResearchError
from bot.research.web_access import Signed, SignInError
from bot.research.web_views import Refused
from storage.db import Database

log = logging.getLogger(__name__)

PREFIX = "/web"
COOKIE = "balint_web"
HERE = Path(__file__).parent
SIGNED = web.RequestKey("signed", Signed)
DB = web.AppKey("db", Database)
ENV = web.AppKey("env", Env)
TEMPLATES = web.AppKey("templates", jinja2.Environment)
SECURE = web.AppKey("secure", bool)
AGREEMENT_CACHE = web.AppKey("agreement_cache", dict)
PUBLIC = ("/web/login", "/web/static/", "/web/healthz")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class BadRequest(Exception):
    """A request we cannot make sense of (a missing or malformed field)."""


def templates() -> jinja2.Environment:
    """The page templates, HTML-escaped everywhere (user text, placeholders, code names)."""
    env = sandboxed_environment(jinja2.FileSystemLoader(HERE / "templates"), lstrip_blocks=True)
    env.globals["prefix"] = PREFIX
    return env


def render(request: web.Request, name: str, status: int = 200, **context: Any) -> web.Response:
    """Render a page template for the signed-in person (or nobody)."""
    signed = request.get(SIGNED)
    html = request.app[TEMPLATES].get_template(name).render(csrf=signed.csrf if signed else "",
                                                           signed=signed is not None, **context)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def message(request: web.Request, title: str, text: str, status: int, back: str | None = None) -> web.Response:
    return render(request, "message.html.j2", status=status, title=title, text=text, back=back)


# ------------------------------------------------------------------------------------------- middleware


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every problem into a clear page; log the unexpected ones with their traceback (never shown)."""
    back = request.headers.get("Referer") if request.method == "POST" else None
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status == 404:
            return message(request, "Not found", "There is no page here.", 404)
        if exc.status == 405:
            return message(request, "Not allowed", "That page can't be used this way.", 405)
        raise
    except Refused as exc:
        return message(request, "Not available", str(exc), 403)
    except (ResearchError, SignInError, BadRequest) as exc:
        return message(request, "That didn't work", str(exc), 400, back=back)
    except Exception:
        log.exception("web page failed", extra={"event": "web_error"})
        return message(request, "Something went wrong",
                       "Sorry, something went wrong on our side. Nothing was changed; please try again.", 500)


@web.middleware
async def headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """No caching of research pages, no framing, no referrer (links carry sign-in tokens), our scripts only."""
    response = await handler(request)
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = ("default-src 'self'; script-src 'self'; style-src 'self' "
                                                   "'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
                                                   "frame-ancestors 'none'")
    return response


@web.middleware
async def signed_in(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Find who is signed in; send everyone else to a page that says how to sign in."""
    cookie = request.cookies.get(COOKIE)
    app = request.app
    signed = await app[DB].run(web_access.current, app[ENV], cookie) if cookie else None
    if signed is not None:
        request[SIGNED] = signed
    if signed is None and not request.path.startswith(PUBLIC):
        return message(request, "Please sign in",
                       "Send /web to the bot in Telegram, or ask for a link with: balint web link --telegram-id N. "
                       "Links work once, for ten minutes; a session ends after eight hours without use.", 401)
    return await handler(request)


@web.middleware
async def csrf(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse a POST whose form does not carry the session's CSRF token."""
    if request.method == "POST" and request.path != f"{PREFIX}/login":
        form = await request.post()
        signed = request.get(SIGNED)
        token = form.get("csrf")
        if signed is None or not web_access.csrf_ok(signed, token if isinstance(token, str) else None):
            return message(request, "Form expired", "This form is out of date or did not come from this site. "
                           "Go back, reload the page and try again.", 403)
    return await handler(request)


# --------------------------------------------------------------------------------------------- helpers


def _int(value: Any, what: str) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        raise BadRequest(f"The {what} is missing or not a number.") from None


def _sid(request: web.Request) -> int:
    return _int(request.match_info["sid"], "study")


async def study_call(request: web.Request, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, Any]:
    """Run ``fn(session, env, ctx, …)`` in one transaction for the signed-in person's study; return (ctx, result)."""
    app = request.app
    env = app[ENV]
    person = request[SIGNED].person
    sid = _sid(request)

    def run(session: Any) -> tuple[Any, Any]:
        ctx = web_views.enter(session, env, person, sid)
        return ctx, fn(session, env, ctx, *args, **kwargs)

    return await app[DB].run(run)


def back_to(path: str, **query: Any) -> web.HTTPSeeOther:
    q = {k: v for k, v in query.items() if v not in (None, "")}
    return web.HTTPSeeOther(f"{PREFIX}{path}" + (f"?{urlencode(q)}" if q else ""))


# ------------------------------------------------------------------------------------------- sign-in


async def login_page(request: web.Request) -> web.Response:
    """Show the sign-in button for a link (a button, so link previews can't use up the one-time link)."""
    return render(request, "login.html.j2", token=request.query.get("t", ""))


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    token = form.get("t")
    cookie, _signed = await request.app[DB].run(web_access.redeem, request.app[ENV],
                                                token if isinstance(token, str) else "")
    response = web.HTTPSeeOther(f"{PREFIX}/")
    response.set_cookie(COOKIE, cookie, path=PREFIX, httponly=True, secure=request.app[SECURE], samesite="Strict")
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    await request.app[DB].run(web_access.sign_out, request.app[ENV], request.cookies.get(COOKIE))
    response = message(request, "Signed out", "You are signed out. Ask for a new link to sign in again.", 200)
    response.del_cookie(COOKIE, path=PREFIX)
    return response


async def home(request: web.Request) -> web.Response:
    studies = await request.app[DB].run(web_views.studies, request.app[ENV], request[SIGNED].person)
    return render(request, "home.html.j2", studies=studies)


async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok")


# --------------------------------------------------------------------------------------------- review


async def review(request: web.Request) -> web.Response:
    done = request.query.get("done") == "1"
    page = _int(request.query.get("page", "1"), "page")
    ctx, data = await study_call(request, web_views.review_page, reviewed=done, page=page)
    return render(request, "review.html.j2", study=ctx.study, me=ctx.label, tab="review", **data)


async def review_mark(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    item = _int(request.match_info["item"], "item")
    await study_call(request, web_views.mark, item, _int(form.get("start"), "selection start"),
                     _int(form.get("end"), "selection end"), str(form.get("type") or "REDACTED"))
    raise back_to(f"/s/{_sid(request)}/review", done=form.get("done"), page=form.get("page"))


async def review_unmark(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    await study_call(request, web_views.unmark, _int(request.match_info["item"], "item"),
                     _int(form.get("mark"), "mark"))
    raise back_to(f"/s/{_sid(request)}/review", done=form.get("done"), page=form.get("page"))


async def review_ok(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    ids = [_int(v, "item") for v in form.getall("item", [])]
    if not ids:
        raise BadRequest("Tick the items you have read, or use “Reviewed” on one item.")
    await study_call(request, web_views.set_reviewed, ids)
    raise back_to(f"/s/{_sid(request)}/review", done=form.get("done"), page=form.get("page"))


# --------------------------------------------------------------------------------------------- coding


async def coding_list(request: web.Request) -> web.Response:
    ctx, data = await study_call(request, web_views.coding_list, show=request.query.get("show", "open"),
                                 page=_int(request.query.get("page", "1"), "page"))
    assigned = {k: _int(request.query[k], k) for k in ("assigned", "assignments", "waiting", "before")
                if k in request.query}
    return render(request, "coding_list.html.j2", study=ctx.study, me=ctx.label, tab="code", assigned=assigned,
                  **data)


async def coding_item(request: web.Request) -> web.Response:
    ctx, view = await study_call(request, web_views.coding_item, _int(request.match_info["item"], "item"))
    return render(request, "coding_item.html.j2", study=ctx.study, me=ctx.label, tab="code", v=view)


def _coding_action(fn: Callable[..., Any], *fields: tuple[str, str]) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        form = await request.post()
        item = _int(request.match_info["item"], "item")
        values: list[Any] = [form.get(name) if what == "text" else _int(form.get(name), what)
                             for name, what in fields]
        await study_call(request, fn, item, *values)
        raise back_to(f"/s/{_sid(request)}/code/{item}")

    return handle


async def assign(request: web.Request) -> web.StreamResponse:
    """Assign queued items of the open round to coders (the study lead's form on the Coding page)."""
    form = await request.post()
    limit = form.get("limit")
    _ctx, result = await study_call(
        request, web_views.assign, coders=[str(c) for c in form.getall("coder", [])],
        per_item=_int(form.get("per_item") or 2, "number of coders per item"),
        limit=_int(limit, "most items") if limit else None, include_unreviewed=form.get("unreviewed") == "1")
    raise back_to(f"/s/{_sid(request)}/code", assigned=result.items, assignments=result.assignments,
                  waiting=result.waiting_review, before=result.coded_before)


async def put_aside(request: web.Request) -> web.StreamResponse:
    await study_call(request, web_views.put_aside, _int(request.match_info["item"], "item"))
    raise back_to(f"/s/{_sid(request)}/code", show="aside")


async def case(request: web.Request) -> web.Response:
    ctx, data = await study_call(request, web_views.case, _int(request.match_info["item"], "item"))
    return render(request, "case.html.j2", study=ctx.study, me=ctx.label, tab="code", **data)


async def codebook_page(request: web.Request) -> web.Response:
    ctx, data = await study_call(request, web_codebook.codebook_page)
    return render(request, "codebook.html.j2", study=ctx.study, me=ctx.label, tab="codebook", **data)


async def codebook_change(request: web.Request) -> web.StreamResponse:
    """One change to the codebook (add, edit, merge, split, move, delete); the form's ``op`` says which."""
    form = await request.post()
    fields = {k: str(v) for k, v in form.items() if k not in ("csrf", "op") and isinstance(v, str)}
    await study_call(request, web_codebook.change, str(form.get("op") or ""), fields)
    raise back_to(f"/s/{_sid(request)}/codebook")


async def codebook_undo(request: web.Request) -> web.StreamResponse:
    await study_call(request, web_codebook.undo)
    raise back_to(f"/s/{_sid(request)}/codebook")


# ---------------------------------------------------------------------------------------------- themes


def _round_query(request: web.Request) -> int | None:
    value = request.query.get("round")
    return _int(value, "round") if value else None


async def themes_page(request: web.Request) -> web.Response:
    ctx, data = await study_call(request, web_themes.themes_page, _round_query(request), request.app[AGREEMENT_CACHE])
    return render(request, "themes.html.j2", study=ctx.study, me=ctx.label, tab="themes", **data)


async def theme_map(request: web.Request) -> web.Response:
    _ctx, png = await study_call(request, web_themes.theme_map, _round_query(request), request.app[AGREEMENT_CACHE])
    return web.Response(body=png, content_type="image/png")


# ------------------------------------------------------------------------------------- agreement, export


async def agreement(request: web.Request) -> web.Response:
    ctx, data = await study_call(request, web_agreement.agreement, request.app[AGREEMENT_CACHE])
    return render(request, "agreement.html.j2", study=ctx.study, me=ctx.label, tab="agreement", **data)


async def settle(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    accept, note = form.get("accept"), form.get("note")
    await study_call(request, web_agreement.settle, _int(request.match_info["round"], "round"),
                     _int(request.match_info["item"], "item"), accept=str(accept) if accept else None,
                     note=str(note) if note else None)
    raise back_to(f"/s/{_sid(request)}/agreement")


async def exports_page(request: web.Request) -> web.Response:
    ctx, data = await study_call(request, web_views.exports_page)
    return render(request, "exports.html.j2", study=ctx.study, me=ctx.label, tab="exports", **data)


async def download(request: web.Request) -> web.StreamResponse:
    """Write the export to a spooled file in the database thread, then stream it to the browser."""
    form = await request.post()
    fmt = str(form.get("format") or "")
    number = _int(form.get("round"), "round") if form.get("round") else None
    spool = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115 (closed below)
    try:
        _ctx, result = await study_call(request, web_views.export_file, fmt, number, spool)
        filename = f"{_ctx.study.name}-round{result.round}.{result.format}"
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in filename)
        response = web.StreamResponse(headers={
            "Content-Type": "application/octet-stream", "Content-Length": str(result.bytes),
            "Content-Disposition": f'attachment; filename="{safe}"', "X-Export-SHA256": result.sha256})
        await response.prepare(request)
        spool.seek(0)
        while chunk := spool.read(1 << 16):
            await response.write(chunk)
        await response.write_eof()
        return response
    finally:
        spool.close()


# ---------------------------------------------------------------------------------------------- build


async def warm_pages(app: web.Application) -> None:
    """Read the agreement figures of every round before serving, and build the theme reports and maps, so the
    first Agreement and Themes pages are quick."""
    try:
        rounds = await app[DB].run(web_agreement.warm, app[ENV], app[AGREEMENT_CACHE])
    except Exception:  # the pages compute them when asked; serving must not wait on this
        log.exception("agreement figures not read ahead", extra={"event": "web_agreement_warm_failed"})
        return
    log.info("agreement figures ready", extra={"event": "web_agreement_warm", "rounds": rounds})
    try:  # after the agreement figures: each theme report takes its codes' agreement from them
        maps = await app[DB].run(web_themes.warm, app[ENV], app[AGREEMENT_CACHE])
    except Exception:
        log.exception("theme maps not drawn ahead", extra={"event": "web_themes_warm_failed"})
        return
    log.info("theme maps ready", extra={"event": "web_themes_warm", "maps": maps})


async def freeze_start_up_objects(app: web.Application) -> None:
    """Leave what start-up made (modules, the kept agreement input and figures) out of later garbage collections.

    Each full collection walks every live object: with a study's kept agreement input (tens of thousands of
    objects) that was ~70 ms of a page that reads the agreement afresh. Objects frozen here are still freed when
    nothing refers to them; only reference cycles among them are never collected.
    """
    gc.freeze()


def build_app(db: Database, env: Env, *, secure_cookie: bool = True, freeze: bool = False) -> web.Application:
    """Build the workbench app on an open database (the caller closes it); ``freeze`` (for the long-running
    server, not tests) leaves start-up's objects out of garbage collection."""
    app = web.Application(middlewares=[errors, headers, signed_in, csrf], client_max_size=1 << 20)
    app[DB], app[ENV], app[TEMPLATES], app[SECURE] = db, env, templates(), secure_cookie
    app[AGREEMENT_CACHE] = {}
    app.on_startup.append(warm_pages)
    if freeze:
        app.on_startup.append(freeze_start_up_objects)  # after warm_pages: on_startup runs in order
    s = f"{PREFIX}/s/{{sid}}"
    c = f"{s}/code/{{item}}"
    app.add_routes([
        web.get(f"{PREFIX}/healthz", healthz),
        web.get(f"{PREFIX}/login", login_page),
        web.post(f"{PREFIX}/login", login),
        web.post(f"{PREFIX}/logout", logout),
        web.get(f"{PREFIX}/", home),
        web.get(f"{s}/review", review),
        web.post(f"{s}/review/ok", review_ok),
        web.post(f"{s}/review/{{item}}/mark", review_mark),
        web.post(f"{s}/review/{{item}}/unmark", review_unmark),
        web.get(f"{s}/code", coding_list),
        web.get(c, coding_item),
        web.post(f"{c}/passage", _coding_action(web_views.code_passage, ("code", "code"), ("start", "selection start"),
                                                ("end", "selection end"))),
        web.post(f"{c}/toggle", _coding_action(web_views.toggle_code, ("code", "code"))),
        web.post(f"{c}/uncode", _coding_action(web_views.uncode, ("coding", "coding"))),
        web.post(f"{c}/memo", _coding_action(web_views.memo, ("text", "text"))),
        web.post(f"{c}/done", _coding_action(web_views.done)),
        web.post(f"{c}/aside", put_aside),
        web.post(f"{s}/assign", assign),
        web.get(f"{s}/case/{{item}}", case),
        web.get(f"{s}/codebook", codebook_page),
        web.post(f"{s}/codebook/change", codebook_change),
        web.post(f"{s}/codebook/undo", codebook_undo),
        web.get(f"{s}/themes", themes_page),
        web.get(f"{s}/themes/map.png", theme_map),
        web.get(f"{s}/agreement", agreement),
        web.post(f"{s}/settle/{{round}}/{{item}}", settle),
        web.get(f"{s}/exports", exports_page),
        web.post(f"{s}/exports/download", download),
    ])
    app.router.add_static(f"{PREFIX}/static/", HERE / "static")
    return app
