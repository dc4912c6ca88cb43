"""Settings from the environment or a ``.env`` file; a bad value stops start-up with one clear line."""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Annotated, Literal

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./data/balint.db"
# Telegram's own rule for a webhook secret; 16 characters at least so it can't be guessed.
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{16,256}")
WEBHOOK_SECRET_RULE = ("must be 16–256 characters of A–Z, a–z, 0–9, _ and - (make one with: "
                       "python -c \"import secrets; print(secrets.token_urlsafe(32))\")")


class ConfigError(Exception):
    """A setting is missing or wrong; the message names the variable."""


class Settings(BaseSettings):
    """Everything the bot reads from its environment."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: Literal["development", "production", "test"] = "development"
    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    database_url: str = DEFAULT_DATABASE_URL
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    admin_telegram_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    admin_chat_id: int | None = None
    data_encryption_key: SecretStr | None = None
    pseudonym_key: SecretStr | None = None
    delivery_grace_hours: float = Field(default=12.0, ge=0)
    reminder_hours: int = Field(default=48, ge=1)
    safeguarding_escalate_minutes: int = Field(default=120, ge=1)
    safeguarding_lead_telegram_id: int | None = None
    safeguarding_institution: str | None = None
    retention_days: int = Field(default=365 * 5, ge=1)
    flood_messages_per_minute: int = Field(default=30, ge=1)
    worker_id: str | None = None  # names this process's delivery claims; default: the host name
    webhook_url: str | None = None
    web_url: str | None = None  # the workbench's public address (…/web), for sign-in links
    webhook_port: int = 8443
    webhook_secret_token: SecretStr | None = None

    @field_validator("telegram_api_base_url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return v

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, v: str) -> str:
        if not v.startswith(("sqlite://", "postgresql://", "postgresql+psycopg://")):
            raise ValueError("must be a sqlite:/// or postgresql+psycopg:// URL")
        if v.startswith("postgresql://"):
            v = "postgresql+psycopg://" + v.removeprefix("postgresql://")
        return v

    @field_validator("data_encryption_key")
    @classmethod
    def _fernet_keys(cls, v: SecretStr | None) -> SecretStr | None:
        if v is None or not v.get_secret_value().strip():
            return None
        for key in (k.strip() for k in v.get_secret_value().split(",")):
            try:
                Fernet(key.encode())
            except (ValueError, TypeError):
                raise ValueError("each comma-separated key must be a Fernet key (make one with: balint keys "
                                 "generate)") from None
        return v

    @field_validator("pseudonym_key")
    @classmethod
    def _blank_is_unset(cls, v: SecretStr | None) -> SecretStr | None:
        # PSEUDONYM_KEY= in a .env file means "not set", so production refuses it instead of hashing with "".
        if v is None or not v.get_secret_value().strip():
            return None
        return v

    @field_validator("webhook_secret_token")
    @classmethod
    def _strong_secret(cls, v: SecretStr | None) -> SecretStr | None:
        # An empty secret would let anyone POST forged updates; Telegram itself allows only these characters.
        if v is not None and not _WEBHOOK_SECRET.fullmatch(v.get_secret_value()):
            raise ValueError(WEBHOOK_SECRET_RULE)
        return v

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, v: SecretStr | None) -> SecretStr | None:
        if v is None or not v.get_secret_value().strip():
            return None
        head, _, tail = v.get_secret_value().partition(":")
        if not head.isdigit() or not tail or any(c.isspace() for c in tail):
            raise ValueError("does not look like a bot token from @BotFather (digits:letters)")
        return v

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _id_list(cls, v: object) -> object:
        if isinstance(v, str):
            return [int(x) for x in v.replace(";", ",").split(",") if x.strip()]
        return v

    @model_validator(mode="after")
    def _production_needs_secrets(self) -> Settings:
        if self.webhook_url and self.webhook_secret_token is None:
            raise ValueError("WEBHOOK_SECRET_TOKEN is required when WEBHOOK_URL is set: " + WEBHOOK_SECRET_RULE)
        if self.environment == "production":
            if self.data_encryption_key is None:
                raise ValueError("DATA_ENCRYPTION_KEY is required when ENVIRONMENT=production")
            if self.pseudonym_key is None:
                raise ValueError("PSEUDONYM_KEY is required when ENVIRONMENT=production")
        return self

    @property
    def log_level_number(self) -> int:
        """Return the numeric logging level."""
        return int(logging.getLevelName(self.log_level))


def _describe(err: ValidationError) -> str:
    first = err.errors()[0]
    loc = [str(part) for part in first.get("loc", ())]
    name = loc[0].upper() if loc else "configuration"
    msg = first.get("msg", "is not valid").removeprefix("Value error, ")
    if msg.startswith(("DATA_ENCRYPTION_KEY", "PSEUDONYM_KEY", "WEBHOOK_SECRET_TOKEN")):
        return f"Configuration error: {msg}"
    return f"Configuration error: {name}: {msg}"


def load_settings() -> Settings:
    """Read and validate settings, or raise ConfigError with one line naming the variable."""
    try:
        return Settings()
    except ValidationError as err:
        raise ConfigError(_describe(err)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process's settings (read once)."""
    return load_settings()
