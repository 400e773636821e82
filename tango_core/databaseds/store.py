"""The sqlite file behind the database server: opening it, its pragmas, one lock, transactions.

One connection serves every command, behind one lock: sqlite answers these small indexed
queries in microseconds, so serialising them costs less than a pool would, and it makes each
command see a consistent database.  Write commands run in ``BEGIN IMMEDIATE ... COMMIT``, so a
command either happens completely or not at all.  The journal is WAL with ``synchronous=NORMAL``:
a committed transaction survives the server being killed at any moment (it is in the WAL before
the reply leaves); only a power cut may lose the last few, never corrupt the file.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator

from . import schema

MEMORY = ":memory:"


class StoreError(RuntimeError):
    """The file cannot be used as a Tango database (another format, not sqlite, unwritable)."""


def now() -> str:
    """Local time as the database stores dates: ``YYYY-MM-DD HH:MM:SS`` (MySQL's NOW())."""
    return datetime.now().strftime("%Y-%m-%d %H:%M:%S")


class Store:
    """An open database file (or ``":memory:"``).  ``created`` says whether it was new."""

    def __init__(self, path: str | Path = MEMORY) -> None:
        self.path = str(path)
        self.lock = threading.RLock()
        if self.path == MEMORY:
            # a named in-memory database, so that DbMySqlSelect's second connection sees it too
            self.uri = f"file:tango-core-db-{uuid.uuid4().hex}?mode=memory&cache=shared"
        else:
            self.uri = Path(self.path).resolve().as_uri()
        try:
            self.conn = sqlite3.connect(self.uri, uri=True, isolation_level=None, check_same_thread=False,
                                        timeout=10.0)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open {self.path}: {exc}") from exc
        try:
            self._configure()
            self.created = self._create_if_empty()
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise StoreError(f"{self.path} is not a usable database file: {exc}") from exc

    def _configure(self) -> None:
        c = self.conn
        if self.path != MEMORY:
            mode = c.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"{self.path}: cannot use a WAL journal (got {mode})")
        c.execute("PRAGMA synchronous=NORMAL")
        c.execute("PRAGMA foreign_keys=OFF")
        c.execute("PRAGMA temp_store=MEMORY")
        c.execute("PRAGMA cache_size=-16000")  # 16 MB: a 10,000-device database stays in memory

    def _create_if_empty(self) -> bool:
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            tables = {row[0] for row in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not tables:
                schema.create(c)
                c.execute("COMMIT")
                return True
            if "schema_info" not in tables:
                raise StoreError(f"{self.path} is an sqlite file but not a tango_core database "
                                 f"(tables: {', '.join(sorted(tables))})")
            row = c.execute("SELECT value FROM schema_info WHERE key = 'format'").fetchone()
            if row is None or row[0] != schema.FORMAT:
                raise StoreError(f"{self.path} has format {row[0] if row else '?'!r}, "
                                 f"this server reads {schema.FORMAT!r}")
            c.execute("COMMIT")
            return False
        except BaseException:
            c.execute("ROLLBACK")
            raise

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The connection, locked, inside one write transaction (rolled back on any exception)."""
        with self.lock:
            c = self.conn
            c.execute("BEGIN IMMEDIATE")
            try:
                yield c
            except BaseException:
                c.execute("ROLLBACK")
                raise
            c.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """The connection, locked, for reads (each statement sees committed data)."""
        with self.lock:
            yield self.conn

    @property
    def read_only_uri(self) -> str:
        """A URI for a second, read-only connection to the same database."""
        return self.uri if self.path == MEMORY else self.uri + "?mode=ro"

    def close(self) -> None:
        with self.lock:
            try:
                if self.path != MEMORY:
                    self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                pass
            self.conn.close()
