"""Landing: files from a tenant's inbox -> immutable archive (by sha256) -> raw tables.

Each file is loaded in a DuckDB transaction together with its row in ``meta.landed_files``:
it lands wholly or not at all. A file whose sha256 is already in that registry is skipped.
A file that fails is rolled back, moved out of the inbox to ``quarantine/<family>/`` with a
``.reason.txt`` beside it, and recorded in ``meta.quarantined_files``; the other files carry on.

Families with many files of one layout (police data: 43 forces x 12 months a year) may give a
batch loader: files are then loaded a batch at a time, in one read and one transaction. If
anything in a batch fails, the batch is rolled back and tried again in halves, down to the
single file that fails, which is then loaded alone: it is named and quarantined exactly as
it would be on its own, and every other file still lands.

A file's sha256 (and line count) is remembered against its path, size and modification time
in ``meta.file_fingerprints``, so a rerun over an unchanged inbox does not read every file
again; a file with a new size or time is hashed afresh.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import shutil
from concurrent.futures import ThreadPoolExecutor
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
    lines: int | None = None   # physical lines, counted while hashing; None when not counted

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
    batched: int = 0   # files of ``landed`` that came in a batch rather than alone
    table_rows: dict[str, int] = field(default_factory=dict)   # rows in each of the family's raw tables after

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
# Loads several files at once, all or none; returns the rows of each, in the order given.
BatchLoader = Callable[[duckdb.DuckDBPyConnection, list[tuple[Path, Provenance]]], list[int]]
BATCH_BYTES = 256 * 1024 * 1024   # bounds the memory a batch's read takes


class Screen(Protocol):
    """A family's check of a whole batch of new files before any is loaded (provider returns).

    ``screen`` returns a verdict per relative file name; a verdict with ``rejected`` true is
    quarantined with ``summary()`` as its reason and ``kind`` as its kind.
    """

    def screen(self, con: duckdb.DuckDBPyConnection, files: list[tuple[Path, str]]) -> dict: ...

    def quarantined(self, con: duckdb.DuckDBPyConnection, verdict, kept: Path, sha: str, load_id: str) -> None: ...

    def loaded(self, con: duckdb.DuckDBPyConnection, verdict, prov: Provenance, path: Path) -> None: ...


def sha256_of(path: Path) -> str:
    return fingerprint(path)[0]


def fingerprint(path: Path) -> tuple[str, int]:
    """sha256 and physical line count (a last line without a newline counts), in one read."""
    digest, lines, last = hashlib.sha256(), 0, b"\n"
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
            lines += block.count(b"\n")
            last = block[-1:]
    return digest.hexdigest(), lines + (0 if last == b"\n" else 1)


class Fingerprints:
    """sha256 and line count of inbox files, remembered by path, size and modification time."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.known = {path: (size, mtime, sha, lines) for path, size, mtime, sha, lines in
                      con.execute("select path, bytes, mtime_ns, sha256, lines from meta.file_fingerprints").fetchall()}
        self.fresh: list[tuple] = []

    def of(self, path: Path) -> tuple[str, int]:
        stat = path.stat()
        key = str(path.resolve())
        known = self.known.get(key)
        if known and known[0] == stat.st_size and known[1] == stat.st_mtime_ns:
            return known[2], known[3]
        sha, lines = fingerprint(path)
        self.fresh.append((key, stat.st_size, stat.st_mtime_ns, sha, lines))
        return sha, lines

    def save(self) -> None:
        insert_rows(self.con, "insert or replace into meta.file_fingerprints", self.fresh)
        self.fresh = []


def insert_rows(con: duckdb.DuckDBPyConnection, insert: str, rows: list, chunk: int = 500) -> None:
    """``insert`` the rows as one VALUES list per chunk: executemany costs a statement a row."""
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        placeholders = ", ".join("(" + ", ".join("?" * len(row)) + ")" for row in part)
        con.execute(f"{insert} values {placeholders}", [value for row in part for value in row])


def raw_columns(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """The columns of each ``raw`` table, by table name."""
    found: dict[str, set[str]] = {}
    for table, column in con.execute(
            "select table_name, column_name from duckdb_columns() where schema_name = 'raw'").fetchall():
        found.setdefault(table, set()).add(column)
    return found


def ensure_raw_table(con: duckdb.DuckDBPyConnection, table: str, columns: Iterable[str],
                     have: set[str] | None = None) -> None:
    """Create ``raw.<table>``: the given text columns plus the provenance columns. A column a newer
    layout adds is added to an existing table (empty for the rows landed before), so an upgrade
    never drops what was landed. ``have``: the table's columns, when the caller knows them (a table
    that has them all is left alone, without a statement)."""
    columns = list(columns)
    if have is not None and set(columns) <= have:
        return
    cols = ", ".join(f'"{c}" varchar' for c in columns)
    con.execute(f"""create table if not exists raw.{table} ({cols},
        _source_file varchar not null, _source_sha256 varchar not null, _source_locator varchar not null,
        _loaded_at timestamp not null, _load_id varchar not null)""")
    for c in columns:
        con.execute(f'alter table raw.{table} add column if not exists "{c}" varchar')


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
    batch_loader: BatchLoader | None = None,
) -> LoadReport:
    """Land and load each file; see the module docstring for the guarantees."""
    report = LoadReport(family, load_id)
    prints = Fingerprints(con)
    seen = {sha for (sha,) in con.execute("select sha256 from meta.landed_files").fetchall()}
    batching = batch_loader is not None and screen is None
    files = sorted(files)

    def land(batch: list) -> list:
        """Land the batch, or halve it until the files that fail are left to load alone."""
        if len(batch) < 2 or _land_batch(con, paths, family, batch, batch_loader, load_id, report):
            return [] if len(batch) >= 2 else batch
        middle = len(batch) // 2
        return land(batch[:middle]) + land(batch[middle:])

    # With a batch loader, files are fingerprinted a batch at a time and loaded straight after,
    # while the system still holds them in memory: hashing gigabytes first and loading after
    # would read every file from disk twice.
    pending: list[tuple[Path, str, str, int]] = []
    for group in (_batches(files, _size) if batching else [files]):
        new = _new_files(con, paths, family, inbox, group, prints, seen, report, load_id, move_bad_files)
        pending += [item for batch in _batches(new, lambda item: _size(item[0])) for item in land(batch)] \
            if batching else new
    prints.save()
    verdicts = screen.screen(con, [(p, r) for p, r, _, _ in pending]) if screen and pending else {}
    for path, relative, sha, lines in pending:
        verdict = verdicts.get(relative)
        if verdict is not None and verdict.rejected:
            kept = _quarantine(con, paths, family, path, relative, sha, verdict.summary(), load_id, report,
                               move_bad_files, kind=verdict.kind)
            screen.quarantined(con, verdict, kept, sha, load_id)
            continue
        landed = _landed_path(paths, family, path, sha)
        provenance = Provenance(relative, sha, _utc_now(), load_id, lines)
        con.begin()
        try:
            rows = loader(con, path, provenance)
            if verdict is not None:
                screen.loaded(con, verdict, provenance, path)
            _register(con, paths, family, [(path, provenance, landed, rows)])
            _archive(path, landed)
            con.commit()
        except BadInput as exc:
            con.rollback()
            _quarantine(con, paths, family, path, relative, sha, str(exc), load_id, report, move_bad_files)
            continue
        except duckdb.Error as exc:
            con.rollback()
            _quarantine(con, paths, family, path, relative, sha, f"{relative}: {first_lines(exc)}", load_id, report,
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


def _new_files(con, paths: TenantPaths, family: str, inbox: Path, files: list[Path], prints: Fingerprints,
               seen: set[str], report: LoadReport, load_id: str, move_bad_files: bool) -> list[tuple[Path, str, str, int]]:
    """The files not landed before (by sha256), with their fingerprints; unreadable ones quarantined."""
    with ThreadPoolExecutor(max_workers=2) as pool:   # hashlib lets go of the GIL: two files at once
        measured = list(pool.map(_try(prints.of), files))
    new = []
    for path, (fingerprinted, exc) in zip(files, measured):
        relative = _relative(path, inbox)
        if exc is not None:
            _quarantine(con, paths, family, path, relative, None, f"{relative}: cannot read the file ({exc.strerror})",
                        load_id, report, move_bad_files)
            continue
        sha, lines = fingerprinted
        if sha in seen:
            log.debug("%s: %s skipped, already landed (sha256 %s)", family, relative, sha[:12])
            report.skipped.append(relative)
            continue
        seen.add(sha)
        new.append((path, relative, sha, lines))
    return new


def _try(function):
    def attempt(arg):
        try:
            return function(arg), None
        except OSError as exc:
            return None, exc
    return attempt


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _batches(items: list, size_of) -> list[list]:
    """Consecutive runs of ``items`` of at most BATCH_BYTES each (a larger item goes alone)."""
    batches: list[list] = [[]]
    size = 0
    for item in items:
        item_size = size_of(item)
        if batches[-1] and size + item_size > BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(item)
        size += item_size
    return [b for b in batches if b]


def _land_batch(con, paths: TenantPaths, family: str, batch: list[tuple[Path, str, str, int]],
                batch_loader: BatchLoader, load_id: str, report: LoadReport) -> bool:
    """Load a batch in one transaction; False (with nothing loaded) if any part of it fails."""
    now = _utc_now()
    items = [(path, Provenance(relative, sha, now, load_id, lines)) for path, relative, sha, lines in batch]
    targets = [_landed_path(paths, family, path, prov.sha256) for path, prov in items]
    new_copies = [(path, target) for (path, _), target in zip(items, targets) if not target.exists()]
    # The archive copies are disk work: they run beside DuckDB's read, not after it.
    with ThreadPoolExecutor(max_workers=1) as pool:
        copying = pool.submit(lambda: [_archive(path, target) for path, target in new_copies])
        con.begin()
        try:
            rows = batch_loader(con, items)
            _register(con, paths, family, [(path, prov, target, n) for (path, prov), target, n in zip(items, targets, rows)])
            copying.result()
            con.commit()
        except (BadInput, duckdb.Error) as exc:
            con.rollback()
            _remove_copies(copying, [target for _, target in new_copies])
            log.info("%s: a batch of %d files did not load as one (%s); trying it in halves",
                     family, len(batch), first_lines(exc, 1))
            return False
        except BaseException:
            con.rollback()
            _remove_copies(copying, [target for _, target in new_copies])
            raise
    for (_, prov), n in zip(items, rows):
        report.landed.append((prov.source_file, n))
    report.batched += len(items)
    log.info("%s: %d files landed in one batch, %d rows", family, len(items), sum(rows))
    return True


def _remove_copies(copying, targets: list[Path]) -> None:
    """Undo a failed batch's archive copies, so the archive holds only files that landed."""
    try:
        copying.result()
    except OSError:
        pass
    for target in targets:
        target.unlink(missing_ok=True)
        target.with_name(target.name + ".part").unlink(missing_ok=True)


def _register(con, paths: TenantPaths, family: str, landed: list[tuple[Path, Provenance, Path, int]]) -> None:
    insert_rows(con, "insert into meta.landed_files",
                [[prov.sha256, family, prov.source_file, str(target.relative_to(paths.root)), path.stat().st_size,
                  rows, prov.load_id, prov.loaded_at] for path, prov, target, rows in landed])


def _landed_path(paths: TenantPaths, family: str, path: Path, sha: str) -> Path:
    return paths.landing / family / f"{sha}{''.join(path.suffixes[-1:]).lower()}"


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


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
    now = _utc_now()
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


def first_lines(exc: Exception, n: int = 3) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " ".join(lines[:n])
