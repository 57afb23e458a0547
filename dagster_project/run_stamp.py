"""A quiet night: know, without starting Dagster or dbt, that a run would find nothing to do.

A successful `pccw run` leaves a stamp beside the warehouse (``var/<tenant>/run_stamp.json``): a
digest of what the run started from (every file in the tenant's inbox and folder by path, size and
modification time; the code, dbt project, pack templates and suites by content; the versions of the
libraries that compute or render; the reporting date) and a digest of what it left (the warehouse
file and every file under ``reports/out/<tenant>``). The next run compares both before it imports
Dagster: when neither changed it has nothing to land, build or render, and says so in a second or
two. Anything else (a new or touched file, another day for a tenant reporting as of today, a
changed template, a pack deleted by hand, a run from the Dagster UI) runs the whole job as before.

The inbox is read as landing reads it (``meta.file_fingerprints``: a file is known by path, size and
modification time). A file the run itself moved out of the inbox (quarantined) does not make the
next run a busy one; a file added or changed while a run worked does. The stamp is removed when a
run starts and written only when it succeeded, so a run that failed or was killed is never taken
for a quiet one.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from dagster_project import settings
from dagster_project.dbt_project import project_fingerprint
from dagster_project.settings import TenantPaths
from dagster_project.tenants import Tenant

# What the code of a run is: these folders of the repository, by content, with the dbt project
# (dbt_project.project_fingerprint, as the refresh compares it) and its profile.
CODE = ((settings.REPO_ROOT / "dagster_project", (".py", ".html", ".css", ".yml", ".json", ".j2")),
        (settings.REPORTS_DIR / "packs", None), (settings.REPORTS_DIR / "templates", None),
        (settings.EXPECTATIONS_DIR, None))
CODE_FILES = (settings.DBT_DIR / "profiles.yml",)
# The libraries whose version can change a figure or a rendered file.
LIBRARIES = ("duckdb", "dbt-core", "dbt-duckdb", "dagster", "dagster-dbt", "great-expectations", "pandas", "numpy",
             "openpyxl", "xhtml2pdf", "jinja2", "pccw")
# Folders of the code that are not code (byte-code, dbt's output).
NOT_CODE = {"__pycache__", "target", "logs", "dbt_packages"}


def stamp_path(paths: TenantPaths) -> Path:
    """Where the tenant's stamp is kept, beside its warehouse."""
    return paths.root / "run_stamp.json"


@dataclass(frozen=True)
class Inputs:
    """What a run starts from: the tenant's files (folder and inbox) and the rest (code, libraries, date)."""

    files: frozenset[tuple[str, int, int]]
    rest: str

    def digest(self) -> str:
        """The whole as one sha256, as the stamp keeps it."""
        digest = hashlib.sha256(self.rest.encode())
        for path, size, mtime in sorted(self.files):
            digest.update(f"{path}\0{size}\0{mtime}\n".encode())
        return digest.hexdigest()

    def after_run(self, now: Inputs) -> Inputs:
        """What the next run will compare with: ``now`` when the run only took files away (it moves a file it
        quarantines out of the inbox, and a file gone is one the next run cannot land either), else what the
        run started from (a file added or changed while it ran must not be taken as seen)."""
        return now if now.rest == self.rest and now.files <= self.files else self


def inputs(tenant: Tenant) -> Inputs:
    """What a run of ``tenant`` would start from (see the module docstring)."""
    inbox = tenant.inbox.resolve()
    files = frozenset((f"inbox/{path}" if root == inbox else f"folder/{path}", size, mtime)
                      for root in (tenant.folder, inbox)
                      for path, size, mtime in _listing(root, skip=inbox if root == tenant.folder else None))
    digest = hashlib.sha256(f"dbt {project_fingerprint()}\n".encode())
    for folder, suffixes in CODE:
        for path, _, _ in _listing(folder, skip_names=NOT_CODE):
            if suffixes is None or path.endswith(suffixes):
                digest.update(f"code {folder.name}/{path}\n".encode())
                digest.update((folder / path).read_bytes())
    for path in CODE_FILES:
        if path.exists():
            digest.update(f"code {path.name}\n".encode())
            digest.update(path.read_bytes())
    for name in LIBRARIES:
        try:
            digest.update(f"{name}=={metadata.version(name)}\n".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name} absent\n".encode())
    digest.update(f"python {sys.version}\nreporting date {tenant.reporting_date.isoformat()}\n".encode())
    return Inputs(files, digest.hexdigest())


def outputs_digest(tenant: Tenant) -> str:
    """What the last run left: the warehouse file and every file of the tenant's reports."""
    digest = hashlib.sha256()
    warehouse = TenantPaths.for_tenant(tenant.slug).warehouse
    if warehouse.exists():
        stat = warehouse.stat()
        digest.update(f"warehouse\0{stat.st_ino}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    for path, size, mtime in _listing(settings.reports_out() / tenant.slug):
        digest.update(f"{path}\0{size}\0{mtime}\n".encode())
    return digest.hexdigest()


def quiet_since(tenant: Tenant, now: Inputs) -> dict | None:
    """The stamp of the last successful run when nothing changed since it, else None."""
    path = stamp_path(TenantPaths.for_tenant(tenant.slug))
    try:
        stamp = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or stamp.get("inputs") != now.digest() \
            or stamp.get("outputs") != outputs_digest(tenant):
        return None
    return {"load_id": stamp.get("load_id") or "?", "finished_at": stamp.get("finished_at") or "?"}


def forget(tenant: Tenant) -> None:
    """A run is starting: until it succeeds, no run is quiet."""
    stamp_path(TenantPaths.for_tenant(tenant.slug)).unlink(missing_ok=True)


def remember(tenant: Tenant, load_id: str, finished_at: str, started_from: Inputs) -> None:
    """A run that started from ``started_from`` succeeded: stamp what it left."""
    path = stamp_path(TenantPaths.for_tenant(tenant.slug))
    temporary = path.with_suffix(".tmp")
    seen = started_from.after_run(inputs(tenant))
    temporary.write_text(json.dumps({"load_id": load_id, "finished_at": finished_at, "inputs": seen.digest(),
                                     "outputs": outputs_digest(tenant)}))
    temporary.replace(path)


def _listing(root: Path, skip: Path | None = None,
             skip_names: frozenset | set = frozenset()) -> list[tuple[str, int, int]]:
    """Every file under ``root`` (relative path, size, mtime in ns), sorted; none when it is absent.
    Linked folders are followed, as landing follows them, each real folder once; a file gone while
    the folder is read is left out (the next run sees what is there then)."""
    found = []
    seen: set[Path] = set()

    def walk(folder: Path, prefix: str) -> None:
        real = folder.resolve()
        if real in seen or (skip is not None and real == skip):
            return
        seen.add(real)
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            return
        for entry in entries:
            try:
                if entry.is_dir():
                    if entry.name not in skip_names:
                        walk(Path(entry.path), f"{prefix}{entry.name}/")
                elif entry.is_file():
                    stat = entry.stat()
                    found.append((prefix + entry.name, stat.st_size, stat.st_mtime_ns))
            except FileNotFoundError:
                continue

    walk(root, "")
    return sorted(found)
