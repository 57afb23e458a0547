"""Dagster's own event log for `make run` and `make ui`: SQLite files, as Dagster's default, kept open.

Dagster's ``SqliteEventLogStorage`` makes a new SQLAlchemy engine, opens the file, commits and throws
the engine away for every event it stores, and a refresh stores several hundred (each asset's
planned and done events, each dbt test's result, mirrored into the index file). That was about
8 s of every `pccw run` on this machine (BENCHMARKS.md). This storage writes the same files in the
same layout (``$DAGSTER_HOME/history/runs/<run id>.db`` and ``index.db``), so the UI and the daemon
read them as before, but keeps one engine, and so one pooled connection, per file for the life of
the process. SQLite still serialises writers across processes; an idle pooled connection holds no
lock.

``dagster_home/dagster.yaml`` names it as the instance's ``event_log_storage``; a shared deployment
names Dagster's Postgres storage there instead.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy.engine import Connection, Engine


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` with one engine per shard file, made on first use and kept."""

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: dict[str, Engine] = {}
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> PooledSqliteEventLogStorage:
        """``base_dir`` relative to ``$DAGSTER_HOME`` (so dagster.yaml needs no absolute path)."""
        base_dir = os.path.join(os.environ.get("DAGSTER_HOME", "."), config_value["base_dir"])
        return cls(base_dir=base_dir, inst_data=inst_data)

    @contextlib.contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engines.get(shard)
            if engine is None:
                engine = create_engine(self.conn_string_for_shard(shard),
                                       connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False})
                if shard not in self._initialized_dbs:
                    self._initdb(engine)
                    self._initialized_dbs.add(shard)
                self._engines[shard] = engine
            with engine.connect() as conn, conn.begin():
                yield conn

    def dispose(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()
        super().dispose()
