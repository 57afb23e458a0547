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
    """Tenant configs copied into tmp, with their own inboxes, run-time state and rendered packs."""
    sources = tmp_path / "sources"
    for config in (REPO / "sources").glob("*/tenant.yml"):
        target = sources / config.parent.name / "tenant.yml"
        target.parent.mkdir(parents=True)
        shutil.copyfile(config, target)
    monkeypatch.setattr(settings, "SOURCES_DIR", sources)
    monkeypatch.setenv("PCCW_HOME", str(tmp_path / "var"))
    # Packs too: a pack is rendered again only when what it shows changed, so packs left by
    # another test with the same demo data would count as current here.
    monkeypatch.setenv("PCCW_REPORTS_OUT", str(tmp_path / "reports"))
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
    for config in (REPO / "sources").glob("*/tenant.yml"):
        target = root / "sources" / config.parent.name / "tenant.yml"
        target.parent.mkdir(parents=True)
        shutil.copyfile(config, target)
    patch.setattr(settings, "SOURCES_DIR", root / "sources")
    patch.setenv("PCCW_HOME", str(root / "var"))
    patch.setenv("PCCW_REPORTS_OUT", str(root / "reports"))
    yield root
    patch.undo()
