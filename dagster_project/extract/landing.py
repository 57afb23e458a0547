"""Landing: files from a tenant's inbox -> immutable archive (by sha256) -> raw tables.

Each file is loaded in its own DuckDB transaction together with its row in
``meta.landed_files``: it lands wholly or not at all. A file whose sha256 is already in
that registry is skipped. A file that fails is rolled back, moved out of the inbox to
``quarantine/<family>/`` with a ``.reason.txt`` beside it, and recorded in
``meta.quarantined_files``; the other files carry on.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Protocol

import duckdb

from dagster_project.settings import TenantPaths

log = logging.getLogger(__name__)

PROVENANCE_COLUMNS = ("_source_file", "_source_sha256", "_source_locator", "_loaded_at", "_load_id")


class BadInput(ValueError):
    """Input that cannot be loaded. ``str()`` names the file, the place in it and what was expected."""

    def __init__(self, file: str, message: str, locator: str | None = None):
        self.file, self.locator, self.message = file, locator, message
        super().__init__(f"{file}: {locator}: {message}" if locator else f"{file}: {message}")


@dataclass(frozen=True)
class Provenance:
    """Where a batch of raw rows came from; written onto every row."""

    source_file: str      # path relative to the inbox, as the office named it
    sha256: str
    loaded_at: dt.datetime
    load_id: str

    def sql_literals(self) -> dict[str, str]:
        return {
            "file": _quote(self.source_file),
            "sha": _quote(self.sha256),
            "at": f"TIMESTAMP '{self.loaded_at.isoformat(sep=' ')}'",
            "load": _quote(self.load_id),
        }


@dataclass
class LoadReport:
    family: str
    load_id: str
    landed: list[tuple[str, int]] = field(default_factory=list)      # (file, rows)
    skipped: list[str] = field(default_factory=list)
    quarantined: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    rejected_returns: list[tuple[str, str]] = field(default_factory=list)  # (file, summary): feedback sent
    warned: list[tuple[str, str]] = field(default_factory=list)            # loaded, with warnings

    @property
    def rows(self) -> int:
        return sum(n for _, n in self.landed)

    def summary(self) -> str:
        text = (f"{self.family}: {len(self.landed)} landed ({self.rows} rows), "
                f"{len(self.skipped)} skipped as already landed, {len(self.quarantined)} quarantined")
        if self.rejected_returns or self.warned:
            text += f", {len(self.rejected_returns)} returns rejected, {len(self.warned)} accepted with warnings"
        return text


Loader = Callable[[duckdb.DuckDBPyConnection, Path, Provenance], int]


class Screen(Protocol):
    """A family's check of a whole batch of new files before any is loaded (provider returns).

    ``screen`` returns a verdict per relative file name; a verdict with ``rejected`` true is
    quarantined with ``summary()`` as its reason and ``kind`` as its kind.
    """

    def screen(self, con: duckdb.DuckDBPyConnection, files: list[tuple[Path, str]]) -> dict: ...

    def quarantined(self, con: duckdb.DuckDBPyConnection, verdict, kept: Path, sha: str, load_id: str) -> None: ...

    def loaded(self, con: duckdb.DuckDBPyConnection, verdict, prov: Provenance, path: Path) -> None: ...


def new_load_id(now: dt.datetime | None = None) -> str:
    """Sortable by time, unique per run: ``L20250401T020000Z-1a2b3c4d``."""
    now = now or dt.datetime.now(dt.timezone.utc)
    return f"L{now:%Y%m%dT%H%M%S}Z-{uuid.uuid4().hex[:8]}"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ensure_meta(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw")
    con.execute("create schema if not exists meta")
    con.execute("""
        create table if not exists meta.landed_files (
            sha256 varchar primary key, family varchar not null, source_file varchar not null,
            landed_path varchar not null, bytes bigint not null, rows_loaded bigint not null,
            load_id varchar not null, loaded_at timestamp not null)""")
    con.execute("""
        create table if not exists meta.quarantined_files (
            sha256 varchar, family varchar not null, source_file varchar not null,
            quarantined_path varchar not null, reason varchar not null,
            load_id varchar not null, quarantined_at timestamp not null, kind varchar default 'bad_file')""")
    con.execute("alter table meta.quarantined_files add column if not exists kind varchar default 'bad_file'")
    con.execute("""
        create table if not exists meta.provider_return_feedback (
            sha256 varchar not null, source_file varchar not null, status varchar not null, severity varchar,
            sheet varchar, cell varchar, value varchar, rule varchar, fix varchar, load_id varchar not null,
            recorded_at timestamp not null, feedback_path varchar)""")


def ensure_raw_table(con: duckdb.DuckDBPyConnection, table: str, columns: Iterable[str]) -> None:
    """Create ``raw.<table>``: the given text columns plus the provenance columns."""
    cols = ", ".join(f'"{c}" varchar' for c in columns)
    con.execute(f"""create table if not exists raw.{table} ({cols},
        _source_file varchar not null, _source_sha256 varchar not null, _source_locator varchar not null,
        _loaded_at timestamp not null, _load_id varchar not null)""")


def connect(paths: TenantPaths) -> duckdb.DuckDBPyConnection:
    paths.ensure()
    con = duckdb.connect(str(paths.warehouse))
    ensure_meta(con)
    return con


def ingest_files(
    con: duckdb.DuckDBPyConnection,
    paths: TenantPaths,
    family: str,
    inbox: Path,
    files: Iterable[Path],
    loader: Loader,
    load_id: str,
    move_bad_files: bool = True,
    screen: Screen | None = None,
) -> LoadReport:
    """Land and load each file; see the module docstring for the guarantees."""
    report = LoadReport(family, load_id)
    pending: list[tuple[Path, str, str]] = []
    for path in sorted(files):
        relative = _relative(path, inbox)
        try:
            sha = sha256_of(path)
        except OSError as exc:
            _quarantine(con, paths, family, path, relative, None, f"{relative}: cannot read the file ({exc.strerror})",
                        load_id, report, move_bad_files)
            continue
        if con.execute("select 1 from meta.landed_files where sha256 = ?", [sha]).fetchone() \
                or any(sha == other for _, _, other in pending):
            log.info("%s: %s skipped, already landed (sha256 %s)", family, relative, sha[:12])
            report.skipped.append(relative)
            continue
        pending.append((path, relative, sha))
    verdicts = screen.screen(con, [(p, r) for p, r, _ in pending]) if screen and pending else {}
    for path, relative, sha in pending:
        verdict = verdicts.get(relative)
        if verdict is not None and verdict.rejected:
            kept = _quarantine(con, paths, family, path, relative, sha, verdict.summary(), load_id, report,
                               move_bad_files, kind=verdict.kind)
            screen.quarantined(con, verdict, kept, sha, load_id)
            continue
        landed = paths.landing / family / f"{sha}{''.join(path.suffixes[-1:]).lower()}"
        provenance = Provenance(relative, sha, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), load_id)
        con.begin()
        try:
            rows = loader(con, path, provenance)
            if verdict is not None:
                screen.loaded(con, verdict, provenance, path)
            con.execute(
                "insert into meta.landed_files values (?, ?, ?, ?, ?, ?, ?, ?)",
                [sha, family, relative, str(landed.relative_to(paths.root)), path.stat().st_size, rows,
                 load_id, provenance.loaded_at],
            )
            _archive(path, landed)
            con.commit()
        except BadInput as exc:
            con.rollback()
            _quarantine(con, paths, family, path, relative, sha, str(exc), load_id, report, move_bad_files)
            continue
        except duckdb.Error as exc:
            con.rollback()
            _quarantine(con, paths, family, path, relative, sha, f"{relative}: {_first_lines(exc)}", load_id, report,
                        move_bad_files)
            continue
        except BaseException:
            con.rollback()
            raise
        log.info("%s: %s landed, %d rows (sha256 %s)", family, relative, rows, sha[:12])
        report.landed.append((relative, rows))
        if verdict is not None and verdict.warnings:
            report.warned.append((relative, verdict.summary()))
    return report


def _archive(source: Path, target: Path) -> None:
    """Copy into the content-addressed archive; an existing copy is never overwritten."""
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    shutil.copyfile(source, tmp)
    tmp.replace(target)
    target.chmod(0o444)


def _quarantine(con, paths: TenantPaths, family: str, path: Path, relative: str, sha: str | None,
                reason: str, load_id: str, report: LoadReport, move: bool = True, kind: str = "bad_file") -> Path:
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    folder = paths.quarantine / family
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{now:%Y%m%dT%H%M%S}-{(sha or 'unreadable')[:8]}__{path.name}"
    try:
        if move:
            shutil.move(str(path), target)
        else:
            shutil.copyfile(path, target)
    except OSError:
        target = path  # cannot move (read-only inbox): leave it where it is, still recorded
    target.with_name(target.name + ".reason.txt").write_text(
        f"file: {relative}\nsha256: {sha or 'unreadable'}\nload: {load_id}\nwhen: {now:%Y-%m-%d %H:%M:%S} UTC\n"
        f"problem: {reason}\n", encoding="utf-8")
    con.execute("insert into meta.quarantined_files values (?, ?, ?, ?, ?, ?, ?, ?)",
                [sha, family, relative, str(target), reason, load_id, now, kind])
    log.error("%s: quarantined %s: %s", family, relative, reason)
    (report.rejected_returns if kind == "rejected_return" else report.quarantined).append((relative, reason))
    return target


def _relative(path: Path, inbox: Path) -> str:
    try:
        return path.relative_to(inbox).as_posix()
    except ValueError:
        return path.name


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _first_lines(exc: Exception, n: int = 3) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " ".join(lines[:n])
