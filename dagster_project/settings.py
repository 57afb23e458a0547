"""Where things live: the repository's folders and each tenant's run-time state.

Run-time state (landing archive, quarantine, warehouse) goes under ``var/<tenant>/``,
or under ``$PCCW_HOME/<tenant>/`` when that is set (tests point it at a temp folder).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SOURCES_DIR = Path(os.environ.get("PCCW_SOURCES", REPO_ROOT / "sources"))
DBT_DIR = REPO_ROOT / "dbt"
REPORTS_DIR = REPO_ROOT / "reports"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
DEFAULT_TENANT = "west_yorkshire"

OFFLINE_ENV = {
    "DO_NOT_TRACK": "1",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "GX_ANALYTICS_ENABLED": "false",
}


def apply_offline_env() -> None:
    """Switch off every library's telemetry before anything can phone home."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)


def state_home() -> Path:
    return Path(os.environ.get("PCCW_HOME", REPO_ROOT / "var"))


def reports_out() -> Path:
    """Where rendered packs go: reports/out/, or $PCCW_REPORTS_OUT (tests use a temp folder)."""
    return Path(os.environ.get("PCCW_REPORTS_OUT", REPORTS_DIR / "out"))


# The copy of a tenant's warehouse that a refresh builds into, beside the warehouse (refresh.py); dbt's
# profile names it by this relative path (dbt_project.tenant_project).
BUILDING_COPY = "warehouse.building.duckdb"


@dataclass(frozen=True)
class TenantPaths:
    """Run-time folders of one tenant."""

    tenant: str
    root: Path

    @classmethod
    def for_tenant(cls, tenant: str) -> "TenantPaths":
        return cls(tenant=tenant, root=state_home() / tenant)

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    def ensure(self) -> "TenantPaths":
        for folder in (self.root, self.landing, self.quarantine):
            folder.mkdir(parents=True, exist_ok=True)
        return self
