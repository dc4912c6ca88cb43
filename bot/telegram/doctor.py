"""``balint doctor``: check a deployment from the command line, one line per check, nothing changed.

Token (``getMe``), prompts folder, database reachable and at the current schema, keys present, safeguarding
contacts filled in, webhook registered (or none, for polling). Each check reports ``ok``, ``warn`` or ``FAIL``
and what to do; the command exits 1 when any check failed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from telegram import Bot
from telegram.error import InvalidToken, TelegramError

from bot.config import Settings
from bot.core.data_files import DataFilesMissing, load_all
from bot.core.safety.safeguarding_rules import load_resources
from storage.db import Database, is_sqlite
from storage.migrate import current_revision, head_revision

OK, WARN, FAIL = "ok", "warn", "FAIL"


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    detail: str


def check_prompts(settings: Settings) -> Check:
    try:
        folder = load_all(institution=settings.safeguarding_institution or None)
    except (DataFilesMissing, KeyError) as exc:
        return Check("prompts", FAIL, str(exc).strip("'\""))
    return Check("prompts", OK, f"rules, resources, redaction, dialogue and plan load from {folder}")


def check_database(settings: Settings) -> Check:
    db = Database(settings.database_url, retry_for=0.0)
    try:
        have, want = current_revision(db.engine), head_revision(settings.database_url)
    except Exception as exc:  # noqa: BLE001  any driver error: say which, no traceback
        return Check("database", FAIL, f"cannot connect ({type(exc).__name__}); check DATABASE_URL")
    finally:
        db.close()
    if have != want:
        fix = "it upgrades itself when the bot starts" if is_sqlite(db.engine) else "run: balint db upgrade"
        return Check("database", WARN if is_sqlite(db.engine) else FAIL,
                     f"schema at {have or 'nothing'}, the code wants {want}: {fix}")
    return Check("database", OK, f"reachable, schema at the current revision {want}")


def check_keys(settings: Settings) -> list[Check]:
    production = settings.environment == "production"
    missing = FAIL if production else WARN
    checks = []
    keys = (("DATA_ENCRYPTION_KEY", settings.data_encryption_key), ("PSEUDONYM_KEY", settings.pseudonym_key))
    for name, value in keys:
        if value is None:
            checks.append(Check(name.lower(), missing, f"{name} is not set (required in production; make one "
                                "with: balint keys generate)"))
        else:
            checks.append(Check(name.lower(), OK, "set"))
    return checks


def check_safeguarding(settings: Settings) -> list[Check]:
    try:
        resources = load_resources(institution=settings.safeguarding_institution or None)
    except (OSError, KeyError, ValueError) as exc:
        return [Check("safeguarding contacts", FAIL, f"cannot load resources.toml: {exc}")]
    placeholders = [r.id for r in resources if r.placeholder]
    contacts = (Check("safeguarding contacts", FAIL,
                      f"still placeholders: {', '.join(placeholders)}; set SAFEGUARDING_INSTITUTION to your "
                      "[institution.NAME] table in prompts/safeguarding/resources.toml (docs/safeguarding.md)")
                if placeholders else
                Check("safeguarding contacts", OK, f"{len(resources)} contacts, none a placeholder"))
    lead = (Check("safeguarding lead", OK, "SAFEGUARDING_LEAD_TELEGRAM_ID is set")
            if settings.safeguarding_lead_telegram_id is not None
            else Check("safeguarding lead", WARN if settings.admin_telegram_ids else FAIL,
                       "SAFEGUARDING_LEAD_TELEGRAM_ID is not set: unacknowledged alerts go to "
                       + ("the admins" if settings.admin_telegram_ids else "no one")))
    return [contacts, lead]


async def check_telegram(settings: Settings, *, webhook: bool) -> list[Check]:
    if settings.telegram_bot_token is None:
        return [Check("token", FAIL, "TELEGRAM_BOT_TOKEN is not set")]
    bot = Bot(settings.telegram_bot_token.get_secret_value(), base_url=settings.telegram_api_base_url)
    try:
        async with asyncio.timeout(15):
            me = await bot.get_me()
            info = await bot.get_webhook_info()
    except InvalidToken:
        return [Check("token", FAIL, "Telegram rejected the token (401): get a new one from @BotFather")]
    except (TelegramError, TimeoutError, OSError) as exc:
        return [Check("token", FAIL, f"cannot reach Telegram at {settings.telegram_api_base_url} "
                                     f"({type(exc).__name__})")]
    checks = [Check("token", OK, f"@{me.username} (id {me.id})")]
    if webhook:
        if not settings.webhook_url:
            checks.append(Check("webhook", FAIL, "--webhook given but WEBHOOK_URL is not set"))
        elif info.url != settings.webhook_url:
            checks.append(Check("webhook", FAIL, f"Telegram has {info.url or 'no webhook'}, WEBHOOK_URL is "
                                                 f"{settings.webhook_url}: start the bot with --webhook to register"))
        elif info.last_error_message:
            checks.append(Check("webhook", WARN, f"registered, but Telegram's last delivery failed: "
                                                 f"{info.last_error_message}"))
        else:
            checks.append(Check("webhook", OK, f"registered at {info.url}, {info.pending_update_count} pending"))
    elif info.url:
        checks.append(Check("webhook", WARN, f"a webhook is registered ({info.url}) but the bot polls: "
                                             "`balint run` removes it when it starts"))
    else:
        checks.append(Check("webhook", OK, "none registered (long polling)"))
    return checks


def run_checks(settings: Settings, *, webhook: bool) -> list[Check]:
    """Run every check; never raises."""
    checks = asyncio.run(check_telegram(settings, webhook=webhook))
    checks.append(check_prompts(settings))
    checks.append(check_database(settings))
    checks.extend(check_keys(settings))
    checks.extend(check_safeguarding(settings))
    return checks
