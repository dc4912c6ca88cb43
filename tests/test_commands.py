"""The one command table (bot/chat/commands.py) against what reads it and what /help says."""

from __future__ import annotations

import re

from bot.chat import commands
from bot.core.facilitator import facilitator
from bot.core.student import status
from bot.research import access

HELP_OF = {commands.STUDENT: status.HELP, commands.FACILITATOR: facilitator.HELP,
           commands.RESEARCHER: access.HELP}


def named_in(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w<])/([a-z]+)\b", text))


def test_each_help_text_names_only_its_roles_commands() -> None:
    shared = set(commands.of_role(commands.STUDENT))  # e.g. /pause 3 is a facilitator's pause of cohort 3
    for role, text in HELP_OF.items():
        assert named_in(text) - set(commands.of_role(role)) - shared == set(), role


def test_the_students_help_lists_every_student_command() -> None:
    assert named_in(status.HELP) == set(commands.of_role(commands.STUDENT))


def test_the_menu_is_the_students_commands_in_order() -> None:
    assert [name for name, _ in commands.menu()] == list(commands.of_role(commands.STUDENT))
    assert all(len(description) <= 256 and name.islower() for name, description in commands.menu())


def test_a_name_two_roles_share_goes_to_the_first_role_asked() -> None:
    both = commands.of_role(commands.RESEARCHER, commands.STUDENT)
    assert both["skip"].role == commands.RESEARCHER and both["status"].role == commands.STUDENT
