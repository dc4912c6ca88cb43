"""The one command-line parser every transport uses (Telegram's handlers, the circles, the sandbox)."""

from __future__ import annotations

import pytest

from bot.chat.command_line import CommandLine, parse
from tests.support.paths import ROOT


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("/sendnow 3", CommandLine("sendnow", "3")),
        ("/ack", CommandLine("ack", "")),
        ("/ack@balint_bot 12", CommandLine("ack", "12")),
        ("/SendNow@Balint_Bot", CommandLine("sendnow", "")),
        ("  /pause   Spring cohort  ", CommandLine("pause", "Spring cohort")),
        ("/announce Week 3\n\nBring a case.", CommandLine("announce", "Week 3\n\nBring a case.")),
        ("/circle\nA first line", CommandLine("circle", "A first line")),
        ("/start ABC123", CommandLine("start", "ABC123")),
        ("/name  Anna   Maria", CommandLine("name", "Anna   Maria")),  # inner spacing is the argument's own
    ],
)
def test_a_command_splits_into_its_lower_case_name_and_stripped_arguments(typed: str, expected: CommandLine) -> None:
    assert parse(typed) == expected


@pytest.mark.parametrize("typed", ["hello", "", "/", "/ 3", "a /ack 3", "@bot /ack"])
def test_text_that_is_no_command_parses_to_none(typed: str) -> None:
    assert parse(typed) is None


def test_every_transport_parses_with_it() -> None:
    """No hand-rolled splitting of command text is left in the Telegram layer or the sandbox."""

    root = ROOT
    sources = {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in [*(root / "bot" / "telegram").glob("*.py"), root / "bot" / "sandbox.py"]
    }
    copies = {
        name
        for name, text in sources.items()
        if 'lstrip("/")' in text or "context.args" in text or '.partition(" ")' in text
    }
    assert copies == set()
