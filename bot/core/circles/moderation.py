"""The leader takes one post out of the circle: ``/circle remove`` sent as a reply to that post.

The post's text is erased, every chat's copy becomes "a message was removed", its research turn goes at once, and
the removal is recorded in the audit log (who, which post, when). The author is told privately.
"""

from __future__ import annotations

from sqlmodel import Session

from bot.core.circles import relay, setup
from bot.core.context import Env, Person
from bot.core.replies import Reply
from bot.core.templates import escape
from storage.circle_models import Circle, CircleMember, CircleWeek
from storage.models import User

HOW = ("To remove a post, reply to it in this chat (swipe it, or long-press and Reply) with <code>/circle "
       "remove</code>.")


def remove(session: Session, env: Env, person: Person, member: CircleMember, circle: Circle,
           reply_to: int | None) -> list[Reply]:
    """Remove the circle post the leader's message replies to."""
    if member.role != "leader":
        return [Reply("Only the circle's leader can remove a post. If a post troubles you, tell your leader or "
                      "facilitator.")]
    if reply_to is None:
        return [Reply(HOW)]
    post = relay.post_behind(session, member, reply_to)
    week = session.get(CircleWeek, post.week_id) if post is not None else None
    if post is None or week is None or week.circle_id != circle.id:
        return [Reply("That message isn't a post of your circle, so there's nothing to remove. " + HOW)]
    if post.removed_at is not None:
        return [Reply("That post was removed already.")]
    relay.remove_post(session, env, post, actor=person.actor)  # recorded: "circle.post_removed", by the leader
    author = session.get(CircleMember, post.member_id)
    if author is not None and author.id != member.id:
        relay.enqueue(session, env, author, f"The leader of <b>{escape(circle.name)}</b> took one of your posts "
                                            "out of the circle; the others now see “a message was removed” in "
                                            "its place.")
    who = setup.label(circle, author, session.get(User, author.user_id)) if author is not None else "someone"
    return [Reply(f"Removed {escape(who)}'s post from week {week.week}: everyone now sees “a message was removed” "
                  "where it was, and it has left the research record. The removal is recorded.")]
