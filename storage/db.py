"""Engines, sessions and the one-transaction-per-unit-of-work helper.

SQLite runs in WAL mode with a busy timeout and `BEGIN IMMEDIATE`, so concurrent writers queue instead of
failing; PostgreSQL uses psycopg 3 with a bounded pool, statement timeouts and a check at checkout that a pooled
connection is still alive, made without a round trip.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import threading
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import orm

from storage import driver
from storage.audit import SESSION_KEY


def normalise_url(url: str) -> str:
    """Accept the usual `postgres://` / `postgresql://` spellings and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, *, pool_size: int = 5, echo: bool = False) -> sa.Engine:
    """An engine that never puts bound parameters (complaint text, names, numbers) into an error or a log line."""
    url = normalise_url(url)
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            _create_private(database)
        # The driver's own transaction handling is switched off so that BEGIN IMMEDIATE below is ours.
        engine = sa.create_engine(
            url,
            echo=echo,
            hide_parameters=True,
            connect_args={"timeout": 30, "check_same_thread": False, "isolation_level": None},
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # type: ignore[no-untyped-def]
            # Take the write lock up front: a deferred transaction that reads and then writes can fail with
            # SQLITE_BUSY without waiting, which would turn concurrent retries into errors. Straight to the driver:
            # every transaction runs this.
            driver.run(conn, "BEGIN IMMEDIATE")

        return engine
    engine = sa.create_engine(
        url,
        echo=echo,
        hide_parameters=True,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=10,
        pool_recycle=1800,
        connect_args={"connect_timeout": 5, "options": "-c statement_timeout=15000 -c lock_timeout=10000"},
    )
    # Instead of pool_pre_ping's SELECT 1, a round trip on every checkout (one in seven of a webhook turn's):
    # a server that restarts or ends a backend first sends the idle connection its FATAL notice and closes the
    # socket, so a pooled connection with anything to read is dead. SQLAlchemy then discards it and opens a fresh
    # one in its place (DisconnectionError from a checkout listener: "pessimistic disconnect handling, custom").
    event.listen(engine, "checkout", _discard_if_closed_by_server)
    return engine


def _discard_if_closed_by_server(dbapi_conn, _record, _proxy) -> None:  # type: ignore[no-untyped-def]
    if server_hung_up(dbapi_conn):
        raise sa.exc.DisconnectionError("the server closed this pooled connection")


def server_hung_up(dbapi_conn: object) -> bool:
    """Whether an idle psycopg connection is known dead without a round trip: psycopg saw it break, or the server
    wrote to it while it was idle (its notice before closing, or the close itself)."""
    if getattr(dbapi_conn, "closed", False) or getattr(dbapi_conn, "broken", False):
        return True
    try:
        fd = dbapi_conn.fileno()  # type: ignore[attr-defined]
    except Exception:  # psycopg raises OperationalError for a closed connection
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


def _create_private(path: str) -> None:
    """Create the database file readable and writable by its owner only (complaints, contacts, openids), before
    SQLite would create it under the process umask. SQLite gives its -wal and -shm files the same mode."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # an existing file keeps the mode its operator chose
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


class _WriterLock:
    """A thread lock plus, for a file database, an exclusive flock held for the whole write transaction.

    The lock file is opened lazily per process: a descriptor inherited across gunicorn's fork would share one
    open file description, and an flock on it would then not exclude the sibling worker at all.
    """

    def __init__(self, path: str | None) -> None:
        self._path = path
        self._thread_lock = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int | None:
        if self._path is None:
            return None
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    def __enter__(self) -> None:
        self._thread_lock.acquire()
        try:
            fd = self._file()
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            self._thread_lock.release()
            raise

    def __exit__(self, *exc: object) -> None:
        try:
            if self._fd is not None and self._pid == os.getpid():
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()


class Database:
    """One engine and its session factory; sessions never outlive a unit of work."""

    def __init__(self, url: str, *, pool_size: int = 5, audit_key: bytes | None = None) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, pool_size=pool_size)
        # Every session carries the audit key (storage.audit): new case events are HMAC-keyed with it.
        self.sessionmaker = orm.sessionmaker(self.engine, expire_on_commit=False, info={SESSION_KEY: audit_key})
        self._audit_key = audit_key
        self._rehearsing = False
        # SQLite allows one writer. Its busy handler backs off in sleeps of up to 100 ms and turns contention into
        # tail latency, so writers queue on locks that wake the next one at once: this process's threads on a
        # threading lock, processes (gunicorn workers, the scheduler) on an flock of a file beside the database.
        self._write_lock: _WriterLock | None = None
        if self.dialect == "sqlite":
            database = sa.make_url(self.url).database or ""
            lock_path = database + ".writelock" if database and database != ":memory:" else None
            self._write_lock = _WriterLock(lock_path)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def writers_queue(self) -> bool:
        """Whether write transactions run one at a time (SQLite): work a caller can do before `transaction()`
        is then work no other writer waits for."""
        return self._write_lock is not None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[orm.Session]:
        """Commit on success, roll back on any exception, always close."""
        lock = self._write_lock if self._write_lock is not None and not self._rehearsing else contextlib.nullcontext()
        with lock, self.sessionmaker() as session, session.begin():
            yield session

    @contextlib.contextmanager
    def rehearsal(self) -> Iterator[None]:
        """Run units of work for real and then undo them all: every `transaction()` opened inside joins one outer
        transaction as a savepoint (its "commit" releases the savepoint), and the outer one is rolled back at the
        end, whatever happened. For `jobs run --dry-run` in a process of its own (the session factory is swapped
        for the duration, for every thread). Holds the write lock throughout on SQLite; on PostgreSQL the row locks
        it takes are held until the end. Id sequences PostgreSQL advanced are not rolled back (it never does);
        no row is changed."""
        if self._rehearsing:
            raise RuntimeError("a rehearsal is already running")
        lock = self._write_lock or contextlib.nullcontext()
        saved = self.sessionmaker
        with lock, self.engine.connect() as conn:
            outer = conn.begin()
            self.sessionmaker = orm.sessionmaker(bind=conn, expire_on_commit=False, info={SESSION_KEY: self._audit_key},
                                                 join_transaction_mode="create_savepoint")  # fmt: skip
            self._rehearsing = True
            try:
                yield
            finally:
                self.sessionmaker, self._rehearsing = saved, False
                outer.rollback()

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            return True
        except sa.exc.SQLAlchemyError:
            return False

    def dispose(self) -> None:
        self.engine.dispose()
