"""Typed access to the services that live in ``bot_data`` (no globals)."""

from __future__ import annotations

from typing import Any, TypeAlias

from telegram import Update
from telegram.ext import Application, ContextTypes

from bot.chat.command_line import CommandLine, parse
from bot.core.context import Env, Person
from storage.db import Database

DB_KEY, ENV_KEY = "db", "env"

# the bot's Application, as every module of this package passes it around (PTB's defaults for its six types)
BotApp: TypeAlias = Application[Any, Any, Any, Any, Any, Any]


def db_of(context: ContextTypes.DEFAULT_TYPE) -> Database:
    """Return the database service."""
    db = context.bot_data[DB_KEY]
    assert isinstance(db, Database)
    return db


def env_of(context: ContextTypes.DEFAULT_TYPE) -> Env:
    """Return the domain environment."""
    env = context.bot_data[ENV_KEY]
    assert isinstance(env, Env)
    return env


def person_of(update: Update) -> Person:
    """Describe who sent an update."""
    user = update.effective_user
    assert user is not None
    return Person(telegram_id=user.id, first_name=user.first_name or "", username=user.username)


def command_of(update: Update) -> CommandLine:
    """The command a message typed, parsed by the one parser (a CommandHandler only hands us commands)."""
    msg = update.effective_message
    found = parse(msg.text or "") if msg is not None else None
    assert found is not None
    return found
