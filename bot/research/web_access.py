"""Sign-in to the web workbench without passwords: one-time links, browser sessions, CSRF tokens.

* ``issue_link`` makes a link good once, for ten minutes; only its SHA-256 is stored.
* ``redeem`` turns a link into a browser session (a fresh random token, again stored hashed) with its own
  CSRF token; a session ends after eight hours without a request.
* Who may see which study is decided by the same functions as in chat and the CLI (``bot.research.access``,
  ``bot.core.roles``); a session only says who the browser belongs to.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session

from bot.core.context import Env, Person
from bot.core.replies import Reply
from bot.core.templates import escape
from bot.research.access import NOT_A_RESEARCHER, studies_of
from storage import repo, web_repo
from storage.web_models import WebLink, WebSession

DEFAULT_URL = "http://127.0.0.1:8080/web"  # ``balint web`` on this machine, when WEB_URL is not set
LINK_LIFETIME = timedelta(minutes=10)
IDLE_LIMIT = timedelta(hours=8)
SEEN_EVERY = timedelta(minutes=1)  # refresh ``seen_at`` at most this often (one write per minute, not per page)

LINK_USED = "This sign-in link has already been used. Ask for a new one with /web in chat."
LINK_EXPIRED = "This sign-in link has expired (links last ten minutes). Ask for a new one with /web in chat."
LINK_UNKNOWN = "This sign-in link is not valid. Ask for a new one with /web in chat."


class SignInError(Exception):
    """A sign-in that cannot go ahead; the message says why, for people."""


@dataclass(frozen=True)
class Signed:
    """A signed-in browser: who it is and the token its forms must carry."""

    person: Person
    csrf: str
    session_id: int


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link(session: Session, env: Env, telegram_id: int, *, actor: str) -> str:
    """Make a one-time sign-in token for this account; return the token (shown once, stored hashed)."""
    token = secrets.token_urlsafe(32)
    now = env.clock.now()
    web_repo.add_link(session=session, link=WebLink(token_hash=_hash(token), telegram_id=telegram_id,
                                                    created_at=now, expires_at=now + LINK_LIFETIME))
    repo.audit(session=session, actor=actor, action="web.link", at=now)
    return token


def redeem(session: Session, env: Env, token: str) -> tuple[str, Signed]:
    """Use a sign-in token once; return the new session's cookie value and what it signs in."""
    now = env.clock.now()
    link = web_repo.get_link(session=session, token_hash=_hash(token.strip())) if token.strip() else None
    if link is None:
        raise SignInError(LINK_UNKNOWN)
    if link.used_at is not None:
        raise SignInError(LINK_USED)
    if now >= link.expires_at:
        raise SignInError(LINK_EXPIRED)
    link.used_at = now
    session.add(link)
    cookie = secrets.token_urlsafe(32)
    row = web_repo.add_session(session=session, web_session=WebSession(
        token_hash=_hash(cookie), telegram_id=link.telegram_id, csrf=secrets.token_urlsafe(24), created_at=now,
        seen_at=now))
    assert row.id is not None
    person = Person(telegram_id=link.telegram_id)
    repo.audit(session=session, actor=person.actor, action="web.sign_in", at=now, web_session=row.id)
    return cookie, Signed(person=person, csrf=row.csrf, session_id=row.id)


def current(session: Session, env: Env, cookie: str | None) -> Signed | None:
    """Return who a session cookie signs in, or None (unknown, signed out, or idle for eight hours)."""
    if not cookie:
        return None
    row = web_repo.get_session(session=session, token_hash=_hash(cookie))
    now = env.clock.now()
    if row is None or row.ended_at is not None or now - row.seen_at >= IDLE_LIMIT:
        return None
    if now - row.seen_at >= SEEN_EVERY:
        row.seen_at = now
        session.add(row)
    assert row.id is not None
    return Signed(person=Person(telegram_id=row.telegram_id), csrf=row.csrf, session_id=row.id)


def sign_out(session: Session, env: Env, cookie: str | None) -> None:
    """End a browser session."""
    row = web_repo.get_session(session=session, token_hash=_hash(cookie)) if cookie else None
    if row is not None and row.ended_at is None:
        row.ended_at = env.clock.now()
        session.add(row)
        repo.audit(session=session, actor=f"telegram:{row.telegram_id}", action="web.sign_out", at=row.ended_at)


def csrf_ok(signed: Signed, sent: str | None) -> bool:
    """Say whether a form carried this session's CSRF token (compared in constant time)."""
    return bool(sent) and hmac.compare_digest(signed.csrf.encode(), (sent or "").encode())


def base_url(configured: str | None) -> str:
    """Return where the workbench is reached: WEB_URL when set, else ``balint web`` on this machine."""
    return (configured or DEFAULT_URL).rstrip("/")


def web_command(session: Session, env: Env, person: Person, args: str = "") -> list[Reply]:
    """/web: a one-time sign-in link to the web workbench, for researchers (and admins)."""
    if not studies_of(session, env, person):
        return [Reply(NOT_A_RESEARCHER)]
    token = issue_link(session, env, person.telegram_id, actor=person.actor)
    url = f"{base_url(env.web_url)}/login?t={token}"
    return [Reply(f"Your sign-in link to the web workbench (it works once, within ten minutes; don't share it):\n"
                  f"{escape(url)}")]
