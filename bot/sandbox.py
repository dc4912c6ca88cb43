"""Try the bot in a terminal: the same domain code as the chat, no Telegram, no token.

Buttons are shown numbered; type the number to press one. ``/prompt`` delivers this week's prompt now (what
``balint prompt send-now`` does for a real cohort), ``/quit`` leaves. A file the bot would send (``/mydata``, a
chart) is written to the current folder. A safeguarding alert, which would go to the cohort's facilitators, is
shown as they would read it. ``bot.sandbox_roles`` runs the facilitator's and the researcher's part on the demo.
"""

from __future__ import annotations

import html
import logging
import re
import sys
import tempfile
from collections.abc import Callable, Iterable
from datetime import timedelta
from pathlib import Path
from typing import TextIO

from sqlmodel import Session, col, select

from bot.chat import command_line, commands, student, welcome
from bot.core.context import Env, Person
from bot.core.delivery import delivery
from bot.core.replies import Button, CallbackOutcome, Reply
from bot.core.safety import safeguarding
from bot.core.scheduling.schedule import current_week, spec_of
from bot.core.student.enrolment import CohortIn, create_cohort
from bot.research import queue as research_queue
from storage import repo
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Cohort, User
from storage.safety_models import SafeguardingAlert

log = logging.getLogger(__name__)
SANDBOX_CODE = "SANDBOX"
_TAG = re.compile(r"</?(b|i|u|s|code|pre|a|blockquote)( [^>]*)?>")


def plain(text: str, *, bold: bool) -> str:
    """Render Telegram HTML for a terminal."""
    if bold:
        text = text.replace("<b>", "\033[1m").replace("</b>", "\033[0m")
    return html.unescape(_TAG.sub("", text))


class Sandbox:
    """A terminal chat with the bot's domain."""

    def __init__(self, db: Database, env: Env, person: Person, out: TextIO, *, color: bool,
                 commands: dict[str, Callable[..., list[Reply]]] | None = None, files: Path | None = None) -> None:
        self.db, self.env, self.person, self.out, self.color = db, env, person, out, color
        self.commands = commands or {}  # the role's own commands (facilitator, researcher), before the student's
        self.files = files if files is not None else Path.cwd()
        self.buttons: list[Button] = []
        self.message_id = 0
        self.last_alert = self.db.call(_newest_alert)

    def show(self, replies: Iterable[Reply]) -> None:
        self.buttons = []
        for reply in replies:
            if reply.text:
                self.out.write("\n" + plain(reply.text, bold=self.color) + "\n")
            for row in reply.buttons:
                labels = []
                for b in row:
                    self.buttons.append(b)
                    labels.append(f"[{len(self.buttons)}] {b.label}")
                self.out.write("   " + "   ".join(labels) + "\n")
            if reply.attachment is not None:
                self.save(reply.attachment.filename, reply.attachment.content)
        self.out.flush()

    def save(self, filename: str, content: bytes) -> None:
        """Write a file the bot would send into the sandbox's folder, and say where."""
        path = self.files / Path(filename).name
        try:
            path.write_bytes(content)
        except OSError as exc:
            self.out.write(f"   (the bot would send {filename}, {len(content):,} bytes, but it could not be "
                           f"written here: {exc.strerror or exc})\n")
            return
        self.out.write(f"   (file saved: {path.resolve()}, {len(content):,} bytes)\n")

    def show_alerts(self) -> None:
        """Show any safeguarding alert just raised, as the facilitators of a real cohort would get it."""
        def fresh(session: Session) -> list[str]:
            rows = session.exec(select(SafeguardingAlert).where(col(SafeguardingAlert.id) > self.last_alert)
                                .order_by(col(SafeguardingAlert.id))).all()
            texts = []
            for alert in rows:
                user = session.get(User, alert.user_id)
                cohort = session.get(Cohort, alert.cohort_id) if alert.cohort_id else None
                if user is not None:
                    texts.append(safeguarding.alert_text(self.env, alert, user, cohort))
                self.last_alert = max(self.last_alert, alert.id or 0)
            return texts

        for text in self.db.call(fresh):
            self.out.write(
                "\n── In a real cohort ─────────────────────────────────────────────────────────\n"
                "This is the sandbox, so no one was told. In a real cohort the facilitators would get this "
                f"alert now, with an Acknowledge button, and the safeguarding lead if no one acknowledged it "
                f"within {self.env.escalate_minutes} minutes:\n\n" + plain(text, bold=self.color) +
                "\n─────────────────────────────────────────────────────────────────────────────\n")

    def press(self, number: int) -> None:
        if not 1 <= number <= len(self.buttons):
            self.out.write("There's no button with that number.\n")
            return
        outcome = self.callback(self.buttons[number - 1].data)
        if outcome.toast:
            self.out.write(f"   ({outcome.toast})\n")
        if outcome.edit_text:
            self.out.write("   " + plain(outcome.edit_text, bold=self.color) + "\n")
        redrawn = getattr(outcome, "buttons", None)  # a code toggle redraws the item's buttons (CodingOutcome)
        kept = self.buttons if outcome.keep_buttons and not outcome.edit_text else []
        self.show(outcome.replies)
        if redrawn is not None and not outcome.replies:
            self.show([Reply("", buttons=redrawn)])
        elif kept and not self.buttons:
            self.buttons = kept

    def callback(self, data: str | None) -> CallbackOutcome:
        """Press a button's data as the chat would (the circle sandbox routes circle buttons too)."""
        outcome: CallbackOutcome = self.db.call(student.callback, self.env, self.person, data)
        return outcome

    def typed(self, line: str) -> list[Reply]:
        """Answer a typed message as the chat would."""
        return list(self.db.call(student.text, self.env, self.person, line, chat_id=self.person.telegram_id,
                                 message_id=self.message_id))

    def deliver_prompt(self) -> None:
        def run(session: Session) -> list[Reply]:
            cohort = session.exec(select(Cohort).where(Cohort.invite_code == SANDBOX_CODE)).one()
            week = current_week(spec_of(cohort), self.env.clock.now()) or 1
            delivery.ensure_deliveries(session, self.env, cohort, week, when=self.env.clock.now())
            replies: list[Reply] = []
            for delivery_id in delivery.claim(session, self.env, "sandbox", cohort_id=cohort.id):
                out = delivery.prepare(session, self.env, delivery_id)
                if out is None:
                    continue
                replies += out.replies
                self.message_id += 1
                delivery.mark_sent(session, self.env, delivery_id, self.message_id)
            return replies

        replies = self.db.call(run)
        if not replies:
            self.out.write("\n(No prompt to deliver: join and agree to take part first, "
                           "or this week's has gone out.)\n")
        self.show(replies)

    def handle(self, line: str) -> bool:
        line = line.strip()
        if not line:
            return True
        if line in ("/quit", "/exit"):
            return False
        if line.isdigit() and self.buttons:
            self.press(int(line))
            self.show_alerts()
            return True
        self.message_id += 1
        if (typed := command_line.parse(line)) is not None:
            name, args = typed
            if name == "start":
                self.show(self.db.call(welcome.start, self.env, self.person, next(iter(args.split()), None)))
            elif name in self.commands:
                self.show(self.db.call(self.commands[name], self.env, self.person, args))
            elif name == "prompt":
                self.deliver_prompt()
            elif name in commands.of_role(commands.STUDENT):
                self.show(self.db.call(commands.entries(commands.STUDENT)[name], self.env, self.person, args))
            else:
                self.show(student.unknown_command(name))
            return True
        self.show(self.typed(line))
        self.show_alerts()
        return True


def _newest_alert(session: Session) -> int:
    return max((i for i in session.exec(select(SafeguardingAlert.id)).all() if i is not None), default=0)


def loop(box: Sandbox, input_lines: Callable[[], str], out: TextIO, prompt: str = "you> ") -> None:
    """Read lines until /quit or end of input; a bug gets a kind line, the details go to the log."""
    try:
        while True:
            try:
                line = input_lines() if input_lines is not input else input(f"\n{prompt}")
            except EOFError:
                break
            try:
                if not box.handle(line):
                    break
            except Exception:
                log.exception("sandbox: error while handling %r", line[:40])
                out.write("\nSorry — something went wrong on my side (details are in the log). Please try again.\n")
    except KeyboardInterrupt:
        pass
    finally:
        out.write("\nBye.\n")


def run_sandbox(*, input_lines: Callable[[], str] = input, out: TextIO = sys.stdout, name: str = "Student",
                database_url: str | None = None, files: Path | None = None) -> None:
    """Run the sandbox until /quit or end of input."""
    tmp = None
    if database_url is None:
        tmp = tempfile.TemporaryDirectory(prefix="balint-sandbox-")
        database_url = f"sqlite:///{Path(tmp.name) / 'sandbox.db'}"
    upgrade(database_url)
    # the sandbox has no facilitators or admins, so every alert "has no one to go to": that operator's warning
    # would only interrupt the conversation on this terminal
    logging.getLogger("bot.core.safety.safeguarding").setLevel(logging.CRITICAL)
    logging.getLogger("bot.core.safety.safeguarding_delivery").setLevel(logging.CRITICAL)
    db = Database(database_url)
    env = Env(research=research_queue, bot_username="balint_sandbox_bot")
    today = env.clock.now().date()

    def setup(session: Session) -> None:
        if repo.get_cohort_by_invite(session=session, code=SANDBOX_CODE) is None:
            cohort = create_cohort(session, CohortIn(name="Sandbox psychiatry placement",
                                                     start_date=today - timedelta(days=today.weekday()),
                                                     weekday=today.weekday()), actor="sandbox")
            cohort.invite_code = SANDBOX_CODE
            session.add(cohort)

    db.call(setup)
    color = out.isatty()
    box = Sandbox(db, env, Person(telegram_id=1, first_name=name), out, color=color, files=files)
    out.write(
        "balintbot sandbox — the student journey in your terminal (no Telegram, nothing leaves this machine).\n"
        f"Your tutor's invite link would be {env.invite_link(SANDBOX_CODE)}\n"
        f"Type  /start {SANDBOX_CODE}  to join, as if you had tapped it. Press a button by typing its number.\n"
        "/prompt delivers this week's prompt now; /help lists commands; /quit leaves.\n"
    )
    try:
        loop(box, input_lines, out)
    finally:
        db.close()
        if tmp is not None:
            tmp.cleanup()
