"""``balint keys generate|rotate|status``: encryption at rest of reflection text. Wiring only.

``bot.cli.main`` calls ``register(app)``.
"""

from __future__ import annotations

import typer

from bot.cli.common import database, emit_json, fail, friendly, settings

keys_app = typer.Typer(help="Encryption at rest: make a key, rotate to a new one, see what is encrypted.",
                       no_args_is_help=True)

ROTATE_HOW = """To rotate:
  1. put the new key FIRST in DATA_ENCRYPTION_KEY, the old one after it:  DATA_ENCRYPTION_KEY=NEW,OLD
  2. restart the bot (it now writes with NEW and still reads OLD)
  3. run:  balint keys rotate
  4. remove OLD from DATA_ENCRYPTION_KEY and restart."""


@keys_app.command("generate")
def generate() -> None:
    """Print a new key for DATA_ENCRYPTION_KEY (nothing is stored)."""
    from bot.core.privacy.crypto import generate_key

    typer.echo(generate_key())
    typer.echo("\nKeep it in your secret store; losing every key means losing every reflection.\n" + ROTATE_HOW,
               err=True)


@keys_app.command("rotate")
@friendly
def rotate(
    batch: int = typer.Option(500, min=1, help="Rows per transaction."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Re-encrypt every reflection under the newest key; encrypt rows stored before a key was set."""
    from bot.core.privacy.at_rest import RotationStats, rotate_batch, rotate_loose
    from bot.core.privacy.crypto import KeyProblem
    from bot.runtime import make_env

    s = settings()
    env = make_env(s)
    if not env.cipher.enabled:
        fail("DATA_ENCRYPTION_KEY is not set: there is no key to rotate to. `balint keys generate` makes one.")
    total = RotationStats()
    with database(s) as db:
        try:
            last = 0
            while True:
                step = db.call(rotate_batch, env.cipher, after_id=last, limit=batch)
                total.add(step)
                last = step.last_id
                if step.done:
                    break
            total.add(db.call(rotate_loose, env.cipher))
        except KeyProblem as exc:
            done = (f"Replies up to id {last} were re-encrypted; the rest are unchanged." if last else
                    "Nothing was changed.")
            fail(f"Error: {exc}. {done} Put the missing key back in DATA_ENCRYPTION_KEY, after the new one, and run "
                 "this again.")
    result = {"reencrypted": total.reencrypted, "encrypted_from_plain": total.encrypted}
    if as_json:
        emit_json(result)
        return
    typer.echo(f"Re-encrypted {total.reencrypted} under the newest key; encrypted {total.encrypted} that were "
               "stored in plain text. Every stored reflection is now readable with the first key alone: older "
               "keys can be removed from DATA_ENCRYPTION_KEY.")


@keys_app.command("status")
@friendly
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Count reflection replies stored encrypted and in plain text."""
    from bot.core.privacy.at_rest import encryption_census
    from bot.runtime import make_env

    s = settings()
    with database(s) as db:
        counts = db.call(encryption_census)
    counts["keys_configured"] = len([k for k in (s.data_encryption_key.get_secret_value().split(",")
                                                 if s.data_encryption_key else []) if k.strip()])
    if as_json:
        emit_json(counts)
        return
    typer.echo(f"{counts['encrypted']} replies encrypted, {counts['plain']} in plain text; "
               f"{counts['keys_configured']} key(s) configured." + (
                   " Run `balint keys rotate` to encrypt the plain ones." if counts["plain"] and
                   make_env(s).cipher.enabled else ""))


def register(app: typer.Typer) -> None:
    """Mount ``balint keys``."""
    app.add_typer(keys_app, name="keys")
