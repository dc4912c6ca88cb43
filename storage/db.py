"""Engine, sessions, and a runner that keeps blocking database work off the event loop."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session, create_engine

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine; on SQLite make the folder, use WAL, enforce foreign keys, wait on locks."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, echo=echo, pool_size=5, max_overflow=5)


def is_sqlite(engine: Engine) -> bool:
    """Say whether the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"


def _is_disconnect(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, OperationalError):
        text = str(exc).lower()
        return any(
            s in text
            for s in ("connection", "server closed", "terminating", "could not connect", "starting up",
                      "shutting down", "database is locked")
        )
    return False


class Database:
    """Owns the engine; runs a unit of work (a function taking a session) in a transaction.

    ``run`` executes in a small thread pool so the event loop keeps answering while the database works.
    SQLite gets one worker: it has one writer anyway, and a single thread avoids lock contention.
    A lost connection (PostgreSQL restarting) is retried with backoff for up to ``retry_for`` seconds, so
    incoming messages wait rather than fail.
    """

    def __init__(self, url: str, *, echo: bool = False, retry_for: float = 60.0) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo)
        self.retry_for = retry_for
        workers = 1 if is_sqlite(self.engine) else 4
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="db")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Open a session that commits on success and rolls back on error."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def call(self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn(session, ...)`` in one transaction, retrying while the database is unreachable."""
        delay = 0.2
        deadline = time.monotonic() + self.retry_for
        while True:
            try:
                with self.session() as session:
                    return fn(session, *args, **kwargs)
            except (OperationalError, DBAPIError) as exc:
                if not _is_disconnect(exc) or time.monotonic() > deadline:
                    raise
                log.warning("database unavailable, retrying in %.1fs", delay, extra={"event": "db_retry"})
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
                self.engine.dispose()

    async def run(self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn(session, ...)`` off the event loop, as ``call`` does."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: self.call(fn, *args, **kwargs))

    def close(self) -> None:
        """Release the pool and the engine's connections."""
        self._pool.shutdown(wait=True)
        self.engine.dispose()
