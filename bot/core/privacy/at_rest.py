"""Encryption at rest beyond the reflection table, and key rotation over every encrypted row.

``ReflectionEntry.text`` carries its own ``encrypted`` flag. A loose text field without one (the message a
student typed with no reflection open, kept in ``Enrolment.pending_text`` until they choose) is *sealed*: the
Fernet token with the cipher's prefix, which plain text never starts with in practice (a token begins
``gAAAAA``).

``rotate_batch`` re-encrypts rows under the newest key (the first of DATA_ENCRYPTION_KEY) and encrypts rows
that were stored in plain text before a key was set. ``balint keys rotate`` calls it batch by batch, each in
its own transaction, so memory stays flat and an interrupted run can simply be started again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, func, select

from bot.core.privacy.crypto import PREFIX, KeyProblem, TextCipher
from storage.models import Enrolment, ReflectionEntry

TOKEN_START = PREFIX + "gAAAAA"


def seal(cipher: TextCipher, text: str) -> str:
    """Return the text to store in a field without an ``encrypted`` flag."""
    return cipher.encrypt(text)[0]


def is_sealed(stored: str) -> bool:
    """Say whether a stored loose text is an encrypted token."""
    return stored.startswith(TOKEN_START)


def unseal(cipher: TextCipher, stored: str | None) -> str | None:
    """Return the plain text of a sealed (or plain) loose field."""
    if stored is None:
        return None
    return cipher.decrypt(stored, is_sealed(stored))


@dataclass
class RotationStats:
    reencrypted: int = 0  # rows already encrypted, now under the newest key
    encrypted: int = 0  # rows that were plain text
    last_id: int = 0
    done: bool = False
    problems: list[str] = field(default_factory=list)

    def add(self, other: RotationStats) -> None:
        self.reencrypted += other.reencrypted
        self.encrypted += other.encrypted
        self.problems += other.problems


def rotate_batch(session: Session, cipher: TextCipher, *, after_id: int = 0, limit: int = 500) -> RotationStats:
    """Re-encrypt (or encrypt) the next ``limit`` reflection entries after ``after_id`` under the newest key."""
    if not cipher.enabled:
        raise KeyProblem("DATA_ENCRYPTION_KEY is not set: there is no key to rotate to (balint keys generate)")
    stats = RotationStats(last_id=after_id)
    rows = session.exec(
        select(ReflectionEntry).where(col(ReflectionEntry.id) > after_id).order_by(col(ReflectionEntry.id))
        .limit(limit)
    ).all()
    for entry in rows:
        assert entry.id is not None
        stats.last_id = entry.id
        if entry.encrypted:
            cipher.decrypt(entry.text, True)  # a clear KeyProblem if no configured key opens it
            entry.text = cipher.rotate(entry.text)
            stats.reencrypted += 1
        else:
            entry.text, entry.encrypted = cipher.encrypt(entry.text)
            stats.encrypted += 1
        session.add(entry)
    stats.done = len(rows) < limit
    return stats


def rotate_loose(session: Session, cipher: TextCipher) -> RotationStats:
    """Re-encrypt (or encrypt) the loose text fields: kept messages waiting in ``Enrolment.pending_text``."""
    if not cipher.enabled:
        raise KeyProblem("DATA_ENCRYPTION_KEY is not set: there is no key to rotate to (balint keys generate)")
    stats = RotationStats(done=True)
    for enrolment in session.exec(select(Enrolment).where(col(Enrolment.pending_text).is_not(None))).all():
        stored = enrolment.pending_text
        assert stored is not None
        if is_sealed(stored):
            cipher.decrypt(stored, True)
            enrolment.pending_text = cipher.rotate(stored)
            stats.reencrypted += 1
        else:
            enrolment.pending_text = seal(cipher, stored)
            stats.encrypted += 1
        session.add(enrolment)
    return stats


def encryption_census(session: Session) -> dict[str, int]:
    """Count reflection entries stored encrypted and in plain text."""
    counts = dict(session.exec(
        select(ReflectionEntry.encrypted, func.count()).group_by(col(ReflectionEntry.encrypted))).all())
    return {"encrypted": int(counts.get(True, 0)), "plain": int(counts.get(False, 0))}
