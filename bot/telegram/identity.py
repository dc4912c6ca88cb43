"""Who the bot is on Telegram: its username, for deep links the CLI prints."""

from __future__ import annotations

from telegram import Bot

from bot.config import Settings


async def username(settings: Settings) -> str:
    """Ask the Bot API for the bot's username (needs TELEGRAM_BOT_TOKEN)."""
    assert settings.telegram_bot_token is not None
    async with Bot(settings.telegram_bot_token.get_secret_value(), base_url=settings.telegram_api_base_url) as bot:
        return bot.username
