"""The circle's outbox: every post copied to every member's chat, durable, exactly once, in one order.

A post and its copies are written in one transaction. The sender (bot/telegram/circles.py) claims the oldest
unsent copy of each member (``claim_heads``), so each member's chat receives the copies in id order, the same
order for everyone; a copy is marked sent with its Telegram message id. A crash between send and mark sends that
one copy again on restart (the claim is released at start), never loses it. Removing a post edits the copies
already sent to "a message was removed" and blanks the ones not sent yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from bot.core.context import Env
from bot.core.delivery.delivery import claim_rows
from bot.core.replies import Button, Reply
from storage import repo, research_repo
from storage.circle_models import CircleMember, CircleOutbox, CirclePost, CircleWeek

REMOVED = "<i>A message was removed.</i>"
CLAIM_FOR = timedelta(minutes=2)
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Outgoing:
    row_id: int
    chat_id: int
    reply: Reply
    edit_of: int | None = None  # a message to edit instead of a new one


def enqueue(session: Session, env: Env, member: CircleMember, text: str, *, post_id: int | None = None,
            buttons: tuple[tuple[Button, ...], ...] = ()) -> None:
    """Queue one message to one member's chat (its text encrypted at rest)."""
    token, encrypted = env.cipher.encrypt(text)
    session.add(CircleOutbox(circle_id=member.circle_id, member_id=member.id or 0, chat_id=member.chat_id,
                             post_id=post_id, text=token, encrypted=encrypted,
                             buttons=[[[b.label, b.data] for b in row] for row in buttons],
                             created_at=env.clock.now()))


def claim_heads(session: Session, worker: str, now: datetime, limit: int = 500) -> list[int]:
    """Claim the oldest unsent copy of each member not held by another sender; return their ids."""
    heads = (select(CircleOutbox.member_id, func.min(CircleOutbox.id).label("head"))
             .where(col(CircleOutbox.sent_at).is_(None), CircleOutbox.attempts < MAX_ATTEMPTS)
             .group_by(col(CircleOutbox.member_id)).subquery())
    stmt = (select(CircleOutbox).join(heads, col(CircleOutbox.id) == heads.c.head)
            .where((col(CircleOutbox.claimed_until).is_(None)) | (col(CircleOutbox.claimed_until) < now))
            .order_by(col(CircleOutbox.id)).limit(limit))
    return claim_rows(session, stmt, worker, now, table=CircleOutbox, claim_for=CLAIM_FOR)


def outgoing(session: Session, env: Env, row_id: int) -> Outgoing | None:
    """Return what a claimed row sends."""
    row = session.get(CircleOutbox, row_id)
    if row is None or row.sent_at is not None:
        return None
    buttons = tuple(tuple(Button(label, data) for label, data in r) for r in row.buttons)
    return Outgoing(row_id, row.chat_id, Reply(env.cipher.decrypt(row.text, row.encrypted), buttons=buttons),
                    row.edit_of)


def mark_sent(session: Session, env: Env, row_id: int, message_id: int | None) -> None:
    """Record that a copy reached its chat."""
    row = session.get(CircleOutbox, row_id)
    if row is not None:
        row.sent_at, row.message_id, row.claimed_until = env.clock.now(), message_id, None
        session.add(row)


def mark_failed(session: Session, env: Env, row_id: int, error: str, *, retry_in: float = 5.0,
                give_up: bool = False) -> None:
    """Put a copy back for a later try (or give up on it: the member blocked the bot)."""
    row = session.get(CircleOutbox, row_id)
    if row is None:
        return
    row.attempts = MAX_ATTEMPTS if give_up else row.attempts + 1
    row.last_error = error[:200]
    row.claimed_until = env.clock.now() + timedelta(seconds=retry_in)
    session.add(row)


def release_claims(session: Session, worker: str) -> int:
    """Release a sender's claims at its start: what was in flight when it stopped goes out again at once."""
    result = session.execute(update(CircleOutbox).where(col(CircleOutbox.claimed_by) == worker,
                                                        col(CircleOutbox.sent_at).is_(None))
                             .values(claimed_until=None))
    return int(getattr(result, "rowcount", 0) or 0)


def pending(session: Session) -> int:
    """Count copies not sent yet (for tests and the doctor)."""
    return int(session.exec(select(func.count()).select_from(CircleOutbox)
                            .where(col(CircleOutbox.sent_at).is_(None),
                                   CircleOutbox.attempts < MAX_ATTEMPTS)).one())


def read_counts(session: Session, circle_id: int) -> dict[int, int]:
    """Return member id -> posts delivered to their chat (the participation view's "read")."""
    rows = session.exec(select(CircleOutbox.member_id, func.count())
                        .where(CircleOutbox.circle_id == circle_id, col(CircleOutbox.post_id).is_not(None),
                               col(CircleOutbox.sent_at).is_not(None), col(CircleOutbox.edit_of).is_(None))
                        .group_by(col(CircleOutbox.member_id))).all()
    return {int(m): int(n) for m, n in rows}


def remove_post(session: Session, env: Env, post: CirclePost, *, actor: str) -> None:
    """Take a post out of the circle: its text is erased, every chat shows "a message was removed", and its turn
    leaves research at once (not only at the next intake)."""
    post.removed_at, post.removed_by = env.clock.now(), actor
    post.text, post.encrypted = "", False
    session.add(post)
    research_repo.delete_items_of_posts(session=session, post_ids=[post.id or 0])
    for row in session.exec(select(CircleOutbox).where(CircleOutbox.post_id == post.id,
                                                       col(CircleOutbox.edit_of).is_(None))).all():
        token, encrypted = env.cipher.encrypt(REMOVED)
        if row.sent_at is None:
            row.text, row.encrypted, row.buttons = token, encrypted, []
        elif row.message_id is not None:
            session.add(CircleOutbox(circle_id=row.circle_id, member_id=row.member_id, chat_id=row.chat_id,
                                     post_id=post.id, text=token, encrypted=encrypted, edit_of=row.message_id,
                                     created_at=env.clock.now()))
        session.add(row)
    week = session.get(CircleWeek, post.week_id)
    repo.audit(session=session, actor=actor, action="circle.post_removed", at=env.clock.now(),
               circle_id=week.circle_id if week else None, post_id=post.id)


def post_behind(session: Session, member: CircleMember, message_id: int) -> CirclePost | None:
    """The circle post behind a message of this member's chat: a copy relayed to them, or their own post."""
    copy = session.exec(select(CircleOutbox.post_id).where(
        CircleOutbox.member_id == member.id, CircleOutbox.message_id == message_id,
        col(CircleOutbox.post_id).is_not(None), col(CircleOutbox.edit_of).is_(None))).first()
    if copy is not None:
        return session.get(CirclePost, copy)
    return session.exec(select(CirclePost).where(CirclePost.chat_id == member.chat_id,
                                                 CirclePost.message_id == message_id,
                                                 CirclePost.member_id == member.id)).first()


def remove_posts_of(session: Session, env: Env, member: CircleMember, *, actor: str) -> int:
    """Remove every post of a member (they left or deleted their data); return how many."""
    posts = session.exec(select(CirclePost).where(CirclePost.member_id == member.id,
                                                  col(CirclePost.removed_at).is_(None))).all()
    for post in posts:
        remove_post(session, env, post, actor=actor)
    return len(posts)
