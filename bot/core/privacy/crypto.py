"""Reflection text at rest: Fernet (AES-128-CBC + HMAC) when DATA_ENCRYPTION_KEY is set.

The key setting may hold several comma-separated keys, newest first: the first encrypts, all decrypt, which
is how ``balint keys rotate`` re-encrypts rows under a new key without a moment where old rows are unreadable.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

PREFIX = "fernet:"


class KeyProblem(Exception):
    """A key is malformed or cannot decrypt stored text."""


class TextCipher:
    """Encrypt and decrypt reflection text; a disabled cipher passes text through unchanged."""

    def __init__(self, keys: list[str]) -> None:
        self._keys = keys
        try:
            self._fernet = MultiFernet([Fernet(k.encode()) for k in keys]) if keys else None
        except (ValueError, TypeError):
            raise KeyProblem("DATA_ENCRYPTION_KEY: each key must be a Fernet key (balint keys generate)") from None

    @classmethod
    def disabled(cls) -> TextCipher:
        return cls([])

    @classmethod
    def from_setting(cls, value: str | None) -> TextCipher:
        """Build from the DATA_ENCRYPTION_KEY value (comma-separated, newest first)."""
        keys = [k.strip() for k in (value or "").split(",") if k.strip()]
        return cls(keys)

    @property
    def enabled(self) -> bool:
        return self._fernet is not None

    def encrypt(self, text: str) -> tuple[str, bool]:
        """Return (stored text, encrypted?)."""
        if self._fernet is None:
            return text, False
        return PREFIX + self._fernet.encrypt(text.encode()).decode(), True

    def decrypt(self, stored: str, encrypted: bool) -> str:
        """Return the plain text of a stored value."""
        if not encrypted:
            return stored
        if self._fernet is None:
            raise KeyProblem("stored text is encrypted but DATA_ENCRYPTION_KEY is not set")
        try:
            return self._fernet.decrypt(stored.removeprefix(PREFIX).encode()).decode()
        except InvalidToken:
            raise KeyProblem("no configured key decrypts this text (was a key removed too early?)") from None

    def rotate(self, stored: str) -> str:
        """Re-encrypt a stored value under the newest key."""
        if self._fernet is None:
            raise KeyProblem("key rotation needs DATA_ENCRYPTION_KEY")
        return PREFIX + self._fernet.rotate(stored.removeprefix(PREFIX).encode()).decode()


def generate_key() -> str:
    """Return a new Fernet key."""
    return Fernet.generate_key().decode()
