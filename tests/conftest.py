"""Shared fixtures: isolated tenants, inboxes and warehouses under pytest's tmp_path.

Nothing a test does touches the repository's own ``var/`` or ``sources/*/inbox``.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
# Packs rendered by tests go to a temporary folder, never into the checkout's reports/out.
os.environ["PCCW_REPORTS_OUT"] = tempfile.mkdtemp(prefix="pccw-reports-")
# Each test process has a Dagster instance of its own (the checkout's settings, an empty history):
# `make` points DAGSTER_HOME at the checkout's, which the other test worker would be writing too.
os.environ["DAGSTER_HOME"] = tempfile.mkdtemp(prefix="pccw-dagster-")
shutil.copyfile(Path(__file__).resolve().parent.parent / "dagster_home" / "dagster.yaml",
                Path(os.environ["DAGSTER_HOME"]) / "dagster.yaml")

from dagster_project import settings  # noqa: E402
from dagster_project.tenants import load_tenant  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SHARED_REFERENCE = REPO.parent / "shared" / "reference"
SMALL_SCALE = 0.02


@pytest.fixture
def reference_dir() -> Path:
    if not SHARED_REFERENCE.exists():
        pytest.skip("../shared/reference is not beside this checkout (it is on the developers' and CI machines, "
                    "not on a user's): the real-data tests need it")
    return SHARED_REFERENCE


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """Tenant configs copied into tmp, with their own inboxes, run-time state and rendered packs.

    Packs too: a pack is rendered again only when what it shows changed, so packs left by another
    test with the same demo data would count as current here."""
    _copy_configs(tmp_path / "sources")
    _point_at(monkeypatch, tmp_path)
    return tmp_path


@pytest.fixture
def tenant(isolated):
    return load_tenant(settings.DEFAULT_TENANT)


@pytest.fixture(scope="module")
def module_tenants(tmp_path_factory):
    """For module fixtures that build warehouses once: copies every tenant's config into a temp
    folder and points sources, state and rendered packs there until the module ends."""
    from _pytest.monkeypatch import MonkeyPatch

    root = tmp_path_factory.mktemp("tenants")
    patch = MonkeyPatch()
    _copy_configs(root / "sources")
    _point_at(patch, root)
    yield root
    patch.undo()


class DemoOffices:
    """The demo tenants (seed 0, ``SMALL_SCALE``), each generated and refreshed once per test session,
    on first use, under one session folder (its ``sources``, ``var`` and ``reports``).

    South Yorkshire is refreshed the way the schedule, a sensor or the UI refresh it (the ``refresh``
    job for its partition, without `pccw run`'s wrapper); the others through ``run_refresh``, as
    `pccw run` does. ``results[slug]`` keeps each run's Dagster result."""

    def __init__(self, root: Path):
        self.root = root
        self.results: dict = {}
        self.failed: dict[str, str] = {}
        _copy_configs(root / "sources")

    def built(self, slug: str):
        if slug in self.failed:       # never built twice into one folder: the second would not start clean
            pytest.fail(self.failed[slug])
        if slug not in self.results:
            from _pytest.monkeypatch import MonkeyPatch

            from dagster_project.demo.generator import generate
            from dagster_project.load_ids import new_load_id
            from dagster_project.pipeline import run_refresh

            with MonkeyPatch.context() as patch:
                _point_at(patch, self.root)
                generate(load_tenant(slug), seed=0, scale=SMALL_SCALE)
                if slug == "south_yorkshire":
                    from dagster import DagsterInstance

                    from dagster_project.definitions import current_definitions
                    result = current_definitions().resolve_job_def("refresh").execute_in_process(
                        partition_key=slug, instance=DagsterInstance.ephemeral(), raise_on_error=False)
                else:
                    result = run_refresh(slug, new_load_id(), log_level="WARNING")
            if not result.success:
                self.failed[slug] = f"the demo refresh of {slug} failed: {failures(result)}"
                pytest.fail(self.failed[slug])
            self.results[slug] = result
        return self.results[slug]

    def copy(self, slug: str, target: Path) -> None:
        """Everything of one built tenant (inbox, landing archive, warehouse, run history, packs) into
        ``target``, with every tenant's config, for a test that changes data."""
        self.built(slug)
        _copy_configs(target / "sources")
        for part in ("var", "reports"):
            if (self.root / part / slug).exists():
                shutil.copytree(self.root / part / slug, target / part / slug, symlinks=True)
        shutil.copytree(self.root / "sources" / slug, target / "sources" / slug, dirs_exist_ok=True)


def dbt_materialized(result) -> set[str]:
    """The dbt models a run rebuilt (returns models it did not rebuild are reported with rebuilt: false)."""
    return {"/".join(e.asset_key.path) for e in result.get_asset_materialization_events()
            if e.asset_key.path[0] in ("staging", "intermediate", "marts", "returns")
            and "rebuilt" not in e.materialization.metadata}


def failures(result) -> str:
    """What failed in a Dagster run, step by step, for an assertion message."""
    lines = [f"{event.step_key}: {event.event_specific_data.error.message.strip()}"
             for event in result.all_events if event.is_step_failure]
    return "; ".join(lines) or "no step failed (see the run's events)"


def _copy_configs(sources: Path) -> None:
    for config in (REPO / "sources").glob("*/tenant.yml"):
        target = sources / config.parent.name / "tenant.yml"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(config, target)


def _point_at(patch, root: Path) -> None:
    patch.setattr(settings, "SOURCES_DIR", root / "sources")
    patch.setenv("PCCW_HOME", str(root / "var"))
    patch.setenv("PCCW_REPORTS_OUT", str(root / "reports"))


@pytest.fixture(scope="session")
def demo_offices(tmp_path_factory) -> DemoOffices:
    return DemoOffices(tmp_path_factory.mktemp("demo"))


@pytest.fixture
def demo(demo_offices, monkeypatch) -> DemoOffices:
    """The shared demo offices, with sources, state and packs pointed at them: for tests that only
    read (a test that writes takes :func:`demo_copy`)."""
    _point_at(monkeypatch, demo_offices.root)
    return demo_offices


@pytest.fixture
def demo_copy(demo_offices, tmp_path, monkeypatch):
    """``demo_copy(slug)``: a private copy of a built demo tenant under tmp_path, with sources, state
    and packs pointed at it; returns the tenant."""
    def copy(slug: str):
        demo_offices.copy(slug, tmp_path)
        _point_at(monkeypatch, tmp_path)
        return load_tenant(slug)

    return copy


@pytest.fixture(scope="module")
def module_demo_copy(demo_offices, tmp_path_factory):
    """Like :func:`demo_copy`, one copy for a whole module."""
    from _pytest.monkeypatch import MonkeyPatch

    patch = MonkeyPatch()

    def copy(slug: str):
        root = tmp_path_factory.mktemp(f"copy-{slug}")
        demo_offices.copy(slug, root)
        _point_at(patch, root)
        return load_tenant(slug)

    yield copy
    patch.undo()


def pytest_itemcollected(item):
    """Under pytest-xdist (``--dist loadgroup``) a module's tests stay on one worker, so a module
    fixture is built once; tests of the shared demo offices are one group, so those are built once.
    (pytest-xdist's loadgroup needs pytest 8: see requirements-test.lock.)"""
    if not any(m.name == "xdist_group" for m in item.iter_markers()):
        uses_demo = {"demo", "demo_copy", "module_demo_copy", "demo_offices"} & set(getattr(item, "fixturenames", ()))
        item.add_marker(pytest.mark.xdist_group("demo" if uses_demo else item.module.__name__))
