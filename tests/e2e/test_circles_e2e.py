"""A Balint circle week end to end: the real PTB Application over HTTP against the Bot API emulator."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from bot.core.clock import ManualClock
from bot.core.context import Env
from bot.devtools.emulator import BotAPIEmulator
from bot.telegram import circles as circle_jobs
from storage.circle_models import CircleMember, CirclePost, MemberStatus
from storage.db import Database
from storage.models import AuditEvent
from tests.support.botharness import button, has, running_bot
from tests.support.circle_support import (
    CASE_END,
    DISCUSSION_END,
    HALFWAY,
    LEADER,
    OPEN,
    QUESTIONS_END,
    RESPONSE_END,
    STUDENTS,
    make_circle,
)

CASE = (
    "Mrs Eileen Fairbrother, 82, on ward 12 told me she was ready to die and asked me to sit with her. "
    "I said I had bloods to take and left. I keep thinking about her hands."
)
QUESTION = "What did her face do when you said you had to go?"
ANSWER = "She looked away and said 'of course, doctor'."
DISCUSSION = "I feel a kind of guilt reading this, as if I had left her too."
ADVICE = "You should have asked the nurse to cover the bloods."
REPLY = "Ben's question stays with me: I think her face was what you couldn't bear."
PUSHBACK_TRY = "Can I just explain why I left?"
RESPONSE = "Hearing you all, I think I left because her calm frightened me."
CLOSING = "Thank you, Anna, and everyone: we stayed with her. See you next week."


async def joined_circle(emu: BotAPIEmulator, app: Any, users: dict[str, Any]) -> None:
    """Relay the invitations and have everyone join."""
    await circle_jobs.relay_once(app)
    for user in users.values():
        invite = await user.wait_for_message(has("What joining means"), after=0)
        assert "shared with its members and its leader" in invite["plain_text"]
        answer = await user.click(invite["message_id"], button(invite, "Yes, I'll join"))
        assert answer is not None


async def write(user: Any, notice: dict[str, Any]) -> None:
    """Press ✍️ on a phase notice and wait until the bot says the next message goes to the circle."""
    after = len(user.messages())
    await user.click(notice["message_id"], button(notice, "✍️ Write to the circle"))
    await user.wait_for_message(has("Your next message here goes to the whole circle"), after=after)


def posts_seen(user: Any) -> list[str]:
    """The circle posts a chat received, in order."""
    heads = ("💬", "Circle Rose · week 1 · The case")
    return [m["plain_text"] for m in user.messages() if (m["plain_text"] or "").startswith(heads)]


async def test_a_circle_of_five_and_a_leader_through_one_full_week(
    db: Database, env: Env, clock: ManualClock, cohort
) -> None:
    make_circle(db, env, cohort)
    async with BotAPIEmulator() as emu, running_bot(emu, db, env) as app:
        users = {name: emu.user(tid, name) for tid, name in [*STUDENTS, LEADER]}
        anna, ben, cara, dev, eve, ruth = (users[n] for n in ("Anna", "Ben", "Cara", "Dev", "Eve", "Ruth"))
        await joined_circle(emu, app, users)

        clock.set(OPEN)
        await circle_jobs.tick_once(app)
        opening = await anna.wait_for_message(has("Who would like to present?"), after=0)
        assert "Monday 12 January at 20:00" in opening["plain_text"]
        await anna.click(opening["message_id"], button(opening, "I'll present this week"))
        await anna.wait_for_message(has("Thank you for presenting"), after=0)
        await circle_jobs.relay_once(app)
        await ben.wait_for_message(has("Anna will present"), after=0)
        late = await cara.wait_for_message(has("Who would like to present?"), after=0)
        assert (await cara.click(late["message_id"], button(late, "I'll present this week")))[
            "text"
        ] == "Someone is presenting already."

        # the case: the presenter sees the redacted version first, and only the confirmed one is shared
        after = len(anna.messages())
        anna.send_text(CASE)
        preview = await anna.wait_for_message(lambda m: m["reply_markup"] is not None, after=after)
        assert "Fairbrother" not in preview["plain_text"] and "ward 12" not in preview["plain_text"]
        assert "I keep thinking about her hands." in preview["plain_text"]
        assert not any("hands" in (m["plain_text"] or "") for m in ben.messages())  # nobody sees it before
        await anna.click(preview["message_id"], button(preview, "Share it with the circle"))
        await circle_jobs.relay_once(app)
        case = await ben.wait_for_message(has("· The case"), after=0)
        assert "her hands" in case["plain_text"] and "Fairbrother" not in case["plain_text"]
        questions = await ben.wait_for_message(has("· Questions"), after=0)

        # questions: a member writes (✍️), the presenter answers with /circle TEXT
        await write(ben, questions)
        assert "Shared with the circle (5 people)" in (await ben.say(QUESTION))["plain_text"]
        await anna.say(f"/circle {ANSWER}")
        await circle_jobs.relay_once(app)
        for user in (anna, cara, dev, eve, ruth):
            await user.wait_for_message(has(QUESTION), after=0)
        await ben.wait_for_message(has(ANSWER), after=0)

        # push-back: the presenter is told once, and a post of theirs is refused with the explanation
        clock.set(QUESTIONS_END)
        await circle_jobs.tick_once(app)
        told = await anna.wait_for_message(has("This is the push-back"), after=0)
        assert "step back and read" in told["plain_text"]
        refused = await anna.say(f"/circle {PUSHBACK_TRY}")
        assert "Not posted: during push-back you read and listen" in refused["plain_text"]
        pushback = await cara.wait_for_message(has("Push-back"), after=0)
        await write(cara, pushback)
        await cara.say(DISCUSSION)
        await write(dev, await dev.wait_for_message(has("Push-back"), after=0))
        after = len(dev.messages())
        dev.send_text(ADVICE)
        frame = await dev.wait_for_message(has("Balint frame"), after=after)
        assert "Your post has been shared" in frame["plain_text"]
        # Eve answers Ben's question with a Telegram reply: the others see whom she answers
        await write(eve, await eve.wait_for_message(has("Push-back"), after=0))
        question = await eve.wait_for_message(has(QUESTION), after=0)
        await eve.say(REPLY, reply_to_message_id=question["message_id"])
        await circle_jobs.relay_once(app)
        await anna.wait_for_message(has(DISCUSSION), after=0)  # the presenter reads
        assert (await ben.wait_for_message(has(REPLY), after=0))["plain_text"].startswith("💬 Eve ↩ Ben · push-back")

        # the leader removes one post by replying to it; a member can't; everyone's copy says it was removed
        advice = await ruth.wait_for_message(has(ADVICE), after=0)
        refused = await cara.say(
            "/circle remove", reply_to_message_id=(await cara.wait_for_message(has(ADVICE), after=0))["message_id"]
        )
        assert "Only the circle's leader can remove a post" in refused["plain_text"]
        done = await ruth.say("/circle remove", reply_to_message_id=advice["message_id"])
        assert "Removed Dev's post from week 1: everyone now sees “a message was removed”" in done["plain_text"]
        await circle_jobs.relay_once(app)
        for user in (anna, ben, cara, eve, ruth):
            await user.wait_for_message(has("A message was removed."), after=0)
            assert not any(ADVICE in (m["plain_text"] or "") for m in user.messages())
        await dev.wait_for_message(has("took one of your posts out of the circle"), after=0)

        # the presenter's response, then the leader closes
        clock.set(DISCUSSION_END)
        await circle_jobs.tick_once(app)
        await anna.say(f"/circle {RESPONSE}")
        clock.set(RESPONSE_END)
        await circle_jobs.tick_once(app)
        closing = await ruth.wait_for_message(has("write your closing words"), after=0)
        await ruth.say(f"/circle {CLOSING}")
        await ruth.click(closing["message_id"], button(closing, "Close the week"))
        await circle_jobs.relay_once(app)
        for user in (anna, ben, cara, dev, eve):
            await user.wait_for_message(has("week 1 is closed"), after=0)

        # every member saw every post of the others once, in the one order the posts were made
        order = [CASE_SHOWN := case["plain_text"], QUESTION, ANSWER, DISCUSSION, REPLY, RESPONSE, CLOSING]  # no ADVICE
        authors = {"Anna": {0, 2, 5}, "Ben": {1}, "Cara": {3}, "Dev": set(), "Eve": {4}, "Ruth": {6}}
        for name, user in users.items():
            seen = posts_seen(user)
            expected = [t for i, t in enumerate(order) if i not in authors[name]]
            assert len(seen) == len(expected), (name, seen)
            for got, want in zip(seen, expected, strict=True):
                assert want in got or got == CASE_SHOWN, (name, got, want)
        assert not any(
            PUSHBACK_TRY in (m["plain_text"] or "") for u in users.values() for m in u.messages() if u is not anna
        )

    stored = db.call(lambda s: list(s.exec(select(CirclePost).order_by(col(CirclePost.id))).all()))
    assert [(p.role, p.phase, p.kind) for p in stored] == [
        ("presenter", "choosing", "case"),
        ("member", "questions", "post"),
        ("presenter", "questions", "post"),
        ("member", "discussion", "post"),
        ("member", "discussion", "post"),
        ("member", "discussion", "post"),
        ("presenter", "response", "post"),
        ("leader", "closing", "post"),
    ]
    assert stored[5].quotes_post_id == stored[1].id  # Eve's reply is recorded as quoting Ben's question
    removed = stored[4]
    assert removed.removed_at is not None and removed.text == "" and removed.removed_by == f"telegram:{LEADER[0]}"
    events = db.call(lambda s: s.exec(select(AuditEvent).where(AuditEvent.action == "circle.post_removed")).all())
    assert [(e.actor, e.detail["post_id"]) for e in events] == [(f"telegram:{LEADER[0]}", removed.id)]


async def test_a_week_where_nobody_volunteers_says_so_kindly(
    db: Database, env: Env, clock: ManualClock, cohort
) -> None:
    make_circle(db, env, cohort)
    async with BotAPIEmulator() as emu, running_bot(emu, db, env) as app:
        users = {name: emu.user(tid, name) for tid, name in [*STUDENTS, LEADER]}
        await joined_circle(emu, app, users)
        clock.set(OPEN)
        await circle_jobs.tick_once(app)
        clock.set(HALFWAY)
        await circle_jobs.tick_once(app)  # the rotation asks the first in turn
        ask = await users["Anna"].wait_for_message(has("Would you present this week"), after=0)
        await users["Anna"].click(ask["message_id"], button(ask, "Not this week"))
        await circle_jobs.relay_once(app)
        ask = await users["Ben"].wait_for_message(has("Would you present this week"), after=0)
        await users["Ben"].click(ask["message_id"], button(ask, "Not this week"))
        await circle_jobs.relay_once(app)
        await users["Cara"].wait_for_message(has("Would you present this week"), after=0)
        clock.set(CASE_END)
        await circle_jobs.tick_once(app)
        for user in users.values():
            kind = await user.wait_for_message(has("No one is presenting"), after=0)
            assert "that's all right" in kind["plain_text"] and "Saturday 17 January at 10:00" in kind["plain_text"]
        refused = await users["Dev"].say("/circle Anyone there?")
        assert "This week's circle is closed" in refused["plain_text"]


async def test_refusing_the_third_consent_means_not_a_member(
    db: Database, env: Env, clock: ManualClock, cohort
) -> None:
    make_circle(db, env, cohort)
    async with BotAPIEmulator() as emu, running_bot(emu, db, env) as app:
        dev = emu.user(3004, "Dev")
        await circle_jobs.relay_once(app)
        invite = await dev.wait_for_message(has("What joining means"), after=0)
        await dev.click(invite["message_id"], button(invite, "Not now"))
        await dev.wait_for_message(has("completely fine"), after=0)
        assert "not in a Balint circle" in (await dev.say("/circle"))["plain_text"]
        clock.set(OPEN)
        await circle_jobs.tick_once(app)
        assert not any("Who would like to present?" in (m["plain_text"] or "") for m in dev.messages())
        # a typed message of someone outside the circle is their own, handled as before (kept privately)
        assert "circle" not in (await dev.say("Something happened on the ward today."))["plain_text"].lower()
    status = db.call(lambda s: s.exec(select(CircleMember.status).where(CircleMember.chat_id == 3004)).one())
    assert status == MemberStatus.DECLINED
