"""The dbt project: its manifest, the parses its runs start from, and dbt commands on a copy of a
warehouse. Dagster's dbt resource is in :mod:`dagster_project.resources`; this module does not
import dagster-dbt (~4 s), so `pccw dbt-parse` at bootstrap starts dbt at once.

The manifest is built by ``dbt parse`` at bootstrap (``make``) or by the test fixtures,
never at import of the definitions, which therefore load without running dbt.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from dagster_project import settings

MANIFEST_PATH = settings.DBT_DIR / "target" / "manifest.json"


def dbt_executable() -> str:
    """The venv's dbt, found beside the running interpreter, so PATH need not include the venv."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def dbt_env() -> dict[str, str]:
    """The environment of a dbt process started here: this one's, with telemetry off."""
    env = dict(os.environ)
    env.update(settings.OFFLINE_ENV)
    return env


def dbt_vars(warehouse: Path | None, as_of: dt.date | None = None) -> list[str]:
    """The ``--vars`` of a dbt command: the DuckDB file it works on (profiles.yml reads ``warehouse``;
    None in a tenant's own project folder, whose profile names it) and the tenant's reporting date,
    if it has one."""
    values = {"warehouse": str(warehouse)} if warehouse else {}
    if as_of:
        values["as_of"] = as_of.isoformat()
    return ["--vars", json.dumps(values)]


BUILDING_COPY = settings.BUILDING_COPY
# A build on data leaves dbt's unit tests out: they test the models' SQL, not the data, and run in the
# test suite (run_unit_tests), as dbt advises for production. Nor does it write dbt's JSON artefacts
# (manifest.json, run_results.json: ~2 s of each build): each node's result is recorded in the
# warehouse (meta.dbt_results, by the on-run-end hook) and in the Dagster run, and nothing reads them.
DATA_BUILD_ARGS = ["--exclude-resource-type", "unit_test", "--no-write-json"]
# dbt.log at info, not debug: writing every SQL statement to it cost ~10 % of a build's CPU.
FILE_LOG_ARGS = ["--log-level-file", "info"]
PROJECT_PARTS = ("dbt_project.yml", "models", "macros", "seeds", "tests")


def project_fingerprint(extra: str = "") -> str:
    """The dbt project's files (``PROJECT_PARTS``) by name and content, and ``extra``, as one sha256."""
    digest = hashlib.sha256(extra.encode())
    files = []
    for part in PROJECT_PARTS:
        path = settings.DBT_DIR / part
        files += [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
    for path in sorted(files):
        digest.update(str(path.relative_to(settings.DBT_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def tenant_project(root: Path) -> Path:
    """The dbt project as a tenant's refresh runs it: ``<root>/dbt_project``, which links to the
    project's files and has a profile of its own naming the tenant's build copy by a relative path
    (``../warehouse.building.duckdb``; dbt works in the project folder).

    Why: dbt reuses its parse of the project only while the profile and ``--vars`` are unchanged, and
    the warehouse's path is in the profile. Relative, it is the same for every tenant and folder, so one
    parse (:func:`seed_parse`) serves them all (a full parse costs about 8 s of a build)."""
    folder = root / "dbt_project"
    folder.mkdir(parents=True, exist_ok=True)
    for part in PROJECT_PARTS:
        link, real = folder / part, settings.DBT_DIR / part
        if link.is_symlink() and os.readlink(link) == str(real):
            continue
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(real)
    profiles = yaml.safe_load((settings.DBT_DIR / "profiles.yml").read_text(encoding="utf-8"))
    for output in profiles["pccw"]["outputs"].values():
        output["path"] = f"../{BUILDING_COPY}"
    text = yaml.safe_dump(profiles, sort_keys=False)
    profile = folder / "profiles.yml"
    if not profile.exists() or profile.read_text(encoding="utf-8") != text:
        profile.write_text(text, encoding="utf-8")
    return folder


def _kept_parse(vars_args: list[str]) -> Path:
    key = hashlib.sha256(json.dumps(vars_args).encode()).hexdigest()[:16]
    return MANIFEST_PATH.parent / "parses" / f"{key}.msgpack"


@contextlib.contextmanager
def _parsing():
    """One ``dbt parse`` at a time in this checkout (test workers, the UI and a run may all ask)."""
    folder = MANIFEST_PATH.parent / "parses"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield folder


def _parse(folder: Path, vars_args: list[str], manifest_to: Path | None = None) -> None:
    """``dbt parse`` in the kept parses' project folder (:func:`tenant_project`), into a scratch target
    folder; its partial-parse file is kept for these vars, and its manifest moved to ``manifest_to``.
    Each file is moved in whole, as another process may be reading the one it replaces."""
    project = tenant_project(folder)
    with tempfile.TemporaryDirectory(prefix=".parse-", dir=folder) as scratch:
        subprocess.run([dbt_executable(), "parse", "--quiet", "--project-dir", str(project),
                        "--profiles-dir", str(project), "--target-path", scratch, *vars_args],
                       check=True, env=dbt_env(), cwd=project)
        os.replace(Path(scratch) / "partial_parse.msgpack", _kept_parse(vars_args))
        if manifest_to:
            os.replace(Path(scratch) / "manifest.json", manifest_to)


def seed_parse(target: Path, vars_args: list[str]) -> None:
    """Start a tenant's dbt run from the parse of the project kept for these vars (dbt checks it
    against the project's files and parses again only what changed).

    The kept parse is made by ``dbt parse`` in a project folder of its own inside ``dbt/target``
    (:func:`tenant_project`, so its profile is a tenant's), and is copied over the tenant's before
    every run: dbt reads seed files from the folder named in the parse that first read them, so a
    parse made in one tenant's folder would break every later run once that folder is gone."""
    kept = _kept_parse(vars_args)
    with _parsing() as folder:
        if not kept.exists() or kept.stat().st_mtime < _project_changed_at():
            _parse(folder, vars_args)
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(kept, target / "partial_parse.msgpack")


def parse_manifest(as_of: dt.date | None = None) -> Path:
    """Run ``dbt parse`` (offline) and return the manifest's path.

    The parse is the one a refresh with reporting date ``as_of`` starts from (:func:`seed_parse`), so a
    fresh checkout parses the project once, for the manifest and the first refresh together."""
    with _parsing() as folder:
        _parse(folder, dbt_vars(None, as_of), manifest_to=MANIFEST_PATH)
    return MANIFEST_PATH


def manifest_is_stale() -> bool:
    """True when the manifest is missing or older than any file of the dbt project."""
    manifest = MANIFEST_PATH
    return not manifest.exists() or manifest.stat().st_mtime < _project_changed_at()


def _project_changed_at() -> float:
    """When a file of the dbt project last changed (its newest modification time)."""
    sources = [settings.DBT_DIR / "dbt_project.yml", settings.DBT_DIR / "profiles.yml"]
    for folder in ("models", "macros", "seeds", "tests"):
        sources += [p for p in (settings.DBT_DIR / folder).rglob("*") if p.is_file()]
    return max(p.stat().st_mtime for p in sources if p.exists())


def ensure_manifest() -> Path:
    """The manifest, re-parsed first if the project changed since (a stat of each file; no dbt call)."""
    if manifest_is_stale():
        parse_manifest()
    return MANIFEST_PATH


def dbt_on_copy(root: Path, args: list[str], as_of: dt.date | None = None) -> subprocess.CompletedProcess:
    """Run a dbt command (``args``, e.g. ``["build"]``) on the warehouse at ``root/BUILDING_COPY``,
    in ``root``'s project folder (:func:`tenant_project`) and from the kept parse (:func:`seed_parse`),
    with its target folder at ``root/dbt_target``. dbt's output is captured and returned."""
    project, target = tenant_project(root), root / "dbt_target"
    vars_args = dbt_vars(None, as_of)
    seed_parse(target, vars_args)
    return subprocess.run([dbt_executable(), *args, "--project-dir", str(project), "--profiles-dir", str(project),
                           "--target-path", str(target), *FILE_LOG_ARGS, *vars_args],
                          capture_output=True, text=True, env=dbt_env(), cwd=project)


def generate_docs(warehouse: Path, out_dir: Path, as_of: dt.date | None = None) -> Path:
    """Build the dbt docs site as one static page that opens from disk (no server, no network).
    ``as_of``: the tenant's reporting date, as its refreshes pass it (so the docs show the SQL they
    ran, and start from the same kept parse).

    dbt opens its database for writing, and a published warehouse is only ever read, so the
    catalogue is read from a copy that is thrown away afterwards; its own target folder, too, as
    dbt rewrites the manifest there."""
    with tempfile.TemporaryDirectory(prefix="pccw-docs-") as scratch:
        shutil.copyfile(warehouse, Path(scratch) / BUILDING_COPY)
        done = dbt_on_copy(Path(scratch), ["docs", "generate", "--static", "--quiet"], as_of)
        if done.returncode != 0:
            raise RuntimeError(f"dbt docs generate failed: {done.stdout[-2000:]}")
        out_dir.mkdir(parents=True, exist_ok=True)
        target = out_dir / "index.html"
        shutil.copyfile(Path(scratch) / "dbt_target" / "static_index.html", target)
    return target


def run_unit_tests(warehouse: Path, as_of: dt.date | None = None) -> dict[str, str]:
    """Run the project's dbt unit tests on a throwaway copy of a built warehouse (they need the
    models' parents to exist): refreshes leave them out (see refresh.py). Returns each unit test's
    status by its id; raises with dbt's output when dbt itself fails."""
    with tempfile.TemporaryDirectory(prefix="pccw-unit-") as scratch:
        shutil.copyfile(warehouse, Path(scratch) / BUILDING_COPY)
        done = dbt_on_copy(Path(scratch), ["test", "--select", "test_type:unit"], as_of)
        results = Path(scratch) / "dbt_target" / "run_results.json"
        if not results.exists():
            raise RuntimeError(f"dbt test did not run (exit {done.returncode}): {done.stdout[-2000:]}")
        return {r["unique_id"]: r["status"] for r in json.loads(results.read_text())["results"]
                if r["unique_id"].startswith("unit_test.")}


def load_manifest() -> dict:
    return json.loads(ensure_manifest().read_text())


def reachable(edges: dict[str, list[str]], start: set[str]) -> set[str]:
    """Every node reachable from ``start`` along ``edges`` (the manifest's parent_map or child_map)."""
    seen, stack = set(start), list(start)
    while stack:
        for node in edges.get(stack.pop(), []):
            if node not in seen:
                seen.add(node)
                stack.append(node)
    return seen
