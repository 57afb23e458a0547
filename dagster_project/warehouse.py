"""One writer per tenant warehouse, and readers that never block it.

The published file, ``var/<tenant>/warehouse.duckdb``, is only ever *read* (status, trace,
packs, the UI, a BI tool) and only ever *replaced*, never written in place: every write goes
to a private copy made under the tenant's run lock, and the copy replaces the published file
in one atomic rename (:func:`publish_file`). So a reader holding the file open never blocks a
refresh (it keeps reading the file it opened), and never sees a half-written warehouse.

The run lock (``var/<tenant>/refresh.lock``, an advisory ``flock``) is held for a whole
refresh, landing through publish, by whichever process runs it: ``pccw run``, the schedule,
a sensor or the UI. A second writer waits for it, saying for whom it waits, and gives up
with :class:`~dagster_project.errors.Busy` after its time limit. The lock file holds the
holder's load id, process and phase, so ``pccw status`` can say what is running, and a
holder that died (its lock is free, its note still there) is recognised by the next run.

Within one process the lock is re-entrant: the CLI's run, the Dagster resource and each
landing step share one :class:`WriteSession`, whose working copy is made on first write and
published when the outermost holder lets go (or earlier, by the dbt step, so that what
landed is published before the build starts).

Every connection to a warehouse file is opened here, with the same settings (``SETTINGS``):
readers by :func:`open_reader` (a tenant's latest data) or :func:`open_reader_at` (a given
file), writers by :meth:`WriteSession.connect` (the run's copy) or :func:`open_writer_at` (a
copy dbt builds, an as-of rebuild). A writer connection has every ``meta`` table
(``meta.ensure_meta``).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import shutil
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import duckdb

from dagster_project.errors import Busy, NoWarehouse, PccwError
from dagster_project.load_ids import new_load_id
from dagster_project.meta import ensure_meta
from dagster_project.settings import BUILDING_COPY, TenantPaths

# Every connection's settings: no progress bar on a terminal or in a log.
SETTINGS = ("set enable_progress_bar = false",)

DEFAULT_WAIT_SECONDS = float(os.environ.get("PCCW_LOCK_WAIT", 1800))
_POLL_SECONDS = 0.5


class LostUpdate(PccwError):
    """The published file changed under a copy that was about to replace it."""


@dataclass
class WriteSession:
    """The run lock of one tenant held by this process, and the run's working copy."""

    tenant: str
    paths: TenantPaths
    load_id: str
    handle: object                       # the open lock file: closing it lets go of the lock
    depth: int = 1
    base: tuple[int, int] | None = None  # (inode, mtime) of the published file the copy was made from
    info: dict = field(default_factory=dict)
    previous: dict | None = None         # the note of a holder that died holding the lock, if one did

    @property
    def working(self) -> Path:
        return self.paths.root / "warehouse.working.duckdb"

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A read-write connection to the run's working copy (made from the published file on first use)."""
        if not self.working.exists():
            self.base = copy_published(self.paths.warehouse, self.working)
        return open_writer_at(self.working)

    def publish(self) -> None:
        """Make what the run wrote so far the published warehouse (nothing to do if it wrote nothing)."""
        if self.working.exists():
            publish_file(self.working, self.paths.warehouse, self.base)
            self.base = None

    def set_phase(self, phase: str) -> None:
        """Say what the run is doing, for ``pccw status`` and for tests that wait on a phase."""
        self.info["phase"] = phase
        self.info["phase_since"] = _now()
        _write_note(self.handle, self.info)


_SESSIONS: dict[str, WriteSession] = {}
_GUARD = threading.Lock()


def lock_path(paths: TenantPaths) -> Path:
    """The tenant's run lock file."""
    return paths.root / "refresh.lock"


@contextlib.contextmanager
def writing(tenant: str, load_id: str = "", wait: float | None = None, on_wait=None) -> Iterator[WriteSession]:
    """Hold the tenant's run lock and yield the run's :class:`WriteSession`.

    Re-entrant within a process. The outermost holder takes the lock (waiting up to ``wait``
    seconds, telling ``on_wait`` for whom), clears what a dead run left behind, and when it lets
    go publishes the working copy, whether the block ended normally or with an error: each
    file's rows were committed whole or not at all, so what landed is kept.
    """
    with _GUARD:
        session = _SESSIONS.get(tenant)
        if session is not None:
            session.depth += 1
    if session is not None:
        try:
            yield session
        finally:
            session.depth -= 1
        return
    paths = TenantPaths.for_tenant(tenant).ensure()
    load_id = load_id or new_load_id()
    handle, previous = _acquire(paths, tenant, load_id, DEFAULT_WAIT_SECONDS if wait is None else wait, on_wait)
    session = WriteSession(tenant, paths, load_id, handle, previous=previous,
                           info={"tenant": tenant, "load_id": load_id, "pid": os.getpid(), "started_at": _now(),
                                 "phase": "starting", "phase_since": _now()})
    _write_note(handle, session.info)
    with _GUARD:
        _SESSIONS[tenant] = session
    try:
        _clear_leftovers(paths)
        yield session
        session.publish()
    except BaseException:
        _publish_or_keep(session)
        raise
    finally:
        with _GUARD:
            _SESSIONS.pop(tenant, None)
        discard(session.working)
        _release(handle)


def _publish_or_keep(session: WriteSession) -> None:
    """After a failure, publish what the run committed; if even that fails, keep the copy aside
    (never delete what landed) and say where."""
    try:
        session.publish()
    except Exception as exc:
        if session.working.exists():
            kept = session.paths.root / f"warehouse.unpublished-{session.load_id}.duckdb"
            session.working.replace(kept)
            _tell(f"{session.tenant}: what run {session.load_id} landed could not be published ({exc}); "
                  f"it is kept in {kept}")


def active_session(tenant: str) -> WriteSession | None:
    """The session this process holds for the tenant, if any."""
    return _SESSIONS.get(tenant)


def current(tenant: str) -> Path:
    """The file that holds the tenant's latest data for a reader in this process: the run's working
    copy while this process is in the middle of a refresh that has written, else the published file."""
    session = _SESSIONS.get(tenant)
    if session is not None and session.working.exists():
        return session.working
    return TenantPaths.for_tenant(tenant).warehouse


def open_reader(tenant: str) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the tenant's warehouse; :class:`NoWarehouse` before the first run."""
    path = current(tenant)
    if not path.exists():
        raise NoWarehouse(tenant)
    return open_reader_at(path)


def open_reader_at(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a given warehouse file (a published one, a run's copy, an as-of rebuild)."""
    return _open(path, read_only=True)


def open_writer_at(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-write connection to a given file, with every ``meta`` table in place (``meta.ensure_meta``).

    Only for a file no reader uses: a run's working copy (through :meth:`WriteSession.connect`), the
    copy dbt builds into, an as-of rebuild; the published file is only ever replaced whole."""
    con = _open(path, read_only=False)
    try:
        ensure_meta(con)
    except BaseException:
        con.close()
        raise
    return con


def _open(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """The one place a warehouse file is opened, so every connection has the same settings."""
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        for setting in SETTINGS:
            con.execute(setting)
    except BaseException:
        con.close()
        raise
    return con


def holder(paths: TenantPaths) -> dict | None:
    """What holds the tenant's run lock now (load id, process, phase), or None when it is free.

    Read from the holder's note, never by trying the lock (a probe that took it, however briefly,
    could turn away a run starting at that moment). A note whose process is gone is a dead run's."""
    session = _SESSIONS.get(paths.tenant)
    if session is not None:
        return dict(session.info)
    note = _read_note(lock_path(paths))
    if not note or not process_alive(note.get("pid")):
        return None
    return note


def copy_published(published: Path, target: Path) -> tuple[int, int] | None:
    """Copy the published file to ``target`` (a fresh file when there is none yet); what it was copied from."""
    discard(target)
    if not published.exists():
        return None
    before = _identity(published)
    shutil.copyfile(published, target)
    return before


def publish_file(copy: Path, published: Path, based_on: tuple[int, int] | None) -> None:
    """Replace the published file with ``copy`` in one rename, after a checkpoint so no WAL is left.

    ``based_on`` is the published file the copy was made from: if another writer replaced it
    since, publishing would throw away what that writer did, so :class:`LostUpdate` is raised
    instead (the lock makes this impossible; the check proves it)."""
    con = open_writer_at(copy)
    try:
        con.execute("checkpoint")
    finally:
        con.close()
    if published.exists() and _identity(published) != based_on:
        raise LostUpdate(f"{published}: the published warehouse changed while this run worked on a copy of it; "
                         "the copy was not published, so nothing the other writer did is lost")
    os.replace(copy, published)


def discard(copy: Path) -> None:
    """Remove a copy of the warehouse and its write-ahead log, if there."""
    for path in (copy, copy.with_name(copy.name + ".wal")):
        path.unlink(missing_ok=True)


def _identity(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns


def _acquire(paths: TenantPaths, tenant: str, load_id: str, wait: float, on_wait) -> tuple[object, dict | None]:
    """Take the lock; the note a previous holder left if it died holding it."""
    path = lock_path(paths)
    handle = open(path, "a+")
    deadline = time.monotonic() + wait
    told = False
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            other = _read_note(path) or {}
            if time.monotonic() >= deadline:
                handle.close()
                raise Busy(f"{tenant}: another run ({_describe(other)}) holds the warehouse; gave up after "
                           f"{wait:.0f} s. Nothing was landed or changed; run again when it has finished") from None
            if not told:
                (on_wait or _tell)(f"{tenant}: waiting for run {_describe(other)} to finish "
                                   f"(up to {wait:.0f} s) before refreshing")
                told = True
            time.sleep(_POLL_SECONDS)
    previous = _read_note(path)
    return handle, previous


def _release(handle) -> None:
    with contextlib.suppress(OSError):
        handle.seek(0)
        handle.truncate()
        handle.flush()
    with contextlib.suppress(OSError):
        fcntl.flock(handle, fcntl.LOCK_UN)
    handle.close()


def _clear_leftovers(paths: TenantPaths) -> None:
    """Under the lock, copies left behind are from a run that died: remove them. (That run's record
    is closed by whoever records runs, from ``WriteSession.previous``.)"""
    for name in ("warehouse.working.duckdb", BUILDING_COPY):
        discard(paths.root / name)


def process_alive(pid) -> bool:
    """Whether a process with this id is running on this machine."""
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_note(handle, info: dict) -> None:
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps(info))
    handle.flush()


def _read_note(path: Path) -> dict | None:
    try:
        text = path.read_text(encoding="utf-8").strip()
        return json.loads(text) if text else None
    except (OSError, ValueError):
        return None


def _describe(info: dict) -> str:
    parts = [info.get("load_id", "?")]
    if info.get("pid"):
        parts.append(f"process {info['pid']}")
    if info.get("phase"):
        parts.append(f"{info['phase']} since {str(info.get('phase_since', ''))[11:16]} UTC")
    return ", ".join(parts)


def _tell(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")
