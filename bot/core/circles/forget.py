"""/delete for circles: the member's posts leave the circle's record and research; the others see a removal note."""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from bot.core.circles import relay
from bot.core.context import Env
from storage import research_repo
from storage.circle_models import CircleMember, CircleOutbox, CirclePost, CircleWeek
from storage.models import User


def forget_user(session: Session, env: Env, user: User) -> int:
    """Erase a user's circle memberships and posts (before the user row goes); return how many posts."""
    members = session.exec(select(CircleMember).where(CircleMember.user_id == user.id)).all()
    if not members:
        return 0
    ids = [m.id for m in members if m.id is not None]
    for member in members:
        relay.remove_posts_of(session, env, member, actor="erased")  # "a message was removed" in every chat
    post_ids = [p for p in session.exec(select(CirclePost.id).where(col(CirclePost.member_id).in_(ids))).all()
                if p is not None]
    forget_posts(session, post_ids)
    session.execute(update(CircleOutbox).where(col(CircleOutbox.post_id).in_(post_ids)).values(post_id=None))
    session.execute(delete(CircleOutbox).where(col(CircleOutbox.member_id).in_(ids)))
    session.execute(delete(CirclePost).where(col(CirclePost.id).in_(post_ids)))
    session.execute(update(CircleWeek).where(col(CircleWeek.presenter_id).in_(ids)).values(presenter_id=None))
    session.execute(update(CircleWeek).where(col(CircleWeek.asked_id).in_(ids)).values(asked_id=None))
    session.execute(delete(CircleMember).where(col(CircleMember.id).in_(ids)))
    return len(post_ids)


def data_of(session: Session, env: Env, user: User) -> list[dict[str, object]]:
    """/mydata: the user's circle memberships, each with their posts (decrypted, removed ones marked)."""
    from bot.core.circles.setup import label  # the same attribution the circle sees
    from storage.circle_models import Circle

    result: list[dict[str, object]] = []
    for member in session.exec(select(CircleMember).where(CircleMember.user_id == user.id)
                               .order_by(col(CircleMember.id))).all():
        circle = session.get(Circle, member.circle_id)
        posts = session.exec(select(CirclePost, CircleWeek).join(CircleWeek, col(CircleWeek.id) == CirclePost.week_id)
                             .where(CirclePost.member_id == member.id).order_by(col(CirclePost.id))).all()
        result.append({
            "circle": circle.name if circle else None, "role": member.role, "status": member.status,
            "shown_as": label(circle, member, user) if circle else None,
            "answered_at": member.answered_at.isoformat() if member.answered_at else None,
            "posts": [{"week": w.week, "phase": p.phase, "kind": p.kind, "at": p.created_at.isoformat(),
                       "text": None if p.removed_at else env.cipher.decrypt(p.text, p.encrypted),
                       "removed_at": p.removed_at.isoformat() if p.removed_at else None} for p, w in posts],
        })
    return result


def forget_posts(session: Session, post_ids: list[int]) -> int:
    """Delete the research items (and their codings) made from these posts; return how many."""
    return research_repo.delete_items_of_posts(session=session, post_ids=post_ids)
