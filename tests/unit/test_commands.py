"""The one command table (bot/chat/commands.py) against what reads it and what /help says."""

from __future__ import annotations

import re

from bot.chat import commands

HELP_OF = {role: commands.help_text(role) for role in commands.HELP_FRAME}


def named_in(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w<])/([a-z]+)\b", text))


def test_each_help_text_names_only_its_roles_commands() -> None:
    shared = set(commands.of_role(commands.STUDENT))  # e.g. /pause 3 is a facilitator's pause of cohort 3
    for role, text in HELP_OF.items():
        assert named_in(text) - set(commands.of_role(role)) - shared == set(), role


def test_each_roles_help_lists_every_command_of_the_role() -> None:
    for role, text in HELP_OF.items():
        assert set(commands.of_role(role)) <= named_in(text), role


def test_the_help_keeps_the_wording_users_know() -> None:
    assert commands.help_text(commands.STUDENT).startswith(
        "<b>What I can do</b>\n/status — your cohort, this week, what comes next\n"
        "/reflect — start this week's reflection now\n"
    )
    assert "/pause and /resume — stop and restart your weekly prompts\n" in commands.help_text(commands.STUDENT)
    assert "/help — this list\n\nEach week's conversation has five short questions" in commands.help_text(
        commands.STUDENT
    )
    facilitators = commands.help_text(commands.FACILITATOR)
    assert "/pause and /resume — stop and restart a cohort's prompts" in facilitators
    assert "/cancel — " in facilitators and facilitators.endswith("never what a student wrote.")
    researchers = commands.help_text(commands.RESEARCHER)
    assert "/code 7 — open item #7, when it is one of yours" in researchers
    assert "/exemplar — " in researchers and "/web — " in researchers and "/reflect" not in researchers


def test_a_command_added_to_the_table_shows_up_in_help_with_no_other_edit(monkeypatch) -> None:
    extra = commands._spec("wave", commands.FACILITATOR, commands.facilitator.cohorts, help="/wave — say hello")
    unlisted = commands._spec("nod", commands.RESEARCHER, commands.facilitator.cohorts, menu="Nod back")
    monkeypatch.setattr(commands, "COMMANDS", (*commands.COMMANDS, extra, unlisted))
    assert "/wave — say hello" in commands.help_text(commands.FACILITATOR)
    assert "/nod — nod back" in commands.help_text(commands.RESEARCHER)


def test_the_menu_is_the_students_commands_in_order() -> None:
    assert [name for name, _ in commands.menu()] == list(commands.of_role(commands.STUDENT))
    assert all(len(description) <= 256 and name.islower() for name, description in commands.menu())


def test_a_name_two_roles_share_goes_to_the_first_role_asked() -> None:
    both = commands.of_role(commands.RESEARCHER, commands.STUDENT)
    assert both["skip"].role == commands.RESEARCHER and both["status"].role == commands.STUDENT
