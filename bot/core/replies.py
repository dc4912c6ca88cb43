"""What the domain asks the transport to show: text (Telegram HTML), buttons, files."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Button:
    label: str
    data: str  # callback data, at most 64 bytes (see bot.core.actions)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    kind: str = "document"  # "document" | "photo"


@dataclass(frozen=True)
class Reply:
    """One message for the transport to send.

    ``chat_id`` None means "the chat the event came from"; a number sends elsewhere (alerts to facilitators).
    """

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    attachment: Attachment | None = None
    chat_id: int | None = None


@dataclass(frozen=True)
class CallbackOutcome:
    """The answer to a button press: a toast, optionally a new text for the pressed message, replies."""

    toast: str | None = None
    edit_text: str | None = None  # replaces the pressed message's text; its buttons are removed
    replies: list[Reply] = field(default_factory=list)
    keep_buttons: bool = False


def say(*texts: str) -> list[Reply]:
    """Return plain replies."""
    return [Reply(t) for t in texts]
