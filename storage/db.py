"""Engine, sessions, and a runner that keeps blocking database work off the event loop."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session, create_engine

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


CONNECT_TIMEOUT = 5  # seconds for one PostgreSQL connection attempt (unless the URL sets connect_timeout)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine; on SQLite make the folder, use WAL, enforce foreign keys, wait on locks.

    ``hide_parameters``: a failed statement's error never carries its bound values (reflection text, names)
    into logs or error reports.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, hide_parameters=True,
                               connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    # A server that doesn't answer (host gone, packets dropped) fails the attempt after CONNECT_TIMEOUT seconds
    # instead of the OS's minutes, so ``call`` retries and callers with a deadline are not held past it.
    connect_args = {} if "connect_timeout" in parsed.query else {"connect_timeout": CONNECT_TIMEOUT}
    return create_engine(url, echo=echo, hide_parameters=True, pool_size=5, max_overflow=5,
                         connect_args=connect_args)


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


GROUP_MAX = 64  # units sharing one transaction, at most


@dataclass
class _Unit:
    """A unit of work waiting for a group transaction, and where to hand its outcome."""

    fn: Callable[[Session], Any]
    done: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop

    def settle(self, *, result: Any = None, exc: BaseException | None = None) -> None:
        def hand_over() -> None:
            if self.done.cancelled():
                return
            if exc is not None:
                self.done.set_exception(exc)
            else:
                self.done.set_result(result)

        self.loop.call_soon_threadsafe(hand_over)


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
        self._group: list[_Unit] = []
        self._group_lock = threading.Lock()

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
        return self._call(self.retry_for, fn, *args, **kwargs)

    def _call(self, retry_for: float, fn: Callable[Concatenate[Session, P], T], *args: P.args,
              **kwargs: P.kwargs) -> T:
        delay = 0.2
        deadline = time.monotonic() + retry_for
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

    async def run_once(self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn(session, ...)`` off the event loop in one attempt: a lost connection raises at once.

        For best-effort work whose caller has its own fallback (the update inbox): it must neither wait out
        the retry window nor keep a worker busy retrying after its caller has given up.
        """
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: self._call(0.0, fn, *args, **kwargs))

    async def run_grouped(self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a small unit of work like ``run``, sharing one transaction with other units waiting at the time.

        Under a burst of messages, one BEGIN/COMMIT (and on PostgreSQL one flush of the log to disk) then serves
        many replies instead of one each. The result comes back only once the shared transaction has committed.
        If any unit of a group fails, the group is rolled back and each unit runs again in a transaction of its
        own, so only the failing one fails. Units must not commit, roll back, or catch database errors themselves.
        """
        loop = asyncio.get_running_loop()
        done: asyncio.Future[T] = loop.create_future()
        with self._group_lock:
            self._group.append(_Unit(lambda session: fn(session, *args, **kwargs), done, loop))
        self._pool.submit(self._run_group)  # one per unit: whichever runs first takes everything waiting
        return await done

    def _run_group(self) -> None:
        with self._group_lock:
            units, self._group = self._group[:GROUP_MAX], self._group[GROUP_MAX:]
        if not units:
            return
        try:
            results = self.call(lambda session: [unit.fn(session) for unit in units])
        except Exception as exc:
            if len(units) == 1:
                units[0].settle(exc=exc)
                return
            for unit in units:  # alone this time, so the failure stays with the unit that caused it
                try:
                    unit.settle(result=self.call(unit.fn))
                except Exception as alone:
                    unit.settle(exc=alone)
            return
        for unit, result in zip(units, results, strict=True):
            unit.settle(result=result)

    def close(self) -> None:
        """Release the pool and the engine's connections."""
        self._pool.shutdown(wait=True)
        self.engine.dispose()
