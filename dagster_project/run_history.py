"""The history of refreshes: when each started and ended, how, and what it did.

Kept in a small SQLite file beside the warehouse (``var/<tenant>/run_history.sqlite``), not in
the warehouse itself: the warehouse is only replaced whole (see ``warehouse.py``), while a run's
start and end must be written at moments when no copy of it is open, and read by ``pccw status``
while a refresh is writing. SQLite lets readers and that one writer share the file.

A run that dies (killed, machine lost) cannot record its end. The next run, holding the lock,
marks it ``killed``; until then ``pccw status`` sees that its lock is free and says the same.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from pathlib import Path
from typing import Iterator

from dagster_project import warehouse
from dagster_project.settings import TenantPaths

COLUMNS = ("load_id", "tenant", "started_at", "finished_at", "status", "files_landed", "files_skipped",
           "files_quarantined", "returns_rejected", "checks_passed", "checks_failed", "packs_rendered",
           "packs_current", "message")
KILLED = "killed"


def history_path(paths: TenantPaths) -> Path:
    return paths.root / "run_history.sqlite"


@contextlib.contextmanager
def _connect(paths: TenantPaths) -> Iterator[sqlite3.Connection]:
    paths.root.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(history_path(paths), timeout=30, isolation_level=None)
    try:
        con.execute("pragma journal_mode = wal")
        con.execute("""create table if not exists run_history (
            load_id text primary key, tenant text, started_at text, finished_at text, status text,
            files_landed integer, files_skipped integer, files_quarantined integer, returns_rejected integer,
            checks_passed integer, checks_failed integer, packs_rendered integer, packs_current integer,
            message text)""")
        yield con
    finally:
        con.close()


def record_start(paths: TenantPaths, load_id: str) -> dt.datetime:
    """A run has started (it holds the lock); when, in UTC."""
    started = _now()
    with _connect(paths) as con:
        con.execute("insert or replace into run_history (load_id, tenant, started_at, status) "
                    "values (?, ?, ?, 'running')", [load_id, paths.tenant, started])
    return dt.datetime.fromisoformat(started)


def record_end(paths: TenantPaths, load_id: str, status: str, counts: dict, message: str = "") -> None:
    """A run has ended, ``succeeded`` or ``failed``, with what it did (keys of ``COLUMNS``)."""
    with _connect(paths) as con:
        names = [c for c in COLUMNS if c in counts]
        con.execute(f"""update run_history set finished_at = ?, status = ?, message = ?
                        {''.join(f', {c} = ?' for c in names)} where load_id = ?""",
                    [_now(), status, message, *[counts[c] for c in names], load_id])


def close_dead_runs(paths: TenantPaths, note: dict | None = None) -> int:
    """Mark runs still 'running' as killed; call only while holding the tenant's run lock."""
    if not history_path(paths).exists():
        return 0
    phase = f" during {note['phase']}" if note and note.get("phase") else ""
    with _connect(paths) as con:
        rows = con.execute("select load_id from run_history where status = 'running'").fetchall()
        for (load_id,) in rows:
            said = phase if note and note.get("load_id") == load_id else ""
            con.execute("update run_history set status = ?, message = ? where load_id = ?",
                        [KILLED, f"ended without finishing{said} (killed or crashed): nothing it had not "
                                 "yet published was kept; its files are still in the inbox and land again "
                                 "(files it refused are in quarantine with their reason beside them, though "
                                 "not listed in the warehouse)", load_id])
    return len(rows)


def run_counts(tenant: str, load_id: str, since) -> dict:
    """What the run did, read from the warehouse (``warehouse.open_reader``): files landed, skipped and
    quarantined, returns rejected, and the dbt checks it ran."""
    if not warehouse.current(tenant).exists():
        return {}
    con = warehouse.open_reader(tenant)
    try:
        landed, total = con.execute("""select count(*) filter (where load_id = ?), count(*)
                                       from meta.landed_files""", [load_id]).fetchone()
        bad, rejected = con.execute("""select count(*) filter (where kind = 'bad_file'),
                                              count(*) filter (where kind = 'rejected_return')
                                       from meta.quarantined_files where load_id = ?""", [load_id]).fetchone()
        has_results = con.execute("""select 1 from information_schema.tables
                                     where table_schema = 'meta' and table_name = 'dbt_results'""").fetchone()
        passed, failed = con.execute("""select count(*) filter (where status in ('pass', 'success')),
                                               count(*) filter (where status in ('fail', 'error'))
                                        from meta.dbt_results where recorded_at >= ?""", [since]).fetchone() \
            if has_results else (0, 0)
    finally:
        con.close()
    return {"files_landed": landed, "files_skipped": total - landed, "files_quarantined": bad,
            "returns_rejected": rejected, "checks_passed": passed, "checks_failed": failed}


def runs(paths: TenantPaths, limit: int = 20) -> list[dict]:
    """The latest runs, newest first."""
    if not history_path(paths).exists():
        return []
    with _connect(paths) as con:
        cursor = con.execute(f"select {', '.join(COLUMNS)} from run_history order by started_at desc, rowid desc "
                             "limit ?", [limit])
        return [_typed(dict(zip(COLUMNS, row))) for row in cursor.fetchall()]


def last_run(paths: TenantPaths) -> dict | None:
    found = runs(paths, 1)
    return found[0] if found else None


def _typed(row: dict) -> dict:
    for key in ("started_at", "finished_at"):
        if row[key]:
            row[key] = dt.datetime.fromisoformat(row[key])
    return row


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
