"""What every domain call needs besides a database session: who is acting, the clock, a few settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sqlmodel import Session

    from storage.models import User

from bot.core.bidi import without_bidi_controls
from bot.core.clock import Clock, SystemClock
from bot.core.privacy.crypto import TextCipher


@dataclass(frozen=True)
class Person:
    """Someone talking to the bot, as Telegram describes them."""

    telegram_id: int
    first_name: str = ""
    username: str | None = None

    def __post_init__(self) -> None:
        # The name is shown to facilitators and leads (alerts, rosters): no bidi controls may reorder their text.
        object.__setattr__(self, "first_name", without_bidi_controls(self.first_name))

    @property
    def actor(self) -> str:
        return f"telegram:{self.telegram_id}"


class ResearchPipeline(Protocol):
    """What core asks of the research pipeline: a research consent change applied to its queue, and its records
    of a student for /mydata, /delete and the retention purge. ``bot.research.queue`` is one; core never imports
    it: whoever builds the Env hands it in (``bot.runtime.make_env``, the sandbox, the tests)."""

    def on_consent_changed(self, session: Session, env: Env, user_id: int, /, *, actor: str = ...) -> None: ...

    def participant_summary(self, session: Session, env: Env, user: User, /) -> dict[str, Any]: ...

    def erase_participant(self, session: Session, env: Env, user: User, /) -> dict[str, Any]: ...

    def purge_entries(self, session: Session, env: Env, entry_ids: list[int], /, *, dry_run: bool = ...) -> int: ...


@dataclass
class Env:
    """Dependencies of the domain, built once by the transport (chat, CLI or sandbox)."""

    clock: Clock = field(default_factory=SystemClock)
    bot_username: str = "balint_bot"
    cipher: TextCipher = field(default_factory=TextCipher.disabled)
    admin_ids: frozenset[int] = frozenset()
    grace_hours: float = 12.0
    reminder_hours: int = 48
    escalate_minutes: int = 120
    safeguarding_lead_id: int | None = None
    pseudonym_key: str | None = None  # HMAC key of research pseudonyms (bot.research.pseudonyms)
    safeguarding_institution: str | None = None  # an [institution.KEY] of prompts/safeguarding/resources.toml
    web_url: str | None = None  # the web workbench's public address (…/web), for /web sign-in links
    retention_days: int = 365 * 5  # for cohorts without a study (a study has its own retention_days)
    # the research pipeline (bot.research.queue), handed in where the Env is built, so core never imports research.
    # None in a build without research: /mydata shows no research rows and /delete and the purge remove none, but a
    # research consent change raises rather than skip a withdrawal
    research: ResearchPipeline | None = None

    def invite_link(self, code: str) -> str:
        """Return the deep link that opens the bot with /start <code>."""
        return f"https://t.me/{self.bot_username}?start={code}"
